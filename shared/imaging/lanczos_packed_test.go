package imaging

import (
	"image"
	"math/rand/v2"
	"testing"

	"github.com/nfnt/resize"
)

func noisePlane(w, h int) plane {
	p := newPlane(w, h, 1, 1)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range p.pix {
		p.pix[i] = uint8(r.IntN(256))
	}
	return p
}

// gray16Lanczos3 is the plain way to scale a plane with nfnt in 16 bits:
// one *image.Gray16, both dimensions in one call.
func gray16Lanczos3(src plane, sw, sh, w, h int) []byte {
	in := image.NewGray16(image.Rect(0, 0, sw, sh))
	for y := range sh {
		row := src.row(min(y, src.h-1))
		for x := range sw {
			in.Pix[y*in.Stride+2*x] = row[min(x, src.w-1)]
		}
	}
	m := resize.Resize(uint(w), uint(h), in, resize.Lanczos3).(*image.Gray16)
	out := make([]byte, 0, w*h)
	for y := range h {
		for x := range w {
			v := uint32(m.Pix[y*m.Stride+2*x])<<8 | uint32(m.Pix[y*m.Stride+2*x+1])
			out = append(out, uint8(min((v+0x80)>>8, 255)))
		}
	}
	return out
}

// TestPackedIsNfntGray16: lanczos3Plane's packing of four samples to a
// pixel gives exactly what nfnt gives the plane as a Gray16, for reductions,
// enlargements, sizes that are not multiples of four, and spans that
// extend past the plane (the edge repeated).
func TestPackedIsNfntGray16(t *testing.T) {
	for _, c := range []struct{ pw, ph, sw, sh, w, h int }{
		{2136, 1424, 2136, 1424, 1600, 1067},
		{37, 23, 37, 23, 11, 7},
		{100, 101, 100, 101, 99, 33},
		{13, 9, 14, 10, 5, 3},
		{8, 8, 8, 8, 21, 19},
		{1, 1, 1, 1, 1, 1},
		{5, 1, 5, 1, 2, 1},
	} {
		p := noisePlane(c.pw, c.ph)
		got := lanczos3Plane(p, c.sw, c.sh, c.w, c.h, 1)
		want := gray16Lanczos3(p, c.sw, c.sh, c.w, c.h)
		diff := 0
		for y := range c.h {
			for x := range c.w {
				if got.pix[y*got.stride+x] != want[y*c.w+x] {
					diff++
				}
			}
		}
		if diff > 0 || got.w != c.w || got.h != c.h {
			t.Errorf("%+v: %d×%d, %d of %d samples differ", c, got.w, got.h, diff, c.w*c.h)
		}
	}
}

// BenchmarkLanczos3Plane compares lanczos3Plane with the plain Gray16 call on
// a 12 MP photo's luma after the shrink, on its way to 1600 px.
func BenchmarkLanczos3Plane(b *testing.B) {
	p := noisePlane(2136, 1424)
	b.Run("packed", func(b *testing.B) {
		for b.Loop() {
			lanczos3Plane(p, 2136, 1424, 1600, 1067, 1)
		}
	})
	b.Run("gray16", func(b *testing.B) {
		for b.Loop() {
			gray16Lanczos3(p, 2136, 1424, 1600, 1067)
		}
	})
}
