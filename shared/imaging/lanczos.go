package imaging

import (
	"image"
	"sync"

	"github.com/nfnt/resize"
)

// The Lanczos3 pass is github.com/nfnt/resize's, run on each plane after the
// integer box pre-shrink (planar.go) has done the bulk of the reduction: from
// the decoded picture nfnt scales by 1 to 2 times; between variants by the
// ratio of their sizes (2 and 4 for the defaults), after a box only where
// its factor divides the larger variant's size (see render in process.go).
//
// Each plane is handed to nfnt as an *image.Gray16 holding the 8-bit samples
// shifted left by 8, and the result is rounded back to 8 bits here. nfnt's
// other paths would move colours: its *image.YCbCr path converts to its own
// YCbCr and shifts red and blue by about two levels per resize, and its
// 8-bit paths (*image.Gray, *image.RGBA) truncate each of their two passes,
// about -0.4 levels per variant and -1.5 at the thumbnail of a cascade,
// while being only about 15% faster. Its 16-bit path truncates too, but to
// 1/65535 of the range: after the rounding here a plane's mean moves by
// under a hundredth of a level per variant.
//
// TODO: nfnt/resize is about two thirds of the CPU after the decoding, 160
// to 230 ms per job on the benchmark's photos, which puts the step at 1.9
// to 2.7 times libvips's CPU against the 1.3 asked for (bench/README.md).
// It takes 6×ceil(ratio) taps (12 for a reduction by 1.02, where 6.1 would
// do), tests every tap for zero and for the edges, accumulates in 64 bits,
// divides every sample by its weight sum and writes its first pass
// transposed; a fixed-point separable Lanczos3 on the same planes was
// profiled at an eighth of its time. No setting of nfnt changes that, and
// the box cannot take more of the reduction without the variants losing
// detail (see decodedLanczosRatio).
//
// TODO: nfnt can only map whole source samples onto its result, so each
// plane is misplaced by up to half a source sample at its far edge (see
// extent); on a synthetic gradient the mean colour of a 200 px variant moves
// by about a quarter of a level (0.03 with a resampler that places samples
// exactly), on the benchmark's photos by 0.05 at most.
//
// The three planes are scaled concurrently, and nfnt splits the rows of each
// of its passes among GOMAXPROCS goroutines. Scaling the planes one after
// the other measured the same CPU time within the noise of a shared
// machine; concurrently, the chroma planes need not wait for the luma.

// resize returns p resampled with Lanczos3 to a w×h luma grid, with Y of
// unit 1 and chroma of unit 2 (4:2:0), the layout the JPEG encoder takes.
func (p planar) resize(w, h int) planar {
	out := planar{w: w, h: h, planes: make([]plane, len(p.planes))}
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
		sw := extent(dw*u, p.w, w, src.ux)
		sh := extent(dh*u, p.h, h, src.uy)
		wg.Go(func() { out.planes[i] = lanczos3Plane(src, sw, sh, dw, dh, u) })
	}
	wg.Wait()
	return out
}

// extent is how many source samples of unit su span n pixels of a result
// whose dst pixels stand for src source pixels, rounded to the nearest.
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
func extent(n, src, dst, su int) int {
	return max(1, int((2*int64(n)*int64(src)+int64(dst)*int64(su))/(2*int64(dst)*int64(su))))
}

// lanczos3Plane scales the first sw×sh samples of src, its edge repeated
// where that is more than src holds, to w×h samples of unit u×u with
// nfnt/resize's Lanczos3 in 16 bits, rounding the result to the nearest
// 8-bit level.
func lanczos3Plane(src plane, sw, sh, w, h, u int) plane {
	in := image.NewGray16(image.Rect(0, 0, sw, sh))
	for y := range sh {
		row := src.row(min(y, src.h-1))
		dst := in.Pix[y*in.Stride : y*in.Stride+2*sw]
		for x := range sw {
			dst[2*x] = row[min(x, src.w-1)] // big-endian v<<8: the low byte stays zero
		}
	}

	m := resize.Resize(uint(w), uint(h), in, resize.Lanczos3).(*image.Gray16)

	out := newPlane(w, h, u, u)
	for y := range h {
		s := m.Pix[y*m.Stride : y*m.Stride+2*w]
		d := out.row(y)
		for x := range d {
			v := uint32(s[2*x])<<8 | uint32(s[2*x+1])
			d[x] = uint8(min((v+0x80)>>8, 255))
		}
	}
	return out
}
