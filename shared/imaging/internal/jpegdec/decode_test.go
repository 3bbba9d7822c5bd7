package jpegdec

import (
	"bytes"
	"errors"
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
	"testdata/prog-restart-2x2.jpg":  "testdata/base-2x2.jpg",
	"testdata/seqni-restart-2x2.jpg": "testdata/base-2x2.jpg",
	"testdata/prog-4x1-2x1.jpg":      "testdata/base-4x1-2x1.jpg",
	"testdata/seqni-4x1-2x1.jpg":     "testdata/base-4x1-2x1.jpg",
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
	return imagePlanes(m)
}

func TestFullSizeIsImageJPEGsDecoding(t *testing.T) {
	for _, f := range fixtures(t) {
		data, _ := os.ReadFile(f)
		want := referencePlanes(t, f)
		got, err := Decode(bytes.NewReader(data), 8)
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

// TestScaledIsTheAreaAverage: decoding at n/8 gives each plane on the
// scaled grid, with samples near the average of the full-size pixels they
// cover (a low-passed average, not a box, so not exactly; each block's 8
// pixels are shared among n samples, fractionally for n not dividing 8),
// and the same mean.
func TestScaledIsTheAreaAverage(t *testing.T) {
	for _, f := range fixtures(t) {
		data, _ := os.ReadFile(f)
		want := referencePlanes(t, f)
		if want == nil {
			continue
		}
		for n := 1; n < 8; n++ {
			got, err := Decode(bytes.NewReader(data), n)
			if err != nil {
				t.Fatalf("%s %d/8: %v", f, n, err)
			}
			gw, gh := ScaledSize(want[0].Width, want[0].Height, n)
			if got.Width != gw || got.Height != gh || got.Eighths != n {
				t.Fatalf("%s %d/8: grid %d×%d at %d/8, want %d×%d", f, n, got.Width, got.Height, got.Eighths, gw, gh)
			}
			for i, w := range want {
				g := got.Planes[i]
				if g.UnitX != w.UnitX || g.UnitY != w.UnitY ||
					g.Width != ceilDiv(got.Width, g.UnitX) || g.Height != ceilDiv(got.Height, g.UnitY) {
					t.Errorf("%s %d/8 plane %d: %d×%d of unit %d×%d", f, n, i, g.Width, g.Height, g.UnitX, g.UnitY)
					continue
				}
				mad, shift := compareAreaAverage(g, w, n)
				if mad > 3 || math.Abs(shift) > 0.25 {
					t.Errorf("%s %d/8 plane %d: mean |Δ| %.2f, mean shift %+.3f against an area average",
						f, n, i, mad, shift)
				}
			}
		}
	}
}

// compareAreaAverage compares the samples of g, plane w decoded at n/8,
// with the area averages of w's samples they cover, over whole blocks (at
// the edges the encoder's padding is in the low frequencies too). It
// returns the mean absolute difference and the mean difference.
func compareAreaAverage(g, w Plane, n int) (mad, shift float64) {
	// weights[j] lists, for scaled sample j of a block, the share of each of
	// the block's 8 pixels it covers: [8j/n, 8(j+1)/n).
	weights := make([][8]float64, n)
	for j := range n {
		lo, hi := 8*float64(j)/float64(n), 8*float64(j+1)/float64(n)
		for p := range 8 {
			weights[j][p] = max(0, min(hi, float64(p+1))-max(lo, float64(p))) * float64(n) / 8
		}
	}
	var absSum, sum float64
	count := 0
	for by := range w.Height / 8 {
		for bx := range w.Width / 8 {
			for jy := range n {
				for jx := range n {
					var avg float64
					for py := range 8 {
						for px := range 8 {
							avg += weights[jy][py] * weights[jx][px] *
								float64(w.Pix[(8*by+py)*w.Stride+8*bx+px])
						}
					}
					d := float64(g.Pix[(n*by+jy)*g.Stride+n*bx+jx]) - avg
					absSum += math.Abs(d)
					sum += d
					count++
				}
			}
		}
	}
	return absSum / float64(count), sum / float64(count)
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

func TestRefusesBadScale(t *testing.T) {
	for _, n := range []int{0, 9, 16, -1} {
		if _, err := Decode(bytes.NewReader(nil), n); err == nil {
			t.Errorf("scale %d/8 accepted", n)
		}
	}
}

// TestScaleFor: the scales the resize step decodes the benchmark's photos
// at on their way to 1600 px, and the edge cases.
func TestScaleFor(t *testing.T) {
	for _, c := range []struct{ w, h, minW, minH, want int }{
		{4272, 2848, 1600, 1067, 3}, // 12 MP: 1602×1068
		{6028, 3391, 1600, 900, 3},  // 20 MP: 2260.5 wide; 2/8 is 1507
		{6533, 3675, 1600, 900, 2},  // 24 MP: 1633.25×918.75
		{1001, 1001, 125, 125, 1},   // 125.125: the true extent, not the grid's 126
		{1001, 1001, 126, 126, 2},
		{100, 100, 100, 100, 8}, // no reduction
		{9, 9, 1, 1, 1},
	} {
		if got := ScaleFor(c.w, c.h, c.minW, c.minH); got != c.want {
			t.Errorf("ScaleFor(%d, %d, %d, %d) = %d, want %d", c.w, c.h, c.minW, c.minH, got, c.want)
		}
	}
}
