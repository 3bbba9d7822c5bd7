package imaging

import (
	"encoding/binary"
	"image"
	"image/color"
	"math/bits"
)

// The working image of the pipeline is planar: one 8-bit plane for grey
// pictures, or Y, Cb and Cr planes (JPEG's full-range BT.601) for colour
// ones. A JPEG decodes to such planes and the encoder (jpegenc.go) writes
// them, so a JPEG upload is never converted to RGB at all: that saves a pass
// over every pixel, and filtering 4:2:0 chroma at its own size is half the
// samples of RGB. Filtering Y, Cb and Cr is the same as filtering R, G and B,
// since the conversion between them is affine; only the clamping of ringing
// differs, at saturated hard edges.
//
// Each plane knows how many pixels of the picture's luma grid one of its
// samples covers (its unit), so chroma at any subsampling, and planes that
// were box-reduced on the way, are filtered in the right place.

// plane is one channel: w×h samples, each covering ux×uy pixels of the luma
// grid of the picture it belongs to.
type plane struct {
	pix          []byte
	w, h, stride int
	ux, uy       int
}

// row returns the samples of row y.
func (p *plane) row(y int) []byte { return p.pix[y*p.stride : y*p.stride+p.w] }

// planar is a picture as planes over a w×h luma grid.
type planar struct {
	w, h   int
	planes []plane // Y alone, or Y, Cb, Cr
	// exactW and exactH are how far the picture reaches on the grid, in
	// eighths of a sample, where it ends inside the last column or row: a
	// JPEG decoded at n/8 covers width×n/8 samples, which the grid rounds
	// up. Zero means all of w and h.
	exactW, exactH int
}

// exact returns how far the picture reaches on p's grid, in eighths of a
// sample.
func (p planar) exact() (int, int) {
	w, h := p.exactW, p.exactH
	if w == 0 {
		w = 8 * p.w
	}
	if h == 0 {
		h = 8 * p.h
	}
	return w, h
}

// newPlane allocates a plane of w×h samples of unit ux×uy.
func newPlane(w, h, ux, uy int) plane {
	return plane{pix: make([]byte, w*h), w: w, h: h, stride: w, ux: ux, uy: uy}
}

// ceilDiv is a/b rounded up, for positive numbers.
func ceilDiv(a, b int) int { return (a + b - 1) / b }

// chromaUnits returns the units of Cb and Cr in a JPEG-style YCbCr image.
func chromaUnits(r image.YCbCrSubsampleRatio) (ux, uy int) {
	switch r {
	case image.YCbCrSubsampleRatio422:
		return 2, 1
	case image.YCbCrSubsampleRatio420:
		return 2, 2
	case image.YCbCrSubsampleRatio440:
		return 1, 2
	case image.YCbCrSubsampleRatio411:
		return 4, 1
	case image.YCbCrSubsampleRatio410:
		return 4, 2
	}
	return 1, 1
}

// yCbCrPlanar wraps a full-range YCbCr image at the origin without copying.
func yCbCrPlanar(m *image.YCbCr) planar {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	ux, uy := chromaUnits(m.SubsampleRatio)
	cw, ch := ceilDiv(w, ux), ceilDiv(h, uy)
	return planar{w: w, h: h, planes: []plane{
		{pix: m.Y, w: w, h: h, stride: m.YStride, ux: 1, uy: 1},
		{pix: m.Cb, w: cw, h: ch, stride: m.CStride, ux: ux, uy: uy},
		{pix: m.Cr, w: cw, h: ch, stride: m.CStride, ux: ux, uy: uy},
	}}
}

// shrink box-reduces p by whole factors so that luma has unit k and chroma
// unit 2k wherever its own unit allows (2k is what a 4:2:0 output needs, so
// full-resolution chroma is averaged 2×2 at the same time). A plane already
// coarse enough is returned as it is, without a copy.
func (p planar) shrink(k int) planar {
	out := planar{w: p.w, h: p.h, planes: make([]plane, len(p.planes)),
		exactW: p.exactW, exactH: p.exactH}
	for i, pl := range p.planes {
		want := k
		if i > 0 {
			want = 2 * k
		}
		out.planes[i] = boxPlane(pl, max(1, want/pl.ux), max(1, want/pl.uy))
	}
	return out
}

// boxPlane averages bx×by blocks of p, rounded half to even (see
// averageBlocks); blocks at the right and bottom edges average the samples
// they hold.
func boxPlane(p plane, bx, by int) plane {
	if bx == 1 && by == 1 {
		return p
	}
	out := newPlane(ceilDiv(p.w, bx), ceilDiv(p.h, by), p.ux*bx, p.uy*by)
	parallelRows(out.h, func(y0, y1 int) {
		cols := make([]uint32, p.w)
		blocks := make([]uint32, out.w)
		var sums columnSums
		for oy := y0; oy < y1; oy++ {
			sy0, sy1 := oy*by, min(oy*by+by, p.h)
			sums.add(cols, p, sy0, sy1)
			averageBlocks(out.row(oy), blocks, cols, bx, uint32(sy1-sy0))
		}
	})
	return out
}

// columnSums adds up columns of rows eight samples at a time, in four 16-bit
// lanes of a word for the even samples and four for the odd ones (SIMD
// within a register). The 4:2:0 planes of a 24 MP photo are 36 MB; this is
// the one pass over all of them, so it is worth the bit twiddling.
type columnSums struct {
	even, odd []uint64
}

// lanes selects the low byte of each 16-bit lane.
const lanes = 0x00ff00ff00ff00ff

// add sets cols[x] to the sum of column x of rows y0 to y1 of p.
func (c *columnSums) add(cols []uint32, p plane, y0, y1 int) {
	if y1-y0 > 256 { // a lane holds the sum of 257 samples at most
		clear(cols)
		for y := y0; y < y1; y++ {
			for x, v := range p.row(y) {
				cols[x] += uint32(v)
			}
		}
		return
	}
	words := p.w / 8
	if cap(c.even) < words {
		c.even, c.odd = make([]uint64, words), make([]uint64, words)
	}
	even, odd := c.even[:words], c.odd[:words]
	clear(even)
	clear(odd)
	tail := cols[8*words:]
	clear(tail)
	for y := y0; y < y1; y++ {
		row := p.row(y)
		for i := range even {
			v := binary.LittleEndian.Uint64(row[8*i:])
			even[i] += v & lanes
			odd[i] += v >> 8 & lanes
		}
		for x, v := range row[8*words:] {
			tail[x] += uint32(v)
		}
	}
	for i, e := range even {
		o := odd[i]
		d := cols[8*i : 8*i+8]
		d[0], d[1] = uint32(e&0xffff), uint32(o&0xffff)
		d[2], d[3] = uint32(e>>16&0xffff), uint32(o>>16&0xffff)
		d[4], d[5] = uint32(e>>32&0xffff), uint32(o>>32&0xffff)
		d[6], d[7] = uint32(e>>48), uint32(o>>48)
	}
}

// averageBlocks writes the mean of each run of bx column sums, each of rows
// samples, to dst; the last run may be shorter. sums is scratch space of
// len(dst).
//
// Means are rounded half to even. Rounding halves up would brighten: the
// mean of a 2×2 block ends in .5 a quarter of the time, which adds 1/8 of a
// level to Y, Cb and Cr, and so about +0.3 to red and blue, at every box
// reduction of a cascade.
func averageBlocks(dst []byte, sums, cols []uint32, bx int, rows uint32) {
	full := len(cols) / bx
	// The runs are taken by slicing, which the compiler can prove in
	// bounds, where cols[bx*i+j] would be checked each time.
	switch s := sums[:full]; bx {
	case 2:
		for i := range s {
			c := cols[2*i : 2*i+2]
			s[i] = c[0] + c[1]
		}
	case 3:
		for i := range s {
			c := cols[3*i : 3*i+3]
			s[i] = c[0] + c[1] + c[2]
		}
	case 4:
		for i := range s {
			c := cols[4*i : 4*i+4]
			s[i] = c[0] + c[1] + c[2] + c[3]
		}
	default:
		for i := range s {
			var t uint32
			for _, v := range cols[i*bx : i*bx+bx] {
				t += v
			}
			s[i] = t
		}
	}
	divide(dst[:full], sums[:full], rows*uint32(bx))
	if full < len(dst) {
		var t uint32
		for _, v := range cols[full*bx:] {
			t += v
		}
		divide(dst[full:], []uint32{t}, rows*uint32(len(cols)-full*bx))
	}
}

// divide sets dst[i] to sums[i]/n rounded half to even, without a division
// per sample, which would cost more than the sums.
func divide(dst []byte, sums []uint32, n uint32) {
	sums = sums[:len(dst)]
	switch {
	case n == 1:
		for i, s := range sums {
			dst[i] = uint8(s)
		}
	case n&(n-1) == 0:
		// A power of two (2×2 blocks, the usual case): the low bit of the
		// truncated mean settles the halves.
		sh := uint(bits.TrailingZeros32(n))
		bias := n/2 - 1
		for i, s := range sums {
			dst[i] = uint8((s + bias + s>>sh&1) >> sh)
		}
	case n < 4096:
		// Multiplying by the rounded-up reciprocal is exact for sums below
		// 2^32/n, which 256×n is for blocks under 4096 samples.
		inv := (1<<32 + uint64(n) - 1) / uint64(n)
		even := 1 - n&1
		for i, s := range sums {
			s += n / 2
			q := uint32(uint64(s) * inv >> 32)
			// tie is 1 when s is a multiple of n, when the mean was exactly
			// half way; then an odd q is brought down to the even one below.
			tie := uint32((uint64(q*n^s) - 1) >> 63)
			dst[i] = uint8(q &^ (tie & even))
		}
	default:
		for i, s := range sums {
			q := (s + n/2) / n
			if n&1 == 0 && q*n == s+n/2 {
				q &^= 1
			}
			dst[i] = uint8(q)
		}
	}
}

// toPlanar makes the working image of img drawn on canvas over bg, reduced
// by the whole factor k (luma unit k, chroma unit 2k). A JPEG's YCbCr is
// used as decoded (box-reduced when k > 1); grey images become one plane;
// everything else goes through the RGB row converters, which flatten
// transparency, and is turned into YCbCr while it is reduced, so no
// full-size RGB copy is made.
func toPlanar(img image.Image, canvas image.Rectangle, k int, bg color.RGBA,
	studio bool) planar {
	atOrigin := img.Bounds() == canvas && canvas.Min == (image.Point{})
	if m, ok := img.(*image.YCbCr); ok && !studio && atOrigin {
		return yCbCrPlanar(m).shrink(k)
	}
	if g, ok := img.(*image.Gray); ok && atOrigin {
		gp := plane{pix: g.Pix, w: canvas.Dx(), h: canvas.Dy(), stride: g.Stride, ux: 1, uy: 1}
		return planar{w: gp.w, h: gp.h, planes: []plane{boxPlane(gp, k, k)}}
	}
	conv, bpp := converter(img, canvas, bg, studio)
	if bpp == 1 {
		// 16-bit grey: one byte a pixel is half of what was decoded.
		gp := newPlane(canvas.Dx(), canvas.Dy(), 1, 1)
		parallelRows(gp.h, func(y0, y1 int) {
			for y := y0; y < y1; y++ {
				conv(canvas.Min.Y+y, gp.row(y))
			}
		})
		return planar{w: gp.w, h: gp.h, planes: []plane{boxPlane(gp, k, k)}}
	}
	return rgbPlanar(conv, canvas, k)
}

// rgbPlanar converts the RGBA rows of conv into Y planes of unit k and Cb, Cr
// planes of unit 2k, averaging in RGB (the same as averaging in YCbCr) and
// converting each average once, with the formula of [color.RGBToYCbCr]
// evaluated without its intermediate rounding.
func rgbPlanar(conv rowFunc, canvas image.Rectangle, k int) planar {
	w, h := canvas.Dx(), canvas.Dy()
	lw, lh := ceilDiv(w, k), ceilDiv(h, k)
	cw, ch := ceilDiv(lw, 2), ceilDiv(lh, 2)
	out := planar{w: w, h: h, planes: []plane{
		newPlane(lw, lh, k, k), newPlane(cw, ch, 2*k, 2*k), newPlane(cw, ch, 2*k, 2*k)}}
	yp, cb, cr := &out.planes[0], &out.planes[1], &out.planes[2]

	parallelRows(ch, func(c0, c1 int) {
		row := make([]byte, 4*w)
		// RGB sums of the blocks of two luma rows, and their pixel counts.
		acc := make([]uint32, 2*3*lw)
		cnt := make([]uint32, 2*lw)
		for cy := c0; cy < c1; cy++ {
			clear(acc)
			clear(cnt)
			for sub := range 2 {
				ly := 2*cy + sub
				if ly >= lh {
					break
				}
				a, n := acc[sub*3*lw:(sub+1)*3*lw], cnt[sub*lw:(sub+1)*lw]
				for sy := ly * k; sy < min(ly*k+k, h); sy++ {
					conv(canvas.Min.Y+sy, row)
					for b := range lw {
						x0, x1 := b*k, min(b*k+k, w)
						var r, g, bl uint32
						px := row[4*x0 : 4*x1]
						for i := 0; i+3 < len(px); i += 4 {
							r += uint32(px[i])
							g += uint32(px[i+1])
							bl += uint32(px[i+2])
						}
						a[3*b] += r
						a[3*b+1] += g
						a[3*b+2] += bl
						n[b] += uint32(x1 - x0)
					}
				}
				dst := yp.row(ly)
				for b := range lw {
					dst[b] = lumaOf(a[3*b:3*b+3], n[b])
				}
			}
			cbRow, crRow := cb.row(cy), cr.row(cy)
			for c := range cw {
				var s [3]uint32
				var n uint32
				for sub := range 2 {
					for b := 2 * c; b < min(2*c+2, lw); b++ {
						i := sub*lw + b
						s[0] += acc[3*i]
						s[1] += acc[3*i+1]
						s[2] += acc[3*i+2]
						n += cnt[i]
					}
				}
				cbRow[c], crRow[c] = chromaOf(s, n)
			}
		}
	})
	return out
}

// lumaOf is Y of the average of n pixels whose RGB sums are s.
func lumaOf(s []uint32, n uint32) uint8 {
	if n == 0 {
		return 0
	}
	// 0.299, 0.587, 0.114 in 16.16 fixed point, as color.RGBToYCbCr has them.
	v := (19595*uint64(s[0]) + 38470*uint64(s[1]) + 7471*uint64(s[2]) +
		uint64(n)<<15) / (uint64(n) << 16)
	return uint8(min(v, 255))
}

// chromaOf is Cb and Cr of the average of n pixels whose RGB sums are s.
func chromaOf(s [3]uint32, n uint32) (uint8, uint8) {
	if n == 0 {
		return 128, 128
	}
	r, g, b := int64(s[0]), int64(s[1]), int64(s[2])
	d := int64(n) << 16
	cb := (-11056*r - 21712*g + 32768*b + 128*d + d/2) / d
	cr := (32768*r - 27440*g - 5328*b + 128*d + d/2) / d
	return uint8(min(max(cb, 0), 255)), uint8(min(max(cr, 0), 255))
}
