package imaging

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"math"
	"math/bits"
	"sync"
)

// The variants are encoded here rather than by image/jpeg.Encode, which was
// a third of the CPU after the decoding: given an *image.YCbCr it still
// reads every pixel through YOffset and COffset into four 8×8 chroma blocks
// per macroblock and averages them back down, and it divides every
// coefficient by its quantizer. This encoder reads the 4:2:0 planes the
// resampler makes directly, block by block, and quantizes by multiplying.
//
// Everything but the entropy-coded data is image/jpeg's own: the headers
// (SOI, DQT, SOF0, DHT, SOS), the quantization tables for the quality and
// the Huffman tables are taken from what image/jpeg writes for a 16×16
// picture at the same quality, with the size patched in. So the output is a
// baseline JPEG with the same tables, and no metadata segment, exactly as
// image/jpeg would write it; only the DCT differs (floating point, as
// libjpeg's JDCT_FLOAT, where image/jpeg's is integer), which moves a
// coefficient by one step now and then.

// jpegTables is what image/jpeg writes for one quality and component count.
type jpegTables struct {
	header []byte // SOI to the end of SOS
	sof    int    // offset of the SOF0 segment's height field in header
	// recip holds, in natural order, 1 / (quantizer × AAN scale), for the
	// luma and the chroma table.
	recip [2][64]float32
	// dc and ac are the Huffman codes of the luma (0) and chroma (1) tables.
	dc, ac [2]huffman
}

// huffman holds each symbol's code, its length in the high byte.
type huffman [256]uint32

var tableCache sync.Map // jpegTablesKey → *jpegTables

type jpegTablesKey struct{ quality, components int }

// zigzag[i] is the natural (row-major) index of the i-th coefficient in
// zig-zag order.
var zigzag = [64]uint8{
	0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
	12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
	35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
	58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
}

// aanScale are the factors by which the AAN DCT leaves each frequency
// scaled: cos(k·π/16)·√2, and 1 for k = 0.
var aanScale = func() (s [8]float64) {
	for k := range s {
		s[k] = 1
		if k > 0 {
			s[k] = math.Cos(float64(k)*math.Pi/16) * math.Sqrt2
		}
	}
	return s
}()

// tablesFor returns the tables image/jpeg uses at quality for a picture of
// 1 (grey) or 3 components.
func tablesFor(quality, components int) (*jpegTables, error) {
	key := jpegTablesKey{quality, components}
	if t, ok := tableCache.Load(key); ok {
		return t.(*jpegTables), nil
	}
	var sample image.Image = image.NewYCbCr(image.Rect(0, 0, 16, 16),
		image.YCbCrSubsampleRatio420)
	if components == 1 {
		sample = image.NewGray(image.Rect(0, 0, 16, 16))
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, sample, &jpeg.Options{Quality: quality}); err != nil {
		return nil, err
	}
	t, err := parseTables(buf.Bytes(), components)
	if err != nil {
		return nil, fmt.Errorf("imaging: reading image/jpeg's tables: %w", err)
	}
	tableCache.Store(key, t)
	return t, nil
}

// parseTables reads the segments of a JPEG written by image/jpeg up to its
// scan.
func parseTables(data []byte, components int) (*jpegTables, error) {
	t := &jpegTables{}
	var quant [2][64]uint8
	nquant, nhuff := 0, 0
	for i := 2; ; {
		if i+4 > len(data) || data[i] != 0xff {
			return nil, errors.New("no scan")
		}
		marker, n := data[i+1], int(data[i+2])<<8|int(data[i+3])
		if i+2+n > len(data) {
			return nil, errors.New("truncated segment")
		}
		seg := data[i+4 : i+2+n]
		switch marker {
		case 0xdb: // DQT: (precision, table) then 64 values in zig-zag order
			for len(seg) >= 65 && nquant < 2 {
				q := seg[0] & 0x0f
				if seg[0]>>4 != 0 || q > 1 {
					return nil, errors.New("unexpected quantization table")
				}
				copy(quant[q][:], seg[1:65])
				seg = seg[65:]
				nquant++
			}
		case 0xc0: // SOF0
			t.sof = i + 5
		case 0xc4: // DHT: (class, table), 16 counts, the symbols
			for len(seg) >= 17 {
				class, id := seg[0]>>4, seg[0]&0x0f
				counts := seg[1:17]
				total := 0
				for _, c := range counts {
					total += int(c)
				}
				if class > 1 || id > 1 || len(seg) < 17+total {
					return nil, errors.New("unexpected Huffman table")
				}
				h := buildHuffman(counts, seg[17:17+total])
				if class == 0 {
					t.dc[id] = h
				} else {
					t.ac[id] = h
				}
				seg = seg[17+total:]
				nhuff++
			}
		case 0xda: // SOS: the header ends here
			t.header = append([]byte(nil), data[:i+2+n]...)
			if t.sof == 0 || nquant < min(components, 2) || nhuff < 2*min(components, 2) {
				return nil, errors.New("missing tables")
			}
			for q := range 2 {
				for zig, nat := range zigzag {
					v := float64(quant[q][zig]) * aanScale[nat/8] * aanScale[nat%8] * 8
					t.recip[q][nat] = float32(1 / v)
				}
			}
			return t, nil
		}
		i += 2 + n
	}
}

// buildHuffman makes the codes of a table given as counts per code length
// and symbols, as in Annex C of the JPEG standard.
func buildHuffman(counts, symbols []byte) huffman {
	var h huffman
	code, k := uint32(0), 0
	for length := 1; length <= 16; length++ {
		for range counts[length-1] {
			h[symbols[k]] = uint32(length)<<24 | code
			code++
			k++
		}
		code <<= 1
	}
	return h
}

// encodePlanes encodes p (a grey plane, or 4:2:0 Y, Cb, Cr planes of units
// 1 and 2) as a baseline JPEG.
func encodePlanes(p planar, quality int) ([]byte, error) {
	t, err := tablesFor(quality, len(p.planes))
	if err != nil {
		return nil, err
	}
	y := p.planes[0]
	if y.w > 0xffff || y.h > 0xffff {
		return nil, fmt.Errorf("imaging: %d×%d is too large for a JPEG", y.w, y.h)
	}
	w := bitWriter{buf: make([]byte, 0, y.w*y.h/4+len(t.header)+1024)}
	w.buf = append(w.buf, t.header...)
	w.buf[t.sof], w.buf[t.sof+1] = byte(y.h>>8), byte(y.h)
	w.buf[t.sof+2], w.buf[t.sof+3] = byte(y.w>>8), byte(y.w)

	var blk [64]float32
	var prev [3]int32
	if len(p.planes) == 1 {
		for by := 0; by < y.h; by += 8 {
			for bx := 0; bx < y.w; bx += 8 {
				loadBlock(&blk, y, bx, by)
				prev[0] = w.block(&blk, t, 0, prev[0])
			}
		}
	} else {
		cb, cr := p.planes[1], p.planes[2]
		for my := 0; my < y.h; my += 16 {
			for mx := 0; mx < y.w; mx += 16 {
				for i := range 4 {
					loadBlock(&blk, y, mx+8*(i&1), my+8*(i>>1))
					prev[0] = w.block(&blk, t, 0, prev[0])
				}
				loadBlock(&blk, cb, mx/2, my/2)
				prev[1] = w.block(&blk, t, 1, prev[1])
				loadBlock(&blk, cr, mx/2, my/2)
				prev[2] = w.block(&blk, t, 1, prev[2])
			}
		}
	}
	w.flush()
	return append(w.buf, 0xff, 0xd9), nil // EOI
}

// loadBlock reads the 8×8 samples of p at (x0, y0), level-shifted, repeating
// the last column and row past the plane's edges as image/jpeg does.
func loadBlock(b *[64]float32, p plane, x0, y0 int) {
	for j := range 8 {
		row := p.row(min(y0+j, p.h-1))
		d := b[8*j : 8*j+8]
		if x0+8 <= len(row) {
			for i, v := range row[x0 : x0+8] {
				d[i] = float32(v) - 128
			}
			continue
		}
		for i := range d {
			d[i] = float32(row[min(x0+i, len(row)-1)]) - 128
		}
	}
}

// fdct is the separable AAN forward DCT in floating point, as libjpeg's
// jfdctflt.c computes it: each output is the DCT coefficient times
// 8 × aanScale[u] × aanScale[v], which the quantizer's reciprocal undoes.
func fdct(b *[64]float32) {
	for i := range 8 {
		fdct1(b[8*i:8*i+8:8*i+8], 1)
	}
	for i := range 8 {
		fdct1(b[i:], 8)
	}
}

// fdct1 transforms the eight values of b at stride s.
func fdct1(b []float32, s int) {
	_ = b[7*s]
	t0, t7 := b[0]+b[7*s], b[0]-b[7*s]
	t1, t6 := b[s]+b[6*s], b[s]-b[6*s]
	t2, t5 := b[2*s]+b[5*s], b[2*s]-b[5*s]
	t3, t4 := b[3*s]+b[4*s], b[3*s]-b[4*s]

	// Even part.
	t10, t13 := t0+t3, t0-t3
	t11, t12 := t1+t2, t1-t2
	b[0], b[4*s] = t10+t11, t10-t11
	z1 := (t12 + t13) * 0.707106781
	b[2*s], b[6*s] = t13+z1, t13-z1

	// Odd part.
	t10, t11, t12 = t4+t5, t5+t6, t6+t7
	z5 := (t10 - t12) * 0.382683433
	z2 := 0.541196100*t10 + z5
	z4 := 1.306562965*t12 + z5
	z3 := t11 * 0.707106781
	z11, z13 := t7+z3, t7-z3
	b[5*s], b[3*s] = z13+z2, z13-z2
	b[s], b[7*s] = z11+z4, z11-z4
}

// bitWriter writes entropy-coded bits, stuffing a zero after each 0xff.
type bitWriter struct {
	buf  []byte
	bits uint64 // pending bits, the oldest highest
	n    uint   // how many
}

// emit writes the low size bits of code, at most 24. Whole bytes leave
// for buf four at a time, and one at a time only around an 0xff.
func (w *bitWriter) emit(code uint32, size uint) {
	w.bits = w.bits<<size | uint64(code)&(1<<size-1)
	w.n += size
	if w.n < 32 {
		return
	}
	w.n -= 32
	v := uint32(w.bits >> w.n)
	if x := ^v; (x-0x01010101)&^x&0x80808080 == 0 { // no 0xff byte in v
		w.buf = binary.BigEndian.AppendUint32(w.buf, v)
		return
	}
	for shift := 24; shift >= 0; shift -= 8 {
		c := byte(v >> shift)
		w.buf = append(w.buf, c)
		if c == 0xff {
			w.buf = append(w.buf, 0)
		}
	}
}

// huff writes the code of symbol s.
func (w *bitWriter) huff(h *huffman, s uint8) {
	c := h[s]
	w.emit(c&0xffffff, uint(c>>24))
}

// flush writes the pending bits, the last byte padded with one bits.
func (w *bitWriter) flush() {
	if pad := (8 - w.n%8) % 8; pad > 0 {
		w.bits = w.bits<<pad | 1<<pad - 1
		w.n += pad
	}
	for w.n >= 8 {
		w.n -= 8
		c := byte(w.bits >> w.n)
		w.buf = append(w.buf, c)
		if c == 0xff {
			w.buf = append(w.buf, 0)
		}
	}
}

// block transforms, quantizes and writes one block with table q (0 luma,
// 1 chroma), returning its DC value for the next block's prediction.
func (w *bitWriter) block(b *[64]float32, t *jpegTables, q int, prevDC int32) int32 {
	fdct(b)
	recip := &t.recip[q]
	var coef [64]int32
	for zig, nat := range zigzag {
		// Adding 1.5×2^23 leaves the rounded value (to nearest, halves to
		// even) in the mantissa, without a branch on the sign; the
		// quantized coefficients are far below 2^22.
		const magic = 1.5 * (1 << 23)
		coef[zig] = int32(b[nat]*recip[nat]+magic) - int32(magic)
	}

	diff := coef[0] - prevDC
	size, bits := magnitude(diff)
	w.huff(&t.dc[q], size)
	w.emit(bits, uint(size))

	run := 0
	for _, v := range coef[1:] {
		if v == 0 {
			run++
			continue
		}
		for run > 15 {
			w.huff(&t.ac[q], 0xf0) // sixteen zeros
			run -= 16
		}
		size, bits := magnitude(v)
		w.huff(&t.ac[q], uint8(run<<4)|size)
		w.emit(bits, uint(size))
		run = 0
	}
	if run > 0 {
		w.huff(&t.ac[q], 0x00) // end of block
	}
	return coef[0]
}

// magnitude returns the size category of v and the bits that encode it:
// v itself when positive, v-1 (its complement) when negative.
func magnitude(v int32) (uint8, uint32) {
	a, code := v, uint32(v)
	if v < 0 {
		a, code = -v, uint32(v-1)
	}
	return uint8(bits.Len32(uint32(a))), code
}
