package jpegdec

import (
	"bytes"
	"errors"
	"image/jpeg"
	"testing"
)

// bitWriter writes entropy-coded bits MSB first, stuffing a zero after 0xff.
type bitWriter struct {
	buf   bytes.Buffer
	acc   uint32
	nbits uint
}

func (w *bitWriter) write(bits uint32, n uint) {
	for i := int(n) - 1; i >= 0; i-- {
		w.acc = w.acc<<1 | bits>>uint(i)&1
		if w.nbits++; w.nbits == 8 {
			w.byte(byte(w.acc))
			w.acc, w.nbits = 0, 0
		}
	}
}

func (w *bitWriter) byte(b byte) {
	w.buf.WriteByte(b)
	if b == 0xff {
		w.buf.WriteByte(0)
	}
}

func (w *bitWriter) flush() []byte {
	for w.nbits != 0 {
		w.write(1, 1)
	}
	out := bytes.Clone(w.buf.Bytes())
	w.buf.Reset()
	return out
}

func markerSegment(marker byte, payload ...byte) []byte {
	n := len(payload) + 2
	return append([]byte{0xff, marker, byte(n >> 8), byte(n)}, payload...)
}

// scanBomb is a progressive w×h JPEG of nc components whose DC scan is
// followed by scans scans of end-of-band runs over the first component:
// each a few bytes, each a pass over all its blocks. It has scans+1 scans.
func scanBomb(w, h, nc, scans int) []byte {
	f := []byte{0xff, 0xd8}
	f = append(f, markerSegment(0xdb, append([]byte{0}, bytes.Repeat([]byte{1}, 64)...)...)...)
	sof := []byte{8, byte(h >> 8), byte(h), byte(w >> 8), byte(w), byte(nc)}
	for c := range nc {
		sof = append(sof, byte(c+1), 0x11, 0)
	}
	f = append(f, markerSegment(0xc2, sof...)...)
	counts := func(sym byte) []byte { return append(append([]byte{1}, make([]byte, 15)...), sym) }
	f = append(f, markerSegment(0xc4, append([]byte{0x00}, counts(0x00)...)...)...)
	f = append(f, markerSegment(0xc4, append([]byte{0x10}, counts(0xe0)...)...)...)
	blocks := ((w + 7) / 8) * ((h + 7) / 8)

	dc := []byte{byte(nc)}
	for c := range nc {
		dc = append(dc, byte(c+1), 0)
	}
	f = append(f, markerSegment(0xda, append(dc, 0, 0, 0)...)...)
	var bw bitWriter
	for range blocks * nc {
		bw.write(0, 1)
	}
	f = append(f, bw.flush()...)
	for range scans {
		f = append(f, markerSegment(0xda, 1, 1, 0, 1, 63, 0)...)
		for left := blocks; left > 0; left -= 32767 {
			bw.write(0, 1)        // EOB14
			bw.write(1<<14-1, 14) // a run of 2^14 + 2^14 - 1 blocks
		}
		f = append(f, bw.flush()...)
	}
	return append(f, 0xff, 0xd9)
}

// scanBomb makes valid files that this package and image/jpeg (behind
// LimitScans) decode up to MaxScans scans and refuse past it, so that
// BenchmarkScanBomb measures the most a file can cost.
func TestScanBomb(t *testing.T) {
	for _, scans := range []int{10, MaxScans - 1, MaxScans} {
		f := scanBomb(203, 141, 3, scans)
		_, err := Decode(bytes.NewReader(f), 8)
		_, stdErr := jpeg.Decode(LimitScans(bytes.NewReader(f)))
		var unsupported, stdUnsupported UnsupportedError
		switch over := scans+1 > MaxScans; {
		case !over && (err != nil || stdErr != nil):
			t.Errorf("%d scans: %v; image/jpeg: %v", scans+1, err, stdErr)
		case over && (!errors.As(err, &unsupported) || !errors.As(stdErr, &stdUnsupported)):
			t.Errorf("%d scans: %v; image/jpeg: %v; want both refused", scans+1, err, stdErr)
		}
	}
}
