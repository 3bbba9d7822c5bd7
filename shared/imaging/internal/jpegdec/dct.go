// Copyright 2025 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package jpegdec

import "math"

// dctBox implements a 3-multiply, 3-add rotation+scaling.
// Given x0, x1, k*cos θ, and k*sin θ, dctBox returns the
// rotated and scaled coordinates.
// (It is called dctBox because the rotate+scale operation
// is drawn as a box in Figures 1 and 2 in the paper.)
func dctBox(x0, x1, kcos, ksin int32) (y0, y1 int32) {
	// y0 = x0*kcos + x1*ksin
	// y1 = -x0*ksin + x1*kcos
	ksum := kcos * (x0 + x1)
	y0 = ksum + (ksin-kcos)*x1
	y1 = ksum - (kcos+ksin)*x0
	return y0, y1
}

// A block is an 8x8 input to a 2D DCT (either the FDCT or IDCT).
// The input is actually only 8x8 uint8 values, and the outputs are 8x8 int16,
// but it is convenient to use int32s for intermediate storage,
// so we define only a single block type of [8*8]int32.
//
// A 2D DCT is implemented as 1D DCTs over the rows and columns.
//
// dct_test.go defines a String method for nice printing in tests.
type block [blockSize]int32

const blockSize = 8 * 8

// block16 is a block of quantized coefficients as a progressive file's
// scans leave them (imagepipe): 16 bits hold them all, since an 8-bit
// JPEG's quantized coefficients are at most 11 bits and its successive
// approximation only splits their bits; in 32 bits they were four bytes a
// sample of every component, the bulk of a progressive decoding's memory.
// Out-of-range values of a corrupt file wrap, as decoding garbage may.
type block16 = [blockSize]int16

// Note on Numerical Precision
//
// The inputs to both the FDCT and IDCT are uint8 values stored in a block,
// and the outputs are int16s in the same block, but the overall operation
// uses int32 values as fixed-point intermediate values.
// In the code comments below, the notation “QN.M” refers to a
// signed value of 1+N+M significant bits, one of which is the sign bit,
// and M of which hold fractional (sub-integer) precision.
// For example, 255 as a Q8.0 value is stored as int32(255),
// while 255 as a Q8.1 value is stored as int32(510),
// and 255.5 as a Q8.1 value is int32(511).
// The notation UQN.M refers to an unsigned value of N+M significant bits.
// See https://en.wikipedia.org/wiki/Q_(number_format) for more.
//
// In general we only need to keep about 16 significant bits, but it is more
// efficient and somewhat more precise to let unnecessary fractional bits
// accumulate and shift them away in bulk rather than after every operation.
// As such, it is important to keep track of the number of fractional bits
// in each variable at different points in the code, to avoid mistakes like
// adding numbers with different fractional precisions, as well as to keep
// track of the total number of bits, to avoid overflow. A comment like:
//
//	// x[123] now Q8.2.
//
// means that x1, x2, and x3 are all Q8.2 (11-bit) values.
// Keeping extra precision bits also reduces the size of the errors introduced
// by using right shift to approximate rounded division.

// Constants needed for the implementation.
// These are all 60-bit precision fixed-point constants.
// The function c(val, b) rounds the constant to b bits.
// c is simple enough that calls to it with constant args
// are inlined and constant-propagated down to an inline constant.
// Each constant is commented with its Ivy definition (see robpike.io/ivy),
// using this scaling helper function:
//
//	op fix x = floor 0.5 + x * 2**60
const (
	cos1          = 1130768441178740757 // fix cos 1*pi/16
	sin1          = 224923827593068887  // fix sin 1*pi/16
	cos3          = 958619196450722178  // fix cos 3*pi/16
	sin3          = 640528868967736374  // fix sin 3*pi/16
	sqrt2         = 1630477228166597777 // fix sqrt 2
	sqrt2_cos6    = 623956622067911264  // fix (sqrt 2)*cos 6*pi/16
	sqrt2_sin6    = 1506364539328854985 // fix (sqrt 2)*sin 6*pi/16
	sqrt2inv      = 815238614083298888  // fix 1/sqrt 2
	sqrt2inv_cos6 = 311978311033955632  // fix (1/sqrt 2)*cos 6*pi/16
	sqrt2inv_sin6 = 753182269664427492  // fix (1/sqrt 2)*sin 6*pi/16
)

func c(x uint64, bits int) int32 {
	return int32((x + (1 << (59 - bits))) >> (60 - bits))
}

// fdct implements the forward DCT.
// Inputs are UQ8.0; outputs are Q13.0.

// in [-2040, 2040] instead of [-255, 255], so the bound is 2040*3.6246 < 7395.

// idct implements the inverse DCT.
// Inputs are UQ8.0; outputs are Q10.3.
func idct(b *block) {
	// A 2D IDCT is a 1D IDCT on rows followed by columns.
	idctRows(b)
	idctCols(b)
}

// idctRows applies the 1D IDCT to the rows of b.
// Inputs are UQ8.0; outputs are Q9.20.
func idctRows(b *block) {
	for i := range 8 {
		x := b[8*i : 8*i+8 : 8*i+8]
		x0 := x[0]
		x7 := x[1]
		x2 := x[2]
		x5 := x[3]
		x1 := x[4]
		x6 := x[5]
		x3 := x[6]
		x4 := x[7]

		// Run FDCT backward.
		// Independent operations have been reordered somewhat
		// to make precision tracking easier.
		//
		// Note that “x0, x1 = x0+x1, x0-x1” is now a reverse butterfly
		// and carries with it an implicit divide by two: the extra bit
		// is added to the precision, not the value size.

		// x[01234567] are UQ8.0 in [0, 255].

		// Stages 4, 3, 2: x0, x1, x2, x3.

		x0 <<= 17
		x1 <<= 17
		// x0, x1 now UQ8.17.
		x0, x1 = x0+x1, x0-x1
		// x0 now UQ8.18 in [0, 255].
		// x1 now Q7.18 in [-127½, 127½].

		// Note: (1/sqrt 2)*((cos 6*pi/16)+(sin 6*pi/16)) < 0.924, so no new high bit.
		x2, x3 = dctBox(x2, x3, c(sqrt2inv_cos6, 18), -c(sqrt2inv_sin6, 18))
		// x[23] now Q8.18 in [-236, 236].
		x1, x2 = x1+x2, x1-x2
		x0, x3 = x0+x3, x0-x3
		// x[0123] now Q8.19 in [-246, 246].

		// Stages 4, 3, 2: x4, x5, x6, x7.

		x4 <<= 7
		x7 <<= 7
		// x[47] now UQ8.7
		x7, x4 = x7+x4, x7-x4
		// x7 now UQ8.8 in [0, 255].
		// x4 now Q7.8 in [-127½, 127½].

		x6 = x6 * c(sqrt2inv, 8)
		x5 = x5 * c(sqrt2inv, 8)
		// x[56] now UQ8.8 in [0, 181].
		// Note that 1/√2 has five 0s in its binary representation after
		// the 8th bit, so this multipliy is actually producing 12 bits of precision.

		x7, x5 = x7+x5, x7-x5
		x4, x6 = x4+x6, x4-x6
		// x[4567] now Q8.9 in [-218, 218].

		x4, x7 = dctBox(x4>>2, x7>>2, c(cos3, 12), -c(sin3, 12))
		x5, x6 = dctBox(x5>>2, x6>>2, c(cos1, 12), -c(sin1, 12))
		// x[4567] now Q9.19 in [-303, 303].

		// Stage 1.

		x0, x7 = x0+x7, x0-x7
		x1, x6 = x1+x6, x1-x6
		x2, x5 = x2+x5, x2-x5
		x3, x4 = x3+x4, x3-x4
		// x[01234567] now Q9.20 in [-275, 275].

		// Note: we don't need all 20 bits of “precision”,
		// but it is faster to let idctCols shift it away as part
		// of other operations rather than downshift here.

		x[0] = x0
		x[1] = x1
		x[2] = x2
		x[3] = x3
		x[4] = x4
		x[5] = x5
		x[6] = x6
		x[7] = x7
	}
}

// idctCols applies the 1D IDCT to the columns of b.
// Inputs are Q9.20.
// Outputs are Q10.3. That is, the result is the IDCT*8.
func idctCols(b *block) {
	for i := range 8 {
		x0 := b[0*8+i]
		x7 := b[1*8+i]
		x2 := b[2*8+i]
		x5 := b[3*8+i]
		x1 := b[4*8+i]
		x6 := b[5*8+i]
		x3 := b[6*8+i]
		x4 := b[7*8+i]

		// x[012345678] are Q9.20.

		// Start by adding 0.5 to x0 (the incoming DC signal).
		// The butterflies will add it to all the other values,
		// and then the final shifts will round properly.
		x0 += 1 << 19

		// Stages 4, 3, 2: x0, x1, x2, x3.

		x0, x1 = (x0+x1)>>2, (x0-x1)>>2
		// x[01] now Q9.19.
		// Note: (1/sqrt 2)*((cos 6*pi/16)+(sin 6*pi/16)) < 1, so no new high bit.
		x2, x3 = dctBox(x2>>13, x3>>13, c(sqrt2inv_cos6, 12), -c(sqrt2inv_sin6, 12))
		// x[0123] now Q9.19.

		x1, x2 = x1+x2, x1-x2
		x0, x3 = x0+x3, x0-x3
		// x[0123] now Q9.20.

		// Stages 4, 3, 2: x4, x5, x6, x7.

		x7, x4 = x7+x4, x7-x4
		// x[47] now Q9.21.

		x5 = (x5 >> 13) * c(sqrt2inv, 14)
		x6 = (x6 >> 13) * c(sqrt2inv, 14)
		// x[56] now Q9.21.

		x7, x5 = x7+x5, x7-x5
		x4, x6 = x4+x6, x4-x6
		// x[4567] now Q9.22.

		x4, x7 = dctBox(x4>>14, x7>>14, c(cos3, 12), -c(sin3, 12))
		x5, x6 = dctBox(x5>>14, x6>>14, c(cos1, 12), -c(sin1, 12))
		// x[4567] now Q10.20.

		x0, x7 = x0+x7, x0-x7
		x1, x6 = x1+x6, x1-x6
		x2, x5 = x2+x5, x2-x5
		x3, x4 = x3+x4, x3-x4
		// x[01234567] now Q10.21.

		x0 >>= 18
		x1 >>= 18
		x2 >>= 18
		x3 >>= 18
		x4 >>= 18
		x5 >>= 18
		x6 >>= 18
		x7 >>= 18
		// x[01234567] now Q10.3.

		b[0*8+i] = x0
		b[1*8+i] = x1
		b[2*8+i] = x2
		b[3*8+i] = x3
		b[4*8+i] = x4
		b[5*8+i] = x5
		b[6*8+i] = x6
		b[7*8+i] = x7
	}
}

// store8 level-shifts the 8×8 result of idct by +128, clips it to [0, 255]
// and writes it to dst.
func store8(dst []byte, stride int, b *block) {
	for y := range 8 {
		y8 := y * 8
		yStride := y * stride
		for x := range 8 {
			c := b[y8+x]
			if c < -128 {
				c = 0
			} else if c > 127 {
				c = 255
			} else {
				c += 128
			}
			dst[yStride+x] = uint8(c)
		}
	}
}

// Scaled inverse DCTs: an n×n block of samples from the n×n lowest
// frequencies of an 8×8 block, for n = 4, 2 and 1.
//
// JPEG's 8-point DCT is orthonormal, f(x) = Σ c(u)·F(u)·cos((2x+1)uπ/16)
// with c(0) = 1/(2√2) and c(u>0) = 1/2. Keeping the n lowest frequencies
// and evaluating the n-point inverse, g(x) = Σ_{u<n} c(u)·F(u)·
// cos((2x+1)uπ/2n) with the same c(u), gives n samples whose mean is the
// block's and whose spectrum is the block's own below the new Nyquist
// frequency: each is a low-passed average of 8/n pixels, which is what
// libjpeg's scaled decoding computes too.

// zigWithin[n] is how many zig-zag positions from the start cover the n×n
// lowest frequencies, the ones an n-point inverse uses: 25 for n = 4, whose
// last, (3,3), is at zig-zag index 24. Positions in between that lie outside
// the square are dequantized needlessly but not used.
var zigWithin = func() (z [9]int) {
	for zig, natural := range unzig {
		row, col := natural/8, natural%8
		for n := max(row, col) + 1; n <= 8; n++ {
			z[n] = max(z[n], zig+1)
		}
	}
	return z
}()

// idctBasis[n][x][u] is c(u)·cos((2x+1)uπ/2n) in 1.12 fixed point, for the
// scales without a factored inverse of their own.
var idctBasis = func() (b [8][][8]int) {
	for n := 1; n < 8; n++ {
		b[n] = make([][8]int, n)
		for x := range n {
			for u := range n {
				c := 0.5
				if u == 0 {
					c = 1 / (2 * math.Sqrt2)
				}
				b[n][x][u] = int(math.Round(4096 * c * math.Cos(float64((2*x+1)*u)*math.Pi/float64(2*n))))
			}
		}
	}
	return b
}()

// idctN writes the n×n samples of the dequantized block b to dst, for any
// n from 1 to 7, as sums over the basis: 2n³ multiplications.
func idctN(dst []byte, stride int, b *block, n int) {
	basis := idctBasis[n]
	var t [8][8]int // t[v][x]: the rows' inverses, .4
	for v := range n {
		f := b[8*v : 8*v+n]
		for x := range n {
			k := &basis[x]
			s := 0
			for u, c := range f {
				s += k[u] * int(c)
			}
			t[v][x] = (s + 1<<7) >> 8
		}
	}
	// Columns: .16, rounded, level-shifted by 128 and clamped.
	const bias = 128<<16 + 1<<15
	for y := range n {
		k := &basis[y]
		row := dst[y*stride : y*stride+n]
		for x := range row {
			s := bias
			for v := range n {
				s += k[v] * t[v][x]
			}
			row[x] = clampSample(s >> 16)
		}
	}
}

// reconstructEdgeBlock writes the n×n samples of a block at the far edge of
// the picture, of which only the first rx columns and ry rows are picture:
// b is the block's full 8×8 inverse (idct's output), and each sample is the
// average of the picture pixels it covers, by area, the 8/n pixels of a
// sample shared fractionally where n does not divide 8. Samples past the
// edge repeat the last that is not. The scaled inverses would give the edge
// sample the encoder's padding as well (a repeat of the last column or
// row), weighing the last pixels up to 8/n times, and a border line along
// the edge would show as a stripe in the variants.
func reconstructEdgeBlock(dst []byte, stride int, b *block, n, rx, ry int) {
	rx, ry = min(max(rx, 1), 8), min(max(ry, 1), 8)
	var px [8][8]int // the level-shifted, clamped pixels
	for y := range 8 {
		for x := range 8 {
			px[y][x] = min(max(int(b[8*y+x])+128, 0), 255)
		}
	}
	wx, sx := areaWeights(n, rx)
	wy, sy := areaWeights(n, ry)
	for j := range n {
		for i := range n {
			var s int
			for y := range ry {
				if wy[j][y] == 0 {
					continue
				}
				var row int
				for x := range rx {
					row += wx[i][x] * px[y][x]
				}
				s += wy[j][y] * row
			}
			d := sx[i] * sy[j]
			dst[j*stride+i] = uint8((s + d/2) / d)
		}
	}
}

// areaWeights returns, for the n samples of a block edge of which r pixels
// are picture, how much of each of those pixels each sample covers, in
// 1/n of a pixel, and the sum for each sample. A sample that covers none of
// them takes the weights of the last one that does.
func areaWeights(n, r int) (w [8][8]int, sum [8]int) {
	for j := range n {
		lo, hi := 8*j, min(8*j+8, r*n) // in 1/n of a pixel
		for p := range r {
			w[j][p] = max(0, min(hi, p*n+n)-max(lo, p*n))
			sum[j] += w[j][p]
		}
		if sum[j] == 0 {
			w[j], sum[j] = w[j-1], sum[j-1]
		}
	}
	return w, sum
}

// idct4 writes the 4×4 samples of the dequantized block b to dst.
//
// With n = 4 the cosines are those of π/8 and π/4, and the 4-point inverse
// splits into an even half, (F0 ± F2)/(2√2), and an odd half, (F1·cos π/8 ±
// F3·sin π/8)/2 and (F1·sin π/8 ∓ F3·cos π/8)/2: six multiplications a row
// or column where the plain sum takes sixteen. The constants are 1.12 fixed
// point; the rows keep 4 fractional bits for the columns.
func idct4(dst []byte, stride int, b *block) {
	const (
		k  = 1448 // 2¹² / (2√2)
		c1 = 1892 // 2¹² · cos(π/8) / 2
		s1 = 784  // 2¹² · sin(π/8) / 2
	)
	var t [16]int // rows of the row pass, .4
	for v := range 4 {
		f0, f1, f2, f3 := int(b[8*v]), int(b[8*v+1]), int(b[8*v+2]), int(b[8*v+3])
		e0, e1 := k*(f0+f2), k*(f0-f2)
		o0, o1 := c1*f1+s1*f3, s1*f1-c1*f3
		r := t[4*v : 4*v+4 : 4*v+4]
		e0, e1 = e0+1<<7, e1+1<<7 // rounding the shift to .4
		r[0], r[3] = (e0+o0)>>8, (e0-o0)>>8
		r[1], r[2] = (e1+o1)>>8, (e1-o1)>>8
	}
	// Columns: .16, rounded, level-shifted by 128 and clamped.
	const bias = 128<<16 + 1<<15
	for x := range 4 {
		f0, f1, f2, f3 := t[x], t[4+x], t[8+x], t[12+x]
		e0, e1 := k*(f0+f2)+bias, k*(f0-f2)+bias
		o0, o1 := c1*f1+s1*f3, s1*f1-c1*f3
		dst[x] = clampSample((e0 + o0) >> 16)
		dst[stride+x] = clampSample((e1 + o1) >> 16)
		dst[2*stride+x] = clampSample((e1 - o1) >> 16)
		dst[3*stride+x] = clampSample((e0 - o0) >> 16)
	}
}

// idct3 writes the 3×3 samples of the dequantized block b to dst.
//
// With n = 3 the cosines are √3/2, 0 and ½: g(0), g(2) = k·F0 + F2/4 ±
// (√3/4)·F1 and g(1) = k·F0 − F2/2, with k = 1/(2√2), two multiplications
// a row or column. Constants in 1.12 fixed point, rows kept to .4.
func idct3(dst []byte, stride int, b *block) {
	const (
		k = 1448 // 2¹² / (2√2)
		a = 1774 // 2¹² · √3/4
	)
	var t [9]int
	for v := range 3 {
		f0, f1, f2 := int(b[8*v]), int(b[8*v+1]), int(b[8*v+2])
		e, o := k*f0+1<<7, a*f1
		r := t[3*v : 3*v+3 : 3*v+3]
		r[0], r[2] = (e+f2<<10+o)>>8, (e+f2<<10-o)>>8
		r[1] = (e - f2<<11) >> 8
	}
	const bias = 128<<16 + 1<<15
	for x := range 3 {
		f0, f1, f2 := t[x], t[3+x], t[6+x]
		e, o := k*f0+bias, a*f1
		dst[x] = clampSample((e + f2<<10 + o) >> 16)
		dst[stride+x] = clampSample((e - f2<<11) >> 16)
		dst[2*stride+x] = clampSample((e + f2<<10 - o) >> 16)
	}
}

// idct2 writes the 2×2 samples of the dequantized block b to dst: with n = 2
// every c(u)·cos term is ±1/(2√2), so each sample is a signed sum of the
// four coefficients over 8.
func idct2(dst []byte, stride int, b *block) {
	f00, f01, f10, f11 := int(b[0]), int(b[1]), int(b[8]), int(b[9])
	dst[0] = eighth(f00 + f01 + f10 + f11)
	dst[1] = eighth(f00 - f01 + f10 - f11)
	dst[stride] = eighth(f00 + f01 - f10 - f11)
	dst[stride+1] = eighth(f00 - f01 - f10 + f11)
}

// idct1 writes the one sample of a block whose dequantized DC is dc: the
// block's mean, dc/8.
func idct1(dst []byte, dc int32) {
	dst[0] = eighth(int(dc))
}

// eighth returns v/8 + 128, rounded half to even and clamped: with halves
// rounded up, the samples of flat blocks would come out 1/16 of a level
// bright on average.
func eighth(v int) uint8 {
	v += 128 << 3
	return clampSample((v + 3 + (v>>3)&1) >> 3)
}

// clampSample clips v to [0, 255].
func clampSample[T int | int64](v T) uint8 {
	return uint8(min(max(v, 0), 255))
}
