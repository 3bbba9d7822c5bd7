// Copyright 2012 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// Modified for imagepipe: see doc.go for what differs from image/jpeg.

package jpegdec

import (
	"fmt"
	mbits "math/bits"
)

// makePlanes allocates the planes the blocks are written to: whole MCUs of
// samples, each block giving d.eighths samples a side.
func (d *decoder) makePlanes(mxx, myy int) {
	n := d.eighths
	w, h := ScaledSize(d.width, d.height, n)
	h0, v0 := d.comp[0].h, d.comp[0].v
	d.planes = make([]Plane, d.nComp)
	for i := range d.nComp {
		hi, vi := d.comp[i].h, d.comp[i].v
		stride := n * hi * mxx
		ux, uy := h0/hi, v0/vi
		d.planes[i] = Plane{
			Pix:    make([]byte, stride*n*vi*myy),
			Stride: stride,
			Width:  (w + ux - 1) / ux, Height: (h + uy - 1) / uy,
			UnitX: ux, UnitY: uy,
		}
		// The component's own size in pixels, and so how many of its block
		// columns and rows are whole picture (see reconstructEdgeBlock).
		cw, ch := (d.width*hi+h0-1)/h0, (d.height*vi+v0-1)/v0
		d.compSize[i] = [2]int{cw, ch}
	}
}

// Specified in section B.2.3.
func (d *decoder) processSOS(n int) error {
	if d.nComp == 0 {
		return FormatError("missing SOF marker")
	}
	// imagepipe: a scan of end-of-band runs covers every block of the
	// picture in a few bytes, so a file of thousands of them would cost
	// minutes of CPU within the byte and pixel caps (see MaxScans).
	if d.scans++; d.scans > MaxScans {
		return UnsupportedError(fmt.Sprintf("more than %d scans", MaxScans))
	}
	if n < 6 || 4+2*d.nComp < n || n%2 != 0 {
		return FormatError("SOS has wrong length")
	}
	if err := d.readFull(d.tmp[:n]); err != nil {
		return err
	}
	nComp := int(d.tmp[0])
	if n != 4+2*nComp {
		return FormatError("SOS length inconsistent with number of components")
	}
	var scan [maxComponents]scanComponent
	totalHV := 0
	for i := 0; i < nComp; i++ {
		cs := d.tmp[1+2*i] // Component selector.
		compIndex := -1
		for j, comp := range d.comp[:d.nComp] {
			if cs == comp.c {
				compIndex = j
			}
		}
		if compIndex < 0 {
			return FormatError("unknown component selector")
		}
		scan[i].compIndex = uint8(compIndex)
		// Section B.2.3 states that "the value of Cs_j shall be different from
		// the values of Cs_1 through Cs_(j-1)". Since we have previously
		// verified that a frame's component identifiers (C_i values in section
		// B.2.2) are unique, it suffices to check that the implicit indexes
		// into d.comp are unique.
		for j := 0; j < i; j++ {
			if scan[i].compIndex == scan[j].compIndex {
				return FormatError("repeated component selector")
			}
		}
		totalHV += d.comp[compIndex].h * d.comp[compIndex].v

		// The baseline t <= 1 restriction is specified in table B.3.
		scan[i].td = d.tmp[2+2*i] >> 4
		if t := scan[i].td; t > maxTh || (d.baseline && t > 1) {
			return FormatError("bad Td value")
		}
		scan[i].ta = d.tmp[2+2*i] & 0x0f
		if t := scan[i].ta; t > maxTh || (d.baseline && t > 1) {
			return FormatError("bad Ta value")
		}
	}
	// Section B.2.3 states that if there is more than one component then the
	// total H*V values in a scan must be <= 10.
	if d.nComp > 1 && totalHV > 10 {
		return FormatError("total sampling factors too large")
	}

	// zigStart and zigEnd are the spectral selection bounds.
	// ah and al are the successive approximation high and low values.
	// The spec calls these values Ss, Se, Ah and Al.
	//
	// For progressive JPEGs, these are the two more-or-less independent
	// aspects of progression. Spectral selection progression is when not
	// all of a block's 64 DCT coefficients are transmitted in one pass.
	// For example, three passes could transmit coefficient 0 (the DC
	// component), coefficients 1-5, and coefficients 6-63, in zig-zag
	// order. Successive approximation is when not all of the bits of a
	// band of coefficients are transmitted in one pass. For example,
	// three passes could transmit the 6 most significant bits, followed
	// by the second-least significant bit, followed by the least
	// significant bit.
	//
	// For sequential JPEGs, these parameters are hard-coded to 0/63/0/0, as
	// per table B.3.
	zigStart, zigEnd, ah, al := int32(0), int32(blockSize-1), uint32(0), uint32(0)
	if d.progressive {
		zigStart = int32(d.tmp[1+2*nComp])
		zigEnd = int32(d.tmp[2+2*nComp])
		ah = uint32(d.tmp[3+2*nComp] >> 4)
		al = uint32(d.tmp[3+2*nComp] & 0x0f)
		if (zigStart == 0 && zigEnd != 0) || zigStart > zigEnd || blockSize <= zigEnd {
			return FormatError("bad spectral selection bounds")
		}
		if zigStart != 0 && nComp != 1 {
			return FormatError("progressive AC coefficients for more than one component")
		}
		if ah != 0 && ah != al+1 {
			return FormatError("bad successive approximation values")
		}
		// imagepipe: section G.1.1.1.1 bounds Al by 13; the coefficients
		// are kept in 16 bits (block16), which 1<<14 would not fit.
		if al > 13 {
			return FormatError("bad successive approximation values")
		}
	}

	// mxx and myy are the number of MCUs (Minimum Coded Units) in the image.
	h0, v0 := d.comp[0].h, d.comp[0].v // The h and v values from the Y components.
	mxx := (d.width + 8*h0 - 1) / (8 * h0)
	myy := (d.height + 8*v0 - 1) / (8 * v0)
	if d.planes == nil {
		// imagepipe: RGB or YCbCr is settled here, by the markers before the
		// first scan, as libjpeg and DecodeConfig settle it; an APP14 between
		// scans changes nothing.
		if d.nComp == 3 && d.isRGB() {
			return UnsupportedError("RGB colour space")
		}
		d.makePlanes(mxx, myy)
	}
	if d.progressive {
		for i := 0; i < nComp; i++ {
			compIndex := scan[i].compIndex
			if d.progCoeffs[compIndex] == nil {
				d.progCoeffs[compIndex] = make([]block16, mxx*myy*d.comp[compIndex].h*d.comp[compIndex].v)
				d.nonzero[compIndex] = make([]uint64, len(d.progCoeffs[compIndex]))
			}
		}
	}

	d.bits = bits{}
	mcu, expectedRST := 0, uint8(rst0Marker)
	var (
		// b is the decoded coefficients, in natural (not zig-zag) order.
		b  block
		dc [maxComponents]int32
		// bx and by are the location of the current block, in units of 8x8
		// blocks: the third block in the first row has (bx, by) = (2, 0).
		bx, by     int
		blockCount int
		// units counts the blocks of a one-component scan.
		units int
	)
	for my := 0; my < myy; my++ {
		for mx := 0; mx < mxx; mx++ {
			// imagepipe: a restart interval counts MCUs, which in a scan of
			// one component are its blocks (section A.2), not the MCUs of
			// the frame: image/jpeg checked for a marker after every frame
			// MCU, so it failed on a progressive or non-interleaved file
			// with restarts as cjpeg -restart writes them. The marker is now
			// looked for before the interval's first unit.
			if nComp != 1 && d.ri > 0 && mcu > 0 && mcu%d.ri == 0 {
				if err := d.restart(&expectedRST, &dc); err != nil {
					return err
				}
			}
			for i := 0; i < nComp; i++ {
				compIndex := scan[i].compIndex
				hi := d.comp[compIndex].h
				vi := d.comp[compIndex].v
				for j := 0; j < hi*vi; j++ {
					// The blocks are traversed one MCU at a time. For 4:2:0 chroma
					// subsampling, there are four Y 8x8 blocks in every 16x16 MCU.
					//
					// For a sequential 32x16 pixel image, the Y blocks visiting order is:
					//	0 1 4 5
					//	2 3 6 7
					//
					// For progressive images, the interleaved scans (those with nComp > 1)
					// are traversed as above, but non-interleaved scans are traversed left
					// to right, top to bottom:
					//	0 1 2 3
					//	4 5 6 7
					// Only DC scans (zigStart == 0) can be interleaved. AC scans must have
					// only one component.
					//
					// To further complicate matters, for non-interleaved scans, there is no
					// data for any blocks that are inside the image at the MCU level but
					// outside the image at the pixel level. For example, a 24x16 pixel 4:2:0
					// progressive image consists of two 16x16 MCUs. The interleaved scans
					// will process 8 Y blocks:
					//	0 1 4 5
					//	2 3 6 7
					// The non-interleaved scans will process only 6 Y blocks:
					//	0 1 2
					//	3 4 5
					if nComp != 1 {
						bx = hi*mx + j%hi
						by = vi*my + j/hi
					} else {
						q := mxx * hi
						bx = blockCount % q
						by = blockCount / q
						blockCount++
						// imagepipe: a block is outside when the pixels it
						// covers are, at the component's own subsampling.
						if bx*8*(h0/hi) >= d.width || by*8*(v0/vi) >= d.height {
							continue
						}
						if d.ri > 0 && units > 0 && units%d.ri == 0 {
							if err := d.restart(&expectedRST, &dc); err != nil {
								return err
							}
						}
						units++
					}

					// Load the previous partially decoded coefficients, if applicable.
					// imagepipe: a progressive scan works on the stored block in
					// place, kept in 16 bits (see block16); image/jpeg copied
					// 256 bytes in and out for every block of every scan.
					var err error
					if d.progressive {
						k := by*mxx*hi + bx
						err = decodeBlock(d, &d.progCoeffs[compIndex][k], &d.nonzero[compIndex][k], &scan[i],
							&dc[compIndex], zigStart, zigEnd, ah, al)
					} else {
						b = block{}
						var nonzero uint64 // not needed past this block
						err = decodeBlock(d, (*[blockSize]int32)(&b), &nonzero, &scan[i], &dc[compIndex],
							zigStart, zigEnd, ah, al)
					}
					if err != nil {
						return err
					}

					if d.progressive {
						// At this point, we could call reconstructBlock to dequantize and perform the
						// inverse DCT, to save early stages of a progressive image to the *image.YCbCr
						// buffers (the whole point of progressive encoding), but in Go, the jpeg.Decode
						// function does not return until the entire image is decoded, so we "continue"
						// here to avoid wasted computation. Instead, reconstructBlock is called on each
						// accumulated block by the reconstructProgressiveImage method after all of the
						// SOS markers are processed.
						continue
					}
					if err := d.reconstructBlock(&b, bx, by, int(compIndex)); err != nil {
						return err
					}
				} // for j
			} // for i
			mcu++
		} // for mx
	} // for my

	return nil
}

// scanComponent is one component of a scan, as its SOS header names it.
type scanComponent struct {
	compIndex uint8
	td        uint8 // DC table selector.
	ta        uint8 // AC table selector.
}

// errCoefficientRange refuses a coefficient beyond 16 bits, which only a
// corrupt file holds: an 8-bit JPEG's are at most 11 (section F.1.2.1).
// libjpeg keeps them in 16 bits too, and wraps.
var errCoefficientRange = FormatError("coefficient out of range")

// coefficient is what a block's coefficients are kept in: int32 for the
// block being decoded (dequantized in place), int16 for those a progressive
// file keeps between its scans.
type coefficient interface{ ~int16 | ~int32 }

// decodeBlock decodes one block's share of a scan into b: its DC difference
// added to *dc, its AC coefficients zigStart to zigEnd, or their refinement
// bits (ah != 0). It was inline in image/jpeg's processSOS.
func decodeBlock[T coefficient](d *decoder, b *[blockSize]T, nonzero *uint64,
	sc *scanComponent, dc *int32, zigStart, zigEnd int32, ah, al uint32) error {
	if ah != 0 {
		return refine(d, b, nonzero, &d.huff[acTable][sc.ta], zigStart, zigEnd, 1<<al)
	}
	zig := zigStart
	if zig == 0 {
		zig++
		// Decode the DC coefficient, as specified in section F.2.2.1.
		value, err := d.decodeHuffman(&d.huff[dcTable][sc.td])
		if err != nil {
			return err
		}
		if value > 16 {
			return UnsupportedError("excessive DC component")
		}
		dcDelta, err := d.receiveExtend(value)
		if err != nil {
			return err
		}
		*dc += dcDelta
		v := *dc << al
		if int32(T(v)) != v {
			return errCoefficientRange
		}
		b[0] = T(v)
	}
	if zig <= zigEnd && d.eobRun > 0 {
		d.eobRun--
		return nil
	}
	// Decode the AC coefficients, as specified in section F.2.2.2.
	return decodeAC(d, b, nonzero, &d.huff[acTable][sc.ta], zig, zigEnd, al)
}

// decodeAC decodes the AC coefficients zig to zigEnd of block b, shifted
// left by al, as specified in section F.2.2.2 (and G.1.2.2 for the
// end-of-band runs of progressive scans).
//
// imagepipe: this was image/jpeg's loop of decodeHuffman and receiveExtend
// calls; the same steps are inlined here on local copies of the bit
// accumulator, with a refill only when fewer than the 32 bits one code and
// its value can take remain. Past the end of the data the accumulator reads
// as zeros, so a short file is found when the count of bits goes negative.
func decodeAC[T coefficient](d *decoder, b *[blockSize]T, nonzero *uint64, h *huffman,
	zig, zigEnd int32, al uint32) error {
	if zig > zigEnd {
		return nil // a DC scan
	}
	if h.nCodes == 0 {
		return FormatError("uninitialized Huffman table")
	}
	a, n := d.bits.a, d.bits.n
	nz := *nonzero
	for ; zig <= zigEnd; zig++ {
		if n < 32 {
			d.bits.a, d.bits.n = a, n
			d.refill()
			a, n = d.bits.a, d.bits.n
		}
		peek := a >> (64 - lutSize)
		// A run past the band's end is corrupt data, which the plain path
		// below treats as image/jpeg does (it reads the code, not the value).
		if f := h.fastAC[peek]; f != 0 && zig+f>>8&0xff <= zigEnd {
			l := f & 0xff
			a <<= l
			n -= l
			zig += f >> 8 & 0xff
			v := f >> 16 << al
			if int32(T(v)) != v {
				return errCoefficientRange
			}
			b[unzig[zig&63]] = T(v)
			nz |= 1 << (zig & 63)
			continue
		}
		var value uint8
		if v := h.lut[peek]; v != 0 {
			l := int32(v&0xff) - 1
			a <<= l
			n -= l
			value = uint8(v >> 8)
		} else {
			d.bits.a, d.bits.n = a, n
			var err error
			if value, err = d.decodeHuffman(h); err != nil {
				return err
			}
			a, n = d.bits.a, d.bits.n
		}
		run, size := int32(value>>4), value&0x0f
		if size != 0 {
			zig += run
			if zig > zigEnd {
				break
			}
			x := int32(a >> (64 - size))
			a <<= size
			n -= int32(size)
			if x < int32(1)<<size>>1 {
				x += (-1 << size) + 1
			}
			v := x << al
			if int32(T(v)) != v {
				return errCoefficientRange
			}
			b[unzig[zig&63]] = T(v)
			nz |= 1 << (zig & 63)
			continue
		}
		if run != 0x0f {
			d.bits.a, d.bits.n = a, n
			*nonzero = nz
			if n < 0 {
				return d.shortData()
			}
			d.eobRun = uint16(1 << run)
			if run != 0 {
				bits, err := d.decodeBits(run)
				if err != nil {
					return err
				}
				d.eobRun |= uint16(bits)
			}
			d.eobRun--
			return nil
		}
		zig += 0x0f
	}
	d.bits.a, d.bits.n = a, n
	*nonzero = nz
	if n < 0 {
		return d.shortData()
	}
	return nil
}

// refine decodes a successive approximation refinement block, as specified in
// section G.1.2.
func refine[T coefficient](d *decoder, b *[blockSize]T, nonzero *uint64, h *huffman,
	zigStart, zigEnd, delta int32) error {
	// Refining a DC component is trivial.
	if zigStart == 0 {
		if zigEnd != 0 {
			panic("unreachable")
		}
		bit, err := d.decodeBit()
		if err != nil {
			return err
		}
		if bit {
			b[0] |= T(delta)
		}
		return nil
	}

	// Refining AC components is more complicated; see sections G.1.2.2 and G.1.2.3.
	zig := zigStart
	if d.eobRun == 0 {
	loop:
		for ; zig <= zigEnd; zig++ {
			z := int32(0)
			value, err := d.decodeHuffman(h)
			if err != nil {
				return err
			}
			val0 := value >> 4
			val1 := value & 0x0f

			switch val1 {
			case 0:
				if val0 != 0x0f {
					d.eobRun = uint16(1 << val0)
					if val0 != 0 {
						bits, err := d.decodeBits(int32(val0))
						if err != nil {
							return err
						}
						d.eobRun |= uint16(bits)
					}
					break loop
				}
			case 1:
				z = delta
				bit, err := d.decodeBit()
				if err != nil {
					return err
				}
				if !bit {
					z = -z
				}
			default:
				return FormatError("unexpected Huffman code")
			}

			zig, err = refineNonZeroes(d, b, *nonzero, zig, zigEnd, int32(val0), delta)
			if err != nil {
				return err
			}
			if zig > zigEnd {
				return FormatError("too many coefficients")
			}
			if z != 0 {
				b[unzig[zig]] = T(z)
				*nonzero |= 1 << zig
			}
		}
	}
	if d.eobRun > 0 {
		d.eobRun--
		if _, err := refineNonZeroes(d, b, *nonzero, zig, zigEnd, -1, delta); err != nil {
			return err
		}
	}
	return nil
}

// refineNonZeroes refines non-zero entries of b in zig-zag order, from zig
// up to zigEnd or, if nz >= 0, up to the nz+1st zero entry, whose position
// it returns (zigEnd+1 if there is none).
//
// imagepipe: nonzero has a bit set for each zig-zag position of b that
// holds a non-zero coefficient (decodeAC and refine keep it), so the
// entries are found from it, not by testing each of up to 63 coefficients;
// and the one correction bit each takes comes straight from a local copy
// of the accumulator. Refinement is most of a progressive file's decoding.
func refineNonZeroes[T coefficient](d *decoder, b *[blockSize]T, nonzero uint64,
	zig, zigEnd, nz, delta int32) (int32, error) {
	if zig > zigEnd {
		return zig, nil
	}
	band := ^uint64(0) << zig & (^uint64(0) >> (63 - zigEnd))
	stop := zigEnd + 1
	if nz >= 0 {
		zeros := ^nonzero & band
		for ; nz > 0 && zeros != 0; nz-- {
			zeros &= zeros - 1
		}
		if zeros != 0 {
			stop = int32(mbits.TrailingZeros64(zeros))
		}
	}
	todo := nonzero & band
	if stop < 64 {
		todo &= 1<<stop - 1
	}
	a, n := d.bits.a, d.bits.n
	for ; todo != 0; todo &= todo - 1 {
		if n == 0 {
			d.bits.a, d.bits.n = a, n
			d.refill()
			if a, n = d.bits.a, d.bits.n; n == 0 {
				return 0, d.shortData()
			}
		}
		bit := a >> 63
		a <<= 1
		n--
		if bit == 0 {
			continue
		}
		u := unzig[mbits.TrailingZeros64(todo)]
		c := b[u]
		v := int32(c) - delta
		if c >= 0 {
			v = int32(c) + delta
		}
		if int32(T(v)) != v {
			return 0, errCoefficientRange
		}
		b[u] = T(v)
	}
	d.bits.a, d.bits.n = a, n
	return stop, nil
}

func (d *decoder) reconstructProgressiveImage() error {
	// The h0, mxx, by and bx variables have the same meaning as in the
	// processSOS method.
	h0 := d.comp[0].h
	mxx := (d.width + 8*h0 - 1) / (8 * h0)
	for i := 0; i < d.nComp; i++ {
		if d.progCoeffs[i] == nil {
			continue
		}
		v := 8 * d.comp[0].v / d.comp[i].v
		h := 8 * d.comp[0].h / d.comp[i].h
		stride := mxx * d.comp[i].h
		// imagepipe: only the zig-zag positions reconstructBlock reads are
		// widened to 32 bits, into one block reused for all.
		var b block
		within := zigWithin[d.eighths]
		for by := 0; by*v < d.height; by++ {
			for bx := 0; bx*h < d.width; bx++ {
				c := &d.progCoeffs[i][by*stride+bx]
				used := unzig[:within]
				if d.eighths < 8 && d.isEdgeBlock(bx, by, i) {
					used = unzig[:] // see reconstructEdgeBlock
				}
				for _, natural := range used {
					b[natural] = int32(c[natural])
				}
				if err := d.reconstructBlock(&b, bx, by, i); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// reconstructBlock dequantizes, performs the inverse DCT at the decoder's
// scale and stores the block's samples in its plane.
func (d *decoder) reconstructBlock(b *block, bx, by, compIndex int) error {
	qt := &d.quant[d.comp[compIndex].tq]
	p := &d.planes[compIndex]
	n := d.eighths
	dst := p.Pix[n*(by*p.Stride+bx):]
	if n < 8 && d.isEdgeBlock(bx, by, compIndex) {
		for zig := range blockSize {
			b[unzig[zig]] *= qt[zig]
		}
		idct(b)
		size := d.compSize[compIndex]
		reconstructEdgeBlock(dst, p.Stride, b, n, size[0]-8*bx, size[1]-8*by)
		return nil
	}
	if n == 1 {
		idct1(dst, b[0]*qt[0])
		return nil
	}
	for zig := range zigWithin[n] {
		b[unzig[zig]] *= qt[zig]
	}
	switch n {
	case 8:
		idct(b)
		store8(dst, p.Stride, b)
	case 4:
		idct4(dst, p.Stride, b)
	case 3:
		idct3(dst, p.Stride, b)
	case 2:
		idct2(dst, p.Stride, b)
	default:
		idctN(dst, p.Stride, b, n)
	}
	return nil
}

// isEdgeBlock says whether block (bx, by) of a component holds the far edge
// of the picture: it reaches past the component's last pixel column or row.
func (d *decoder) isEdgeBlock(bx, by, compIndex int) bool {
	size := d.compSize[compIndex]
	return 8*bx+8 > size[0] || 8*by+8 > size[1]
}

// restart reads the RST marker that ends a restart interval and resets the
// entropy decoder's state, as per sections F.2.1.3.1 and G.1.2.2. It was
// inline in image/jpeg's processSOS.
func (d *decoder) restart(expectedRST *uint8, dc *[maxComponents]int32) error {
	// For well-formed input, the RST[0-7] restart marker follows
	// immediately. For corrupt input, call findRST to try to resynchronize.
	if err := d.readFull(d.tmp[:2]); err != nil {
		return err
	} else if d.tmp[0] != 0xff || d.tmp[1] != *expectedRST {
		if err := d.findRST(*expectedRST); err != nil {
			return err
		}
	}
	*expectedRST++
	if *expectedRST == rst7Marker+1 {
		*expectedRST = rst0Marker
	}
	d.bits = bits{}
	*dc = [maxComponents]int32{}
	d.eobRun = 0
	return nil
}

// findRST advances past the next RST restart marker that matches expectedRST.
// Other than I/O errors, it is also an error if we encounter an {0xFF, M}
// two-byte marker sequence where M is not 0x00, 0xFF or the expectedRST.
//
// This is similar to libjpeg's jdmarker.c's next_marker function.
// https://github.com/libjpeg-turbo/libjpeg-turbo/blob/2dfe6c0f/jdmarker.c#L892-L935
//
// Precondition: d.tmp[:2] holds the next two bytes of JPEG-encoded input
// (input in the d.readFull sense).
func (d *decoder) findRST(expectedRST uint8) error {
	for {
		// i is the index such that, at the bottom of the loop, we read 2-i
		// bytes into d.tmp[i:2], maintaining the invariant that d.tmp[:2]
		// holds the next two bytes of JPEG-encoded input. It is either 0 or 1,
		// so that each iteration advances by 1 or 2 bytes (or returns).
		i := 0

		if d.tmp[0] == 0xff {
			if d.tmp[1] == expectedRST {
				return nil
			} else if d.tmp[1] == 0xff {
				i = 1
			} else if d.tmp[1] != 0x00 {
				// libjpeg's jdmarker.c's jpeg_resync_to_restart does something
				// fancy here, treating RST markers within two (modulo 8) of
				// expectedRST differently from RST markers that are 'more
				// distant'. Until we see evidence that recovering from such
				// cases is frequent enough to be worth the complexity, we take
				// a simpler approach for now. Any marker that's not 0x00, 0xff
				// or expectedRST is a fatal FormatError.
				return FormatError("bad RST marker")
			}

		} else if d.tmp[1] == 0xff {
			d.tmp[0] = 0xff
			i = 1
		}

		if err := d.readFull(d.tmp[i:2]); err != nil {
			return err
		}
	}
}
