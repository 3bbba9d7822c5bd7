package jpegdec

import (
	"bytes"
	"errors"
	"image"
	"image/jpeg"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// fixtures are the files of testdata/ (see gen.sh) and the package's own
// JPEG fixtures, which include CMYK and YCCK files this decoder refuses.
func fixtures(t *testing.T) []string {
	t.Helper()
	a, _ := filepath.Glob("testdata/*.jpg")
	b, _ := filepath.Glob("../../testdata/*.jpg")
	if len(a) < 16 || len(b) < 8 {
		t.Fatalf("fixtures missing: %d here, %d in imaging/testdata", len(a), len(b))
	}
	return append(a, b...)
}

// twins are fixtures image/jpeg cannot decode, each with a file that holds
// the same coefficients differently arranged, which it can: cjpeg's
// progressive and restart options change the order of the entropy-coded
// data, never the coefficients.
var twins = map[string]string{
	"testdata/prog-restart-2x2.jpg": "testdata/base-2x2.jpg",
}

// referencePlanes returns image/jpeg's decoding of file f (or of its twin) as
// planes with their units, or nil for an image it does not give as YCbCr or
// grey.
func referencePlanes(t *testing.T, f string) []Plane {
	t.Helper()
	if twin, ok := twins[f]; ok {
		f = twin
	}
	data, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	m, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	switch m := m.(type) {
	case *image.Gray:
		w, h := m.Rect.Dx(), m.Rect.Dy()
		return []Plane{{Pix: m.Pix, Stride: m.Stride, Width: w, Height: h, UnitX: 1, UnitY: 1}}
	case *image.YCbCr:
		w, h := m.Rect.Dx(), m.Rect.Dy()
		ux, uy := 1, 1
		switch m.SubsampleRatio {
		case image.YCbCrSubsampleRatio422:
			ux = 2
		case image.YCbCrSubsampleRatio420:
			ux, uy = 2, 2
		case image.YCbCrSubsampleRatio440:
			uy = 2
		case image.YCbCrSubsampleRatio411:
			ux = 4
		case image.YCbCrSubsampleRatio410:
			ux, uy = 4, 2
		}
		cw, ch := (w+ux-1)/ux, (h+uy-1)/uy
		return []Plane{
			{Pix: m.Y, Stride: m.YStride, Width: w, Height: h, UnitX: 1, UnitY: 1},
			{Pix: m.Cb, Stride: m.CStride, Width: cw, Height: ch, UnitX: ux, UnitY: uy},
			{Pix: m.Cr, Stride: m.CStride, Width: cw, Height: ch, UnitX: ux, UnitY: uy},
		}
	}
	return nil
}

func TestFullSizeIsImageJPEGsDecoding(t *testing.T) {
	for _, f := range fixtures(t) {
		data, _ := os.ReadFile(f)
		want := referencePlanes(t, f)
		got, err := Decode(bytes.NewReader(data), 1)
		if want == nil {
			var unsupported UnsupportedError
			if !errors.As(err, &unsupported) {
				t.Errorf("%s: got %v, want an UnsupportedError (image/jpeg gives neither grey nor YCbCr)", f, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if len(got.Planes) != len(want) {
			t.Fatalf("%s: %d planes, want %d", f, len(got.Planes), len(want))
		}
		for i, w := range want {
			g := got.Planes[i]
			if g.Width != w.Width || g.Height != w.Height || g.UnitX != w.UnitX || g.UnitY != w.UnitY {
				t.Errorf("%s plane %d: %d×%d of %d×%d, want %d×%d of %d×%d", f, i,
					g.Width, g.Height, g.UnitX, g.UnitY, w.Width, w.Height, w.UnitX, w.UnitY)
				continue
			}
			for y := range w.Height {
				if !bytes.Equal(g.Pix[y*g.Stride:][:w.Width], w.Pix[y*w.Stride:][:w.Width]) {
					t.Errorf("%s plane %d: row %d differs from image/jpeg's", f, i, y)
					break
				}
			}
		}
	}
}

// TestShrunkIsTheBlockAverage: decoding at 1/2, 1/4 and 1/8 gives each
// plane at the shrunk size, with samples near the average of the pixels they
// cover in the full-size decoding (a low-pass average, not a box, so not
// exactly), and the same mean.
func TestShrunkIsTheBlockAverage(t *testing.T) {
	for _, f := range fixtures(t) {
		data, _ := os.ReadFile(f)
		want := referencePlanes(t, f)
		if want == nil {
			continue
		}
		for _, s := range []int{2, 4, 8} {
			got, err := Decode(bytes.NewReader(data), s)
			if err != nil {
				t.Fatalf("%s /%d: %v", f, s, err)
			}
			for i, w := range want {
				g := got.Planes[i]
				if g.UnitX != s*w.UnitX || g.UnitY != s*w.UnitY ||
					g.Width != ceilDiv(got.Width, g.UnitX) || g.Height != ceilDiv(got.Height, g.UnitY) {
					t.Errorf("%s /%d plane %d: %d×%d of unit %d×%d", f, s, i, g.Width, g.Height, g.UnitX, g.UnitY)
					continue
				}
				var absSum, gotSum, wantSum float64
				n := 0
				// Whole blocks only: at the edges the encoder's padding is
				// in the low frequencies too.
				for y := range w.Height / s {
					for x := range w.Width / s {
						var box float64
						for dy := range s {
							for dx := range s {
								box += float64(w.Pix[(y*s+dy)*w.Stride+x*s+dx])
							}
						}
						box /= float64(s * s)
						v := float64(g.Pix[y*g.Stride+x])
						absSum += math.Abs(v - box)
						gotSum += v
						wantSum += box
						n++
					}
				}
				mad, shift := absSum/float64(n), (gotSum-wantSum)/float64(n)
				if mad > 3 || math.Abs(shift) > 0.25 {
					t.Errorf("%s /%d plane %d: mean |Δ| %.2f, mean shift %+.3f against a box average",
						f, s, i, mad, shift)
				}
			}
		}
	}
}

// TestImageJPEGFailsOnTheTwins keeps the twins honest: if image/jpeg learns
// to decode one, it should be compared with directly.
func TestImageJPEGFailsOnTheTwins(t *testing.T) {
	for f := range twins {
		data, _ := os.ReadFile(f)
		if _, err := jpeg.Decode(bytes.NewReader(data)); err == nil {
			t.Errorf("image/jpeg decodes %s now", f)
		}
	}
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

func TestRefusesBadShrink(t *testing.T) {
	for _, s := range []int{0, 3, 16, -1} {
		if _, err := Decode(bytes.NewReader(nil), s); err == nil {
			t.Errorf("shrink %d accepted", s)
		}
	}
}
