package imaging_test

import (
	"bytes"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"testing"
)

// rgb is a colour without alpha, for comparisons with a tolerance.
type rgb struct{ R, G, B int }

// The quadrant colours of the fixtures (see testdata/gen.go), clockwise from
// the top left, and the grey levels of the grey fixtures.
var (
	red    = rgb{220, 30, 30}
	green  = rgb{30, 200, 60}
	yellow = rgb{240, 220, 40}
	blue   = rgb{40, 60, 210}
	white  = rgb{255, 255, 255}
	black  = rgb{0, 0, 0}
	quad   = [4]rgb{red, green, yellow, blue}
)

func grey(v int) rgb { return rgb{v, v, v} }

// over is c with opacity a/255 over bg.
func over(c rgb, a int, bg rgb) rgb {
	mix := func(f, b int) int { return (f*a + b*(255-a) + 127) / 255 }
	return rgb{mix(c.R, bg.R), mix(c.G, bg.G), mix(c.B, bg.B)}
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func decodeJPEG(t testing.TB, data []byte) image.Image {
	t.Helper()
	img, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("output is not a JPEG: %v", err)
	}
	return img
}

// meanAt averages the 3×3 pixels around (x, y), which smooths JPEG noise.
func meanAt(img image.Image, x, y int) rgb {
	var s rgb
	n := 0
	for dy := -1; dy <= 1; dy++ {
		for dx := -1; dx <= 1; dx++ {
			p := image.Pt(x+dx, y+dy)
			if !p.In(img.Bounds()) {
				continue
			}
			r, g, b, _ := img.At(p.X, p.Y).RGBA()
			s.R, s.G, s.B = s.R+int(r>>8), s.G+int(g>>8), s.B+int(b>>8)
			n++
		}
	}
	return rgb{(s.R + n/2) / n, (s.G + n/2) / n, (s.B + n/2) / n}
}

// quadrants returns the colours at the centres of img's four quadrants,
// clockwise from the top left.
func quadrants(img image.Image) [4]rgb {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	return [4]rgb{
		meanAt(img, b.Min.X+w/4, b.Min.Y+h/4),
		meanAt(img, b.Min.X+3*w/4, b.Min.Y+h/4),
		meanAt(img, b.Min.X+3*w/4, b.Min.Y+3*h/4),
		meanAt(img, b.Min.X+w/4, b.Min.Y+3*h/4),
	}
}

func near(a, b rgb, tol int) bool {
	d := func(x, y int) bool { return x-y <= tol && y-x <= tol }
	return d(a.R, b.R) && d(a.G, b.G) && d(a.B, b.B)
}

// segments lists the markers of a JPEG's segments up to its scan data.
func segments(t testing.TB, data []byte) []byte {
	t.Helper()
	if len(data) < 2 || data[0] != 0xff || data[1] != 0xd8 {
		t.Fatal("no SOI")
	}
	var markers []byte
	for i := 2; i+4 <= len(data); {
		if data[i] != 0xff {
			t.Fatalf("no marker at %d", i)
		}
		m := data[i+1]
		markers = append(markers, m)
		if m == 0xda { // SOS: entropy-coded data follows
			return markers
		}
		i += 2 + (int(data[i+2])<<8 | int(data[i+3]))
	}
	t.Fatal("no SOS")
	return nil
}
