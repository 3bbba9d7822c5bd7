package imaging

import (
	"encoding/binary"
	"image"
	"sync"

	"github.com/nfnt/resize"
)

// The Lanczos3 pass is github.com/nfnt/resize's, run on each plane after
// the reduction before it has done the bulk of the work: for a JPEG the
// decoder's n/8 scaling in the DCT domain (internal/jpegdec), for other
// formats the integer box (planar.go). From the decoded picture nfnt then
// scales by 1 to 8/7 for most photographs (to 2 at the most); between
// variants by the ratio of their sizes (2 and 4 for the defaults), after a
// box only where its factor divides the larger variant's size (see render
// in process.go).
//
// nfnt is always given 16-bit samples, the 8-bit ones shifted left by 8, and
// the result is rounded back to 8 bits here. Its other paths would move
// colours: its *image.YCbCr path converts to its own YCbCr and shifts red
// and blue by about two levels per resize, and its 8-bit paths
// (*image.Gray, *image.RGBA) truncate each of their two passes, about -0.4
// levels per variant and -1.5 at the thumbnail of a cascade. Its 16-bit
// paths truncate too, but to 1/65535 of the range: after the rounding here
// a plane's mean moves by under a hundredth of a level per variant.
//
// nfnt's cost is per tap of its inner loop (6×ceil(ratio) taps, each tested
// for zero and for the edges, a 64-bit multiply-add), not per channel, so
// lanczos3Plane hands it four samples to a pixel through its RGBA64 path,
// one dimension per call; see there. That is still half of the step's CPU
// on the benchmark's photos (bench/README.md), and the one part of it this
// package does not write.
//
// TODO: nfnt can only map whole source samples onto its result, so each
// plane is misplaced by up to half a source sample at its far edge (see
// extent); on a synthetic gradient the mean colour of a 200 px variant moves
// by about a quarter of a level (0.03 with a resampler that places samples
// exactly), on the benchmark's photos by 0.12 at most.
//
// The three planes are scaled concurrently, and nfnt splits the rows of each
// of its passes among GOMAXPROCS goroutines. Scaling the planes one after
// the other measured the same CPU time within the noise of a shared
// machine; concurrently, the chroma planes need not wait for the luma.

// resize returns p resampled with Lanczos3 to a w×h luma grid, with Y of
// unit 1 and chroma of unit 2 (4:2:0), the layout the JPEG encoder takes.
func (p planar) resize(w, h int) planar {
	out := planar{w: w, h: h, planes: make([]plane, len(p.planes))}
	pw, ph := p.exact()
	var wg sync.WaitGroup
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
		// The source samples that cover what the dw×dh result covers.
		sw := extent(dw*u, pw, w, src.ux)
		sh := extent(dh*u, ph, h, src.uy)
		wg.Go(func() { out.planes[i] = lanczos3Plane(src, sw, sh, dw, dh, u) })
	}
	wg.Wait()
	return out
}

// extent is how many source samples of unit su span n pixels of a result
// whose dst pixels stand for src8/8 source pixels (see planar.exact),
// rounded to the nearest.
//
// nfnt/resize maps the edges of its source onto those of its result. Planes
// rarely end where the picture does: a box block or a chroma sample at the
// far edge may hang over it (an odd-sized picture's chroma, a height that
// the box factor does not divide), and a 4:2:0 result's chroma covers one
// pixel more than an odd-sized variant. Given the planes as they are, nfnt
// would stretch the picture by the difference, up to one and a half source
// samples: the mean colour of a 200 px variant moved by half a level. So
// each plane is cropped or extended (repeating its edge, as the filter does
// past the edge anyway) to the span that matches, which leaves at most half
// a source sample of misplacement at the far edge.
func extent(n, src8, dst, su int) int {
	return max(1, int((2*int64(n)*int64(src8)+8*int64(dst)*int64(su))/(16*int64(dst)*int64(su))))
}

// lanczos3Plane scales the first sw×sh samples of src, its edge repeated
// where that is more than src holds, to w×h samples of unit u×u with
// nfnt/resize's Lanczos3 in 16 bits, rounding the result to the nearest
// 8-bit level.
//
// nfnt spends its time per tap of its loop, not per channel: its 16-bit
// RGBA path (*image.RGBA64) filters four channels for the cost of about one
// and a half grey ones. So the plane goes through nfnt twice, four samples
// to a pixel, once for each dimension: across with four rows in the
// channels of each pixel, then down with four neighbouring columns in them.
// The other dimension of each call is kept as it is, which nfnt does with a
// single tap of weight one, so exactly. The result is the very one nfnt
// gives the plane as an *image.Gray16 (TestPackedIsNfntGray16), in about
// four fifths of the time (BenchmarkLanczos3Plane; the calls that keep a
// dimension still pay nfnt's per-sample division and its loop).
func lanczos3Plane(src plane, sw, sh, w, h, u int) plane {
	// Across: pixel (x, g) holds samples (x, 4g..4g+3), as v<<8 big-endian.
	groups := ceilDiv(sh, 4)
	in := image.NewRGBA64(image.Rect(0, 0, sw, groups))
	n := min(sw, src.w)
	for g := range groups {
		dst := in.Pix[g*in.Stride : g*in.Stride+8*sw]
		var rows [4][]byte
		for c := range rows {
			rows[c] = src.row(min(4*g+c, sh-1, src.h-1))[:n]
		}
		r0, r1, r2, r3 := rows[0], rows[1][:n], rows[2][:n], rows[3][:n]
		for x := range r0 {
			binary.BigEndian.PutUint64(dst[8*x:],
				uint64(r0[x])<<56|uint64(r1[x])<<40|uint64(r2[x])<<24|uint64(r3[x])<<8)
		}
		for x := n; x < sw; x++ {
			copy(dst[8*x:8*x+8], dst[8*n-8:8*n])
		}
	}
	across := resize.Resize(uint(w), uint(groups), in, resize.Lanczos3).(*image.RGBA64)

	// Down: pixel (X, y) holds samples (4X..4X+3, y), still 16-bit.
	cols := ceilDiv(w, 4)
	in = image.NewRGBA64(image.Rect(0, 0, cols, sh))
	for y := range sh {
		s := across.Pix[(y/4)*across.Stride+2*(y%4) : (y/4)*across.Stride+8*w]
		d := in.Pix[y*in.Stride : y*in.Stride+8*cols]
		x := 0
		for ; x+4 <= w; x += 4 {
			binary.BigEndian.PutUint64(d[2*x:],
				uint64(binary.BigEndian.Uint16(s[8*x:]))<<48|
					uint64(binary.BigEndian.Uint16(s[8*x+8:]))<<32|
					uint64(binary.BigEndian.Uint16(s[8*x+16:]))<<16|
					uint64(binary.BigEndian.Uint16(s[8*x+24:])))
		}
		for ; x < w; x++ {
			d[2*x], d[2*x+1] = s[8*x], s[8*x+1]
		}
		for ; x < 4*cols; x++ {
			d[2*x], d[2*x+1] = d[2*w-2], d[2*w-1]
		}
	}
	down := resize.Resize(uint(cols), uint(h), in, resize.Lanczos3).(*image.RGBA64)

	out := newPlane(w, h, u, u)
	for y := range h {
		s := down.Pix[y*down.Stride : y*down.Stride+2*w]
		d := out.row(y)
		for x := range d {
			v := uint32(s[2*x])<<8 | uint32(s[2*x+1])
			d[x] = uint8(min((v+0x80)>>8, 255))
		}
	}
	return out
}
