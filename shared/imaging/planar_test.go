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

func TestAxisWeights(t *testing.T) {
	cases := []struct{ dst, du, src, su int }{
		{1600, 1, 2009, 1}, {800, 2, 1005, 2}, {3, 1, 1000, 1}, {1, 1, 1, 1},
		{10, 1, 3, 1}, {5, 2, 2, 4}, {200, 1, 800, 1},
	}
	for _, c := range cases {
		scale := float64(c.src*c.su) / float64(c.dst*c.du)
		w := axisWeights(c.dst, c.du, c.src, c.su, scale)
		for i := range c.dst {
			var sum int32
			for _, v := range w.w[i*w.n : (i+1)*w.n] {
				sum += v
			}
			if sum != 1<<weightBits || w.start[i] < 0 || w.start[i]+w.n > c.src {
				t.Errorf("%+v: output %d has weights summing to %d from %d (n %d)",
					c, i, sum, w.start[i], w.n)
			}
		}
	}
}

func TestResizeMatchesReference(t *testing.T) {
	// The same filter as nfnt/resize's 16-bit Lanczos3, within a level: a
	// detailed picture, grey so that one plane is compared, whose ringing
	// stays inside 0..255 (nfnt clamps between its passes, this package
	// only at the end, so they differ where the ringing is clamped).
	const w, h = 640, 400
	g := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			v := 128 + 90*math.Sin(float64(x)*0.3+float64(y)*0.05)*math.Cos(float64(y)*0.2)
			g.Pix[y*w+x] = uint8(v)
		}
	}
	ref := similarity.NewReference(g)
	src := planar{w: w, h: h, planes: []plane{{pix: g.Pix, w: w, h: h, stride: w, ux: 1, uy: 1}}}
	for _, size := range []image.Point{{500, 313}, {320, 200}, {97, 61}, {20, 12}} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			got := src.resize(size.X, size.Y).image()
			want := ref.Lanczos3(size)
			worst := 0
			for y := range size.Y {
				for x := range size.X {
					a, _, _, _ := got.At(x, y).RGBA()
					b, _, _, _ := want.At(x, y).RGBA()
					worst = max(worst, abs(int(a>>8)-int(b>>8)))
				}
			}
			if worst > 1 {
				t.Errorf("largest difference from nfnt/resize is %d levels", worst)
			}
		})
	}
}

func abs(v int) int { return max(v, -v) }

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
