package imaging

import (
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/imagepipe/imagepipe/shared/imaging/internal/similarity"
)

func randomPlane(r *rand.Rand, w, h int) plane {
	p := newPlane(w, h, 1, 1)
	for i := range p.pix {
		p.pix[i] = uint8(r.IntN(256))
	}
	return p
}

func TestBoxPlane(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, size := range []image.Point{{1, 1}, {7, 5}, {17, 9}, {64, 33}, {301, 7}} {
		for _, b := range []image.Point{{2, 2}, {3, 3}, {2, 1}, {1, 4}, {5, 3}, {9, 9}} {
			src := randomPlane(r, size.X, size.Y)
			got := boxPlane(src, b.X, b.Y)
			if got.w != ceilDiv(size.X, b.X) || got.h != ceilDiv(size.Y, b.Y) ||
				got.ux != b.X || got.uy != b.Y {
				t.Fatalf("%v by %v: %d×%d of unit %d×%d", size, b, got.w, got.h, got.ux, got.uy)
			}
			for oy := range got.h {
				for ox := range got.w {
					var s, n int
					for y := oy * b.Y; y < min(oy*b.Y+b.Y, size.Y); y++ {
						for x := ox * b.X; x < min(ox*b.X+b.X, size.X); x++ {
							s += int(src.pix[y*src.stride+x])
							n++
						}
					}
					// Round half to even.
					want := (2*s + n) / (2 * n)
					if (2*s+n)%(2*n) == 0 && want%2 == 1 {
						want--
					}
					if g := int(got.pix[oy*got.stride+ox]); g != want {
						t.Fatalf("%v by %v: block (%d,%d) = %d, want %d", size, b, ox, oy, g, want)
					}
				}
			}
		}
	}
}

func TestResizeAgainstFullResolution(t *testing.T) {
	// Production scales with nfnt/resize's Lanczos3 after a box
	// pre-shrink; the reference is the same filter on the whole picture in
	// one pass, from the full resolution (similarity.Reference). On a grey
	// picture with detail down to eight output pixels, whose ringing stays
	// inside 0..255, the two must agree closely, and the mean must not
	// move: the rounding back from nfnt's 16 bits keeps it, where its
	// 8-bit path would lose about half a level a pass. What is left, up to
	// a tenth of a level, is the edges, where the two see the pattern's
	// few periods cut off at different phases.
	const w, h = 640, 400
	for _, size := range []image.Point{{500, 313}, {320, 200}, {97, 61}, {20, 12}} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			// Periods of 8 and 12 output pixels across and down.
			fx := 2 * math.Pi / 8 * float64(size.X) / w
			fy := 2 * math.Pi / 12 * float64(size.Y) / h
			g := image.NewGray(image.Rect(0, 0, w, h))
			for y := range h {
				for x := range w {
					v := 128 + 90*math.Sin(float64(x)*fx+float64(y)*fy/4)*
						math.Cos(float64(y)*fy)
					g.Pix[y*w+x] = uint8(v)
				}
			}
			src := planar{w: w, h: h,
				planes: []plane{{pix: g.Pix, w: w, h: h, stride: w, ux: 1, uy: 1}}}

			k := boxFactor(w, h, size.X, size.Y, decodedLanczosRatio)
			got := src.shrink(k).resize(size.X, size.Y).image()
			if b := got.Bounds(); b.Size() != size {
				t.Fatalf("resized to %v, want %v", b.Size(), size)
			}
			res := similarity.Compare(got, similarity.NewReference(g).Lanczos3(size))
			t.Logf("box %d: SSIM %.4f, mean shift %+.3f", k, res.SSIM, res.Shift[0])
			if math.Abs(res.Shift[0]) > 0.15 {
				t.Errorf("box %d: mean moved %+.3f levels from the reference, want ±0.15",
					k, res.Shift[0])
			}
			if !math.IsNaN(res.SSIM) && res.SSIM < 0.98 {
				t.Errorf("box %d: SSIM %.4f against the reference, want at least 0.98",
					k, res.SSIM)
			}
		})
	}
}

func TestResizeKeepsLevels(t *testing.T) {
	// A flat plane must keep its level exactly and noise its mean: what
	// comes back from nfnt's 16 bits is rounded, not truncated.
	r := rand.New(rand.NewPCG(5, 6))
	noise := randomPlane(r, 301, 203)
	for i, v := range noise.pix {
		noise.pix[i] = 64 + v/2 // no ringing clamped at 0 or 255
	}
	mean := func(p plane) float64 {
		var s float64
		for y := range p.h {
			for _, v := range p.row(y) {
				s += float64(v)
			}
		}
		return s / float64(p.w*p.h)
	}
	for level := range 256 {
		flat := newPlane(37, 23, 1, 1)
		for i := range flat.pix {
			flat.pix[i] = uint8(level)
		}
		got := lanczos3Plane(flat, flat.w, flat.h, 16, 9, 1)
		for _, v := range got.pix {
			if int(v) != level {
				t.Fatalf("flat level %d came out as %d", level, v)
			}
		}
	}
	for _, size := range []image.Point{{200, 135}, {150, 101}, {61, 41}} {
		got := lanczos3Plane(noise, noise.w, noise.h, size.X, size.Y, 1)
		if d := mean(got) - mean(noise); math.Abs(d) > 0.1 {
			t.Errorf("%v: mean of noise moved %+.3f levels, want ±0.1", size, d)
		}
	}
}

func TestOrientPlane(t *testing.T) {
	// Each orientation against the definition of its display transform.
	r := rand.New(rand.NewPCG(3, 4))
	src := randomPlane(r, 5, 3)
	for o := 2; o <= 8; o++ {
		got := orientPlane(src, o)
		sw, sh := src.w, src.h
		for y := range got.h {
			for x := range got.w {
				var sx, sy int
				switch o {
				case 2:
					sx, sy = sw-1-x, y
				case 3:
					sx, sy = sw-1-x, sh-1-y
				case 4:
					sx, sy = x, sh-1-y
				case 5:
					sx, sy = y, x
				case 6:
					sx, sy = y, sh-1-x
				case 7:
					sx, sy = sw-1-y, sh-1-x
				case 8:
					sx, sy = sw-1-y, x
				}
				if got.pix[y*got.stride+x] != src.pix[sy*src.stride+sx] {
					t.Fatalf("orientation %d: display (%d,%d) is not stored (%d,%d)",
						o, x, y, sx, sy)
				}
			}
		}
	}
}

// image returns the planes as an *image.Gray, or an *image.YCbCr with 4:2:0
// chroma (units 1 and 2), the layout the resampler makes.
func (p planar) image() image.Image {
	y := p.planes[0]
	r := image.Rect(0, 0, y.w, y.h)
	if len(p.planes) == 1 {
		return &image.Gray{Pix: y.pix, Stride: y.stride, Rect: r}
	}
	return &image.YCbCr{Y: y.pix, Cb: p.planes[1].pix, Cr: p.planes[2].pix,
		YStride: y.stride, CStride: p.planes[1].stride,
		SubsampleRatio: image.YCbCrSubsampleRatio420, Rect: r}
}
