package imaging

import (
	"bytes"
	"image"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"testing"
)

func TestFDCT(t *testing.T) {
	// Against the definition: F(u,v) = C(u)C(v)/4 ΣΣ f(x,y) cos((2x+1)uπ/16)
	// cos((2y+1)vπ/16), which fdct leaves scaled by 8 × aanScale[u] ×
	// aanScale[v].
	r := rand.New(rand.NewPCG(5, 6))
	var b [64]float32
	var f [64]float64
	for i := range b {
		f[i] = float64(r.IntN(256) - 128)
		b[i] = float32(f[i])
	}
	fdct(&b)
	c := func(k int) float64 {
		if k == 0 {
			return 1 / math.Sqrt2
		}
		return 1
	}
	for v := range 8 {
		for u := range 8 {
			var s float64
			for y := range 8 {
				for x := range 8 {
					s += f[8*y+x] * math.Cos(float64(2*x+1)*float64(u)*math.Pi/16) *
						math.Cos(float64(2*y+1)*float64(v)*math.Pi/16)
				}
			}
			want := c(u) * c(v) / 4 * s * 8 * aanScale[u] * aanScale[v]
			if got := float64(b[8*v+u]); math.Abs(got-want) > 1e-2*max(1, math.Abs(want)) {
				t.Errorf("F(%d,%d) = %g, want %g", u, v, got, want)
			}
		}
	}
}

func TestEncodePlanesMatchesImageJPEG(t *testing.T) {
	// The same planes through this encoder and through image/jpeg must
	// decode to nearly the same picture: they share the tables, and only
	// the rounding of the DCT differs.
	r := rand.New(rand.NewPCG(7, 8))
	for _, size := range []image.Point{{1, 1}, {17, 9}, {96, 64}, {333, 201}} {
		for _, grey := range []bool{false, true} {
			for _, q := range []int{50, 85, 100} {
				src := image.NewYCbCr(image.Rect(0, 0, size.X, size.Y),
					image.YCbCrSubsampleRatio420)
				for i := range src.Y {
					// Smooth with noise, as a photo.
					src.Y[i] = uint8(100 + 60*math.Sin(float64(i%size.X)/9) + float64(r.IntN(20)))
				}
				for i := range src.Cb {
					src.Cb[i], src.Cr[i] = uint8(110+r.IntN(20)), uint8(140+r.IntN(20))
				}
				p := yCbCrPlanar(src)
				var want image.Image = src
				if grey {
					p.planes = p.planes[:1]
					want = p.image()
				}
				data, err := encodePlanes(p, q)
				if err != nil {
					t.Fatal(err)
				}
				got, err := jpeg.Decode(bytes.NewReader(data))
				if err != nil {
					t.Fatalf("%v grey %v q%d: output does not decode: %v", size, grey, q, err)
				}
				var ref bytes.Buffer
				if err := jpeg.Encode(&ref, want, &jpeg.Options{Quality: q}); err != nil {
					t.Fatal(err)
				}
				if len(data) > ref.Len()*105/100+16 {
					t.Errorf("%v grey %v q%d: %d bytes, image/jpeg writes %d", size, grey, q,
						len(data), ref.Len())
				}
				refImg, _ := jpeg.Decode(&ref)
				if d := psnr(got, refImg); d < 40 {
					t.Errorf("%v grey %v q%d: PSNR %.1f dB against image/jpeg's", size, grey, q, d)
				}
			}
		}
	}
}

// psnr is the peak signal-to-noise ratio between two pictures' RGB.
func psnr(a, b image.Image) float64 {
	var se float64
	n := 0
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			r1, g1, b1, _ := a.At(x, y).RGBA()
			r2, g2, b2, _ := b.At(x, y).RGBA()
			for _, d := range []float64{float64(r1>>8) - float64(r2>>8),
				float64(g1>>8) - float64(g2>>8), float64(b1>>8) - float64(b2>>8)} {
				se += d * d
				n++
			}
		}
	}
	if se == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255/(se/float64(n)))
}
