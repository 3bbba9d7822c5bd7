package jpegdec

import (
	"math"
	"math/rand/v2"
	"testing"
)

// scaledIDCT is the n-point inverse of the n×n lowest frequencies of b in
// floating point, level-shifted and clamped: what idct4, idct2 and idct1
// compute in fixed point, and idctN for the other sizes.
func scaledIDCT(b *block, n int) []float64 {
	c := func(u int) float64 {
		if u == 0 {
			return 1 / (2 * math.Sqrt2)
		}
		return 0.5
	}
	out := make([]float64, n*n)
	for y := range n {
		for x := range n {
			var s float64
			for v := range n {
				for u := range n {
					s += c(u) * c(v) * float64(b[8*v+u]) *
						math.Cos(float64((2*x+1)*u)*math.Pi/float64(2*n)) *
						math.Cos(float64((2*y+1)*v)*math.Pi/float64(2*n))
				}
			}
			out[y*n+x] = min(max(s+128, 0), 255)
		}
	}
	return out
}

// TestScaledIDCT: on random blocks with the coefficient magnitudes of real
// photos (large DC, falling AC), every sample is within one level of the
// exact inverse, and the mean error is near zero.
func TestScaledIDCT(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for n := 1; n < 8; n++ {
		var worst, sum float64
		const blocks = 3000
		for range blocks {
			var b block
			b[0] = int32(r.IntN(2048) - 1024)
			for i := 1; i < 64; i++ {
				scale := 600 / (1 + i/4)
				b[i] = int32(r.IntN(2*scale+1) - scale)
			}
			want := scaledIDCT(&b, n)
			dst := make([]byte, n*n)
			switch n {
			case 4:
				idct4(dst, 4, &b)
			case 3:
				idct3(dst, 3, &b)
			case 2:
				idct2(dst, 2, &b)
			case 1:
				idct1(dst, b[0])
			default:
				idctN(dst, n, &b, n)
			}
			if n == 3 || n == 4 {
				// The factored inverses agree with the plain sums.
				sums := make([]byte, n*n)
				idctN(sums, n, &b, n)
				for i := range sums {
					if d := int(sums[i]) - int(dst[i]); d < -1 || d > 1 {
						t.Fatalf("n=%d: sample %d is %d, the sum over the basis %d", n, i, dst[i], sums[i])
					}
				}
			}
			for i, w := range want {
				d := float64(dst[i]) - w
				worst = max(worst, math.Abs(d))
				sum += d
			}
		}
		mean := sum / float64(blocks*n*n)
		if worst > 1 || math.Abs(mean) > 0.01 {
			t.Errorf("n=%d: worst error %.3f, mean %+.4f levels", n, worst, mean)
		}
		t.Logf("n=%d: worst error %.3f, mean %+.4f levels", n, worst, mean)
	}
}
