// Copyright 2009 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// Modified for imagepipe: the bit reader and the Huffman look-up are new
// (see bits in reader.go); the table derivation is image/jpeg's, for a
// 9-bit table.

package jpegdec

import (
	"encoding/binary"
	"io"
)

// maxCodeLength is the maximum (inclusive) number of bits in a Huffman code.
const maxCodeLength = 16

// maxNCodes is the maximum (inclusive) number of codes in a Huffman tree.
const maxNCodes = 256

// lutSize is the log-2 size of the Huffman decoder's look-up table: 9 bits
// cover nearly every code of a photograph's tables, so the bit-by-bit walk
// is rare.
const lutSize = 9

// huffman is a Huffman decoder, specified in section C.
type huffman struct {
	// length is the number of codes in the tree.
	nCodes int32
	// lut is the look-up table for the next lutSize bits in the bit-stream.
	// The high 8 bits of the uint16 are the encoded value. The low 8 bits
	// are 1 plus the code length, or 0 if the value is too large to fit in
	// lutSize bits.
	lut [1 << lutSize]uint16
	// fastAC is, for an AC table (imagepipe), the look-up of a code and
	// the value after it together, for the next lutSize bits: the value in
	// the high 16 bits (signed), the run of zeros before it in bits 8 to
	// 15, and in the low 8 bits the length of code and value, or 0 where
	// they do not both fit or the code has no value (an end of band or a
	// run of sixteen zeros).
	fastAC [1 << lutSize]int32
	// vals are the decoded values, sorted by their encoding.
	vals [maxNCodes]uint8
	// minCodes[i] is the minimum code of length i, or -1 if there are no
	// codes of that length.
	minCodes [maxCodeLength]int32
	// maxCodes[i] is the maximum code of length i, or -1 if there are no
	// codes of that length.
	maxCodes [maxCodeLength]int32
	// valsIndices[i] is the index into vals of minCodes[i].
	valsIndices [maxCodeLength]int32
}

// errShortHuffmanData means that an unexpected EOF occurred while decoding
// Huffman data.
var errShortHuffmanData = FormatError("short Huffman data")

// errMissingFF00 means that the entropy-coded data ended at a marker before
// the scan had all of its bits.
var errMissingFF00 = FormatError("missing 0xff00 sequence")

// refill moves whole bytes of entropy-coded data into the bit accumulator
// until it holds at least 57 bits or the data ends. The data ends at a
// marker (0xff followed by anything but 0x00), which is left unread for the
// caller, or where r fails; past the end the accumulator reads as zeros and
// n stops growing, so a decoder may peek there but shortData tells it off if
// it consumes more than n bits.
func (d *decoder) refill() {
	b := &d.bytes
	if d.bits.n <= 56 && !d.bits.end && b.i+8 <= b.j {
		// As many whole bytes as fit, in one go, when the next eight hold
		// no 0xff (no stuffing, no marker).
		v := binary.BigEndian.Uint64(b.buf[b.i:])
		if x := ^v; (x-0x0101010101010101)&^x&0x8080808080808080 == 0 {
			k := (64 - d.bits.n) >> 3
			d.bits.a |= v >> (64 - 8*k) << (64 - 8*k - d.bits.n)
			d.bits.n += 8 * k
			b.i += int(k)
			return
		}
	}
	for d.bits.n <= 56 && !d.bits.end {
		if b.i+1 >= b.j {
			d.refillByte()
			continue
		}
		c := b.buf[b.i]
		if c == 0xff {
			if b.buf[b.i+1] != 0x00 {
				d.bits.end = true
				return
			}
			b.i++
		}
		b.i++
		d.bits.a |= uint64(c) << (56 - d.bits.n)
		d.bits.n += 8
	}
}

// refillByte is refill for a byte that may straddle the buffer's end.
func (d *decoder) refillByte() {
	c, err := d.readByte()
	if err != nil {
		d.bits.end, d.bits.err = true, err
		return
	}
	if c == 0xff {
		c2, err := d.readByte()
		if err != nil {
			d.bits.end, d.bits.err = true, err
			return
		}
		if c2 != 0x00 {
			// A marker: give both bytes back (fill keeps the last two).
			d.bytes.i -= 2
			d.bits.end = true
			return
		}
	}
	d.bits.a |= uint64(c) << (56 - d.bits.n)
	d.bits.n += 8
}

// shortData is the error for a decoder that needs more bits than the data
// held.
func (d *decoder) shortData() error {
	switch d.bits.err {
	case nil:
		return errMissingFF00
	case io.ErrUnexpectedEOF, io.EOF:
		return errShortHuffmanData
	}
	return d.bits.err
}

// receiveExtend is the composition of RECEIVE and EXTEND, specified in section
// F.2.2.1.
func (d *decoder) receiveExtend(t uint8) (int32, error) {
	if d.bits.n < int32(t) {
		d.refill()
		if d.bits.n < int32(t) {
			return 0, d.shortData()
		}
	}
	x := int32(d.bits.a >> (64 - t)) // t = 0 shifts everything out
	d.bits.a <<= t
	d.bits.n -= int32(t)
	if x < int32(1)<<t>>1 {
		x += (-1 << t) + 1
	}
	return x, nil
}

// processDHT processes a Define Huffman Table marker, and initializes a huffman
// struct from its contents. Specified in section B.2.4.2.
func (d *decoder) processDHT(n int) error {
	for n > 0 {
		if n < 17 {
			return FormatError("DHT has wrong length")
		}
		if err := d.readFull(d.tmp[:17]); err != nil {
			return err
		}
		tc := d.tmp[0] >> 4
		if tc > maxTc {
			return FormatError("bad Tc value")
		}
		th := d.tmp[0] & 0x0f
		// The baseline th <= 1 restriction is specified in table B.5.
		if th > maxTh || (d.baseline && th > 1) {
			return FormatError("bad Th value")
		}
		h := &d.huff[tc][th]

		// Read nCodes and h.vals (and derive h.nCodes).
		// nCodes[i] is the number of codes with code length i.
		// h.nCodes is the total number of codes.
		h.nCodes = 0
		var nCodes [maxCodeLength]int32
		for i := range nCodes {
			nCodes[i] = int32(d.tmp[i+1])
			h.nCodes += nCodes[i]
		}
		if h.nCodes == 0 {
			return FormatError("Huffman table has zero length")
		}
		if h.nCodes > maxNCodes {
			return FormatError("Huffman table has excessive length")
		}
		n -= int(h.nCodes) + 17
		if n < 0 {
			return FormatError("DHT has wrong length")
		}
		if err := d.readFull(h.vals[:h.nCodes]); err != nil {
			return err
		}

		// imagepipe: refuse a table with more codes of some length than
		// the shorter ones leave room for, as libjpeg does ("bogus Huffman
		// table"). image/jpeg decodes such a file by whatever its 8-bit
		// look-up table happens to hold; with 9 bits there would be other
		// pixels, and no encoder writes one.
		var room int32 = 1
		for _, n := range nCodes {
			room = 2*room - n
			if room < 0 {
				return FormatError("Huffman table has more codes than fit")
			}
		}

		// Derive the look-up table.
		clear(h.lut[:])
		var x, code uint32
		for i := uint32(0); i < lutSize; i++ {
			code <<= 1
			for j := int32(0); j < nCodes[i]; j++ {
				// The codeLength is 1+i, so shift code by lutSize-(1+i)
				// to calculate the high bits for every lutSize-bit
				// sequence whose codeLength's high bits matches code.
				// The high 8 bits of lutValue are the encoded value.
				// The low 8 bits are 1 plus the codeLength. (The table
				// was checked to fit, above.)
				base := code << (lutSize - 1 - i)
				lutValue := uint16(h.vals[x])<<8 | uint16(2+i)
				for k := uint32(0); k < 1<<(lutSize-1-i); k++ {
					h.lut[base|k] = lutValue
				}
				code++
				x++
			}
		}

		if tc == acTable {
			h.deriveFastAC()
		}

		// Derive minCodes, maxCodes, and valsIndices.
		var c, index int32
		for i, n := range nCodes {
			if n == 0 {
				h.minCodes[i] = -1
				h.maxCodes[i] = -1
				h.valsIndices[i] = -1
			} else {
				h.minCodes[i] = c
				h.maxCodes[i] = c + n - 1
				h.valsIndices[i] = index
				c += n
				index += n
			}
			c <<= 1
		}
	}
	return nil
}

// deriveFastAC fills h.fastAC from h.lut.
func (h *huffman) deriveFastAC() {
	for p, v := range h.lut {
		h.fastAC[p] = 0
		if v == 0 {
			continue
		}
		codeLen := uint(v&0xff) - 1
		run, size := int32(v>>12), uint(v>>8)&0x0f
		if size == 0 || codeLen+size > lutSize {
			continue
		}
		x := int32(p>>(lutSize-codeLen-size)) & (1<<size - 1)
		if x < 1<<size>>1 {
			x += (-1 << size) + 1 // EXTEND, section F.2.2.1
		}
		h.fastAC[p] = x<<16 | run<<8 | int32(codeLen+size)
	}
}

// decodeHuffman returns the next Huffman-coded value from the bit-stream,
// decoded according to h.
func (d *decoder) decodeHuffman(h *huffman) (uint8, error) {
	if h.nCodes == 0 {
		return 0, FormatError("uninitialized Huffman table")
	}
	if d.bits.n < maxCodeLength {
		d.refill()
	}
	if v := h.lut[d.bits.a>>(64-lutSize)]; v != 0 {
		n := int32(v&0xff) - 1
		if n > d.bits.n {
			return 0, d.shortData()
		}
		d.bits.a <<= n
		d.bits.n -= n
		return uint8(v >> 8), nil
	}
	// A code longer than the table, or none: the canonical walk, one
	// length at a time.
	for i := range maxCodeLength {
		code := int32(d.bits.a >> (63 - i))
		if code <= h.maxCodes[i] {
			if int32(i+1) > d.bits.n {
				return 0, d.shortData()
			}
			d.bits.a <<= i + 1
			d.bits.n -= int32(i + 1)
			return h.vals[h.valsIndices[i]+code-h.minCodes[i]], nil
		}
	}
	return 0, FormatError("bad Huffman code")
}

func (d *decoder) decodeBit() (bool, error) {
	if d.bits.n == 0 {
		d.refill()
		if d.bits.n == 0 {
			return false, d.shortData()
		}
	}
	ret := d.bits.a>>63 != 0
	d.bits.a <<= 1
	d.bits.n--
	return ret, nil
}

func (d *decoder) decodeBits(n int32) (uint32, error) {
	if d.bits.n < n {
		d.refill()
		if d.bits.n < n {
			return 0, d.shortData()
		}
	}
	ret := uint32(d.bits.a >> (64 - n))
	d.bits.a <<= n
	d.bits.n -= n
	return ret, nil
}
