package imaging

import "math"

// The Lanczos3 pass is done here, on the planes, rather than by
// github.com/nfnt/resize, which the tests keep as the reference it is
// checked against. nfnt/resize was measured as half the CPU of the step and
// it darkens pictures: its 8-bit path truncates each of its two passes
// (about -0.4 levels per variant, -1.5 at the thumbnail of a cascade), keeps
// its weights to 1/256, takes 6×ceil(ratio) taps where 6×ratio suffice,
// branches on every tap, and works on four interleaved channels (RGBA) where
// a JPEG has 1.5 samples per pixel (4:2:0). This pass filters each plane
// vertically then horizontally, one output row at a time (no full-size
// intermediate), in fixed point with one rounding at the end, and splits
// the rows among GOMAXPROCS goroutines.

// weightBits is the fixed-point precision of the filter weights: each
// output sample's weights add up to exactly 1<<weightBits.
const weightBits = 14

// interBits is the number of fractional bits kept between the vertical and
// the horizontal pass. With it, the horizontal sums stay under 2^31:
// 255×1.3 (ringing) × 2^interBits × 2^weightBits × 1.3 < 2^29.
const interBits = 6

// weights is a filter along one axis: output sample i is the sum over t of
// w[i*n+t] times source sample start[i]+t.
type weights struct {
	n     int
	start []int
	w     []int32
}

// lanczos3 is the Lanczos kernel with three lobes.
func lanczos3(x float64) float64 {
	x = math.Abs(x)
	switch {
	case x >= 3:
		return 0
	case x < 1e-8:
		return 1
	}
	px := math.Pi * x
	return 3 * math.Sin(px) * math.Sin(px/3) / (px * px)
}

// axisWeights is the Lanczos3 filter from srcN samples of unit su to dstN
// samples of unit du along one axis, where scale is the number of source
// luma pixels per output luma pixel. Sample centres are aligned as in JPEG
// (centred chroma). Taps past the edges fall on the edge sample.
func axisWeights(dstN, du, srcN, su int, scale float64) weights {
	ratio := float64(du) * scale / float64(su) // source samples per output sample
	stretch := max(ratio, 1)
	support := 3 * stretch
	// The taps j with |j - centre| < support number at most ceil(2×support).
	n := min(srcN, int(math.Ceil(2*support)))
	wt := weights{n: n, start: make([]int, dstN), w: make([]int32, dstN*n)}
	f := make([]float64, n)
	for i := range dstN {
		centre := float64(du)*(float64(i)+0.5)*scale/float64(su) - 0.5
		lo := int(math.Floor(centre-support)) + 1
		hi := int(math.Floor(centre + support))
		first := max(0, min(lo, srcN-n))
		clear(f)
		var sum float64
		for j := lo; j <= hi; j++ {
			v := lanczos3((float64(j) - centre) / stretch)
			idx := min(max(j, 0), srcN-1)
			f[idx-first] += v
			sum += v
		}
		wt.start[i] = first
		quantize(wt.w[i*n:(i+1)*n], f, sum)
	}
	return wt
}

// quantize writes f/sum as fixed-point weights that add up to exactly
// 1<<weightBits, so flat areas keep their value to the level; the rounding
// remainder goes to the largest weight, where it matters least.
func quantize(dst []int32, f []float64, sum float64) {
	const one = 1 << weightBits
	var total int32
	big := 0
	for t, v := range f {
		dst[t] = int32(math.Round(v / sum * one))
		total += dst[t]
		if dst[t] > dst[big] {
			big = t
		}
	}
	dst[big] += one - total
}

// resize returns p resampled with Lanczos3 to a w×h luma grid, with Y of
// unit 1 and chroma of unit 2 (4:2:0), the layout the JPEG encoder takes.
func (p planar) resize(w, h int) planar {
	sx, sy := float64(p.w)/float64(w), float64(p.h)/float64(h)
	out := planar{w: w, h: h, planes: make([]plane, len(p.planes))}
	for i, src := range p.planes {
		u := 1
		if i > 0 {
			u = 2
		}
		dw, dh := ceilDiv(w, u), ceilDiv(h, u)
		if src.w == dw && src.h == dh && src.ux == u && src.uy == u {
			out.planes[i] = src // already what is wanted, such as an unscaled variant
			continue
		}
		out.planes[i] = newPlane(dw, dh, u, u)
		resamplePlane(src, out.planes[i], axisWeights(dw, u, src.w, src.ux, sx),
			axisWeights(dh, u, src.h, src.uy, sy))
	}
	return out
}

// resamplePlane filters src into dst with the horizontal filter wx and the
// vertical filter wy.
func resamplePlane(src, dst plane, wx, wy weights) {
	parallelRows(dst.h, func(y0, y1 int) {
		acc := make([]int32, src.w)
		for y := y0; y < y1; y++ {
			verticalPass(acc, src, wy.start[y], wy.w[y*wy.n:(y+1)*wy.n])
			horizontalPass(dst.row(y), acc, wx)
		}
	})
}

// verticalPass sets acc to the weighted sum of the rows of src from start,
// with interBits fractional bits.
func verticalPass(acc []int32, src plane, start int, w []int32) {
	clear(acc)
	t := 0
	// Two rows at a time halves the loads and stores of acc.
	for ; t+1 < len(w); t += 2 {
		w0, w1 := w[t], w[t+1]
		if w0 == 0 && w1 == 0 {
			continue
		}
		r0 := src.row(start + t)
		r1 := src.row(start + t + 1)[:len(r0)]
		a := acc[:len(r0)]
		for x, v := range r0 {
			a[x] += w0*int32(v) + w1*int32(r1[x])
		}
	}
	if t < len(w) && w[t] != 0 {
		w0, r0 := w[t], src.row(start+t)
		a := acc[:len(r0)]
		for x, v := range r0 {
			a[x] += w0 * int32(v)
		}
	}
	const shift = weightBits - interBits
	for x, v := range acc {
		acc[x] = (v + 1<<(shift-1)) >> shift
	}
}

// horizontalPass filters one row of interBits fixed-point samples into dst,
// rounding to the nearest level and clamping the ringing to 0..255.
func horizontalPass(dst []byte, acc []int32, wx weights) {
	const shift = weightBits + interBits
	n := wx.n
	for x := range dst {
		ws := wx.w[x*n : x*n+n]
		px := acc[wx.start[x]:]
		px = px[:len(ws)]
		var s0, s1 int32
		t := 0
		// Four taps a step, in two sums, keeps the multiplies independent.
		for ; t+3 < len(ws); t += 4 {
			w, p := ws[t:t+4], px[t:t+4]
			s0 += w[0]*p[0] + w[2]*p[2]
			s1 += w[1]*p[1] + w[3]*p[3]
		}
		for ; t < len(ws); t++ {
			s0 += ws[t] * px[t]
		}
		s := (s0 + s1 + 1<<(shift-1)) >> shift
		dst[x] = uint8(min(max(s, 0), 255))
	}
}
