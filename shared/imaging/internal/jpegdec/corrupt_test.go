package jpegdec

import (
	"bytes"
	"errors"
	"fmt"
	"image/jpeg"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"testing/iotest"
)

// Deterministic corruptions of the fixtures: truncations, single-byte
// changes, a missing EOI, failing and dribbling readers. Each decoding is at
// one scale only, rotating through the scales, to keep the run short: the
// entropy decoding, where the corruption is met, is the same at every scale.

// corruptScales are the scales the corruption tests rotate through: the
// powers of two, whose inverse DCTs are the cheap ones; FuzzDecode's seeds
// cover the others.
var corruptScales = [...]int{1, 2, 4, 8}

// bigFixture is the size above which a fixture (photo-sunset.jpg, 154 kB) is
// decoded at 1/8 only, the cheapest, in the loops over many corruptions.
const bigFixture = 1 << 16

type fixture struct {
	name string
	data []byte
	// scans are the offsets of the entropy-coded data of each scan, from
	// just after its SOS header to the marker that ends it (RST markers
	// are inside), and eoi the offset of the EOI marker.
	scans [][2]int
	eoi   int
}

func loadFixtures(t *testing.T) []fixture {
	t.Helper()
	var fs []fixture
	for _, name := range fixtures(t) {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		scans, eoi, err := scanData(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		fs = append(fs, fixture{name: name, data: data, scans: scans, eoi: eoi})
	}
	return fs
}

// scanData walks the marker segments of a well-formed JPEG and returns the
// bounds of each scan's entropy-coded data and the offset of the EOI.
func scanData(data []byte) (scans [][2]int, eoi int, err error) {
	if len(data) < 4 || data[0] != 0xff || data[1] != soiMarker {
		return nil, 0, errors.New("no SOI")
	}
	i := 2
	for i+1 < len(data) {
		if data[i] != 0xff {
			return nil, 0, fmt.Errorf("no marker at %d", i)
		}
		for i < len(data) && data[i] == 0xff {
			i++
		}
		if i >= len(data) {
			break
		}
		m := data[i]
		i++
		if m == eoiMarker {
			return scans, i - 2, nil
		}
		if i+2 > len(data) {
			break
		}
		n := int(data[i])<<8 | int(data[i+1])
		if n < 2 || i+n > len(data) {
			return nil, 0, fmt.Errorf("segment %#x at %d: bad length %d", m, i-2, n)
		}
		i += n
		if m != sosMarker {
			continue
		}
		start := i
		for i+1 < len(data) {
			if data[i] == 0xff && data[i+1] != 0 && !(rst0Marker <= data[i+1] && data[i+1] <= rst7Marker) {
				break
			}
			i++
		}
		scans = append(scans, [2]int{start, i})
	}
	return nil, 0, errors.New("no EOI")
}

// decodeChecked decodes data at n/8 and fails t if Decode gives an Image
// that is not well formed. It returns Decode's error.
func decodeChecked(t *testing.T, what string, data []byte, n int) error {
	t.Helper()
	img, err := Decode(bytes.NewReader(data), n)
	if err != nil {
		return err
	}
	w, h := -1, -1
	if cfg, err := jpeg.DecodeConfig(bytes.NewReader(data)); err == nil {
		w, h = cfg.Width, cfg.Height
	}
	if err := checkImage(img, n, w, h); err != nil {
		t.Errorf("%s at %d/8: %v", what, n, err)
	}
	return nil
}

// TestTruncated: a fixture cut anywhere gives an error or a well-formed
// image, never a panic; cut anywhere in the entropy-coded data of its last
// scan, it gives an error, whether the file simply ends there or an EOI
// marker follows the cut: a truncated upload must be refused, not decoded
// with the missing blocks grey. The cuts are 20 evenly spaced lengths of
// the file, and in the last scan 10 evenly spaced ones and each of the last
// 12 bytes, which the 64-bit bit reader may have read ahead of the bits it
// has decoded.
func TestTruncated(t *testing.T) {
	for _, f := range loadFixtures(t) {
		t.Run(filepath.Base(f.name), func(t *testing.T) {
			k := 0
			scale := func() int {
				k++
				if len(f.data) > bigFixture {
					return 1
				}
				return corruptScales[k%len(corruptScales)]
			}
			for i := range 20 {
				cut := len(f.data) * i / 20
				decodeChecked(t, fmt.Sprintf("cut at %d of %d", cut, len(f.data)), f.data[:cut], scale())
			}

			if len(f.scans) == 0 {
				t.Fatal("no scans")
			}
			last := f.scans[len(f.scans)-1]
			var cuts []int
			for i := range 10 {
				cuts = append(cuts, last[0]+(last[1]-last[0])*i/10)
			}
			for c := max(last[0], last[1]-12); c < last[1]; c++ {
				cuts = append(cuts, c)
			}
			for _, cut := range cuts {
				what := fmt.Sprintf("cut at %d of %d (last scan %d to %d)", cut, len(f.data), last[0], last[1])
				err := decodeChecked(t, what, f.data[:cut], scale())
				if err == nil && isSupported(f.name) {
					t.Errorf("%s: decoded", what)
				}
				withEOI := append(f.data[:cut:cut], 0xff, eoiMarker)
				n := scale()
				err = decodeChecked(t, what+" + EOI", withEOI, n)
				if isSupported(f.name) {
					var format FormatError
					if !errors.As(err, &format) {
						t.Errorf("%s + EOI at %d/8: got %v, want a FormatError", what, n, err)
					}
				}
			}
		})
	}
}

// isSupported is whether Decode decodes the fixture name: all of them but
// the CMYK ones, which it refuses before their scans.
func isSupported(name string) bool {
	switch filepath.Base(name) {
	case "jpeg-cmyk.jpg", "jpeg-cmyk-adobe.jpg":
		return false
	}
	return true
}

// TestByteChanged: changing one byte of a fixture, at 200 evenly spaced
// offsets (50 in photo-sunset.jpg, whose decoding takes as long as all the
// others') and by a pseudo-random non-zero xor (every eighth change makes
// the byte 0xff, the start of a marker), gives an error or a well-formed
// image, never a panic.
func TestByteChanged(t *testing.T) {
	for _, f := range loadFixtures(t) {
		t.Run(filepath.Base(f.name), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(len(f.data))))
			buf := make([]byte, len(f.data))
			changes := 200
			if len(f.data) > bigFixture {
				changes = 50
			}
			for i := range changes {
				at := len(f.data) * i / changes
				copy(buf, f.data)
				if i%8 == 7 {
					buf[at] = 0xff
				} else {
					buf[at] ^= byte(1 + rng.IntN(255))
				}
				n := corruptScales[i%len(corruptScales)]
				if len(f.data) > bigFixture {
					n = 1
				}
				decodeChecked(t, fmt.Sprintf("byte %d set to %#02x (was %#02x)", at, buf[at], f.data[at]), buf, n)
			}
		})
	}
}

// TestMissingEOI: a fixture whose final EOI marker is cut off. image/jpeg
// fails on it with io.ErrUnexpectedEOF, having read every scan, and so does
// Decode, at every scale (the CMYK fixtures aside, which it refuses
// earlier): a file that does not end where a JPEG ends is taken for a
// truncated one, which it may well be, even though every block was decoded
// (libjpeg would warn and give the image). Bytes after the EOI are never
// read, so junk there does not matter.
func TestMissingEOI(t *testing.T) {
	for _, f := range loadFixtures(t) {
		if !isSupported(f.name) {
			continue
		}
		noEOI := f.data[:f.eoi]
		_, twin := twins[f.name] // which image/jpeg cannot decode at all
		if _, err := jpeg.Decode(bytes.NewReader(noEOI)); !errors.Is(err, io.ErrUnexpectedEOF) && !twin {
			t.Errorf("%s without EOI: image/jpeg gives %v, want io.ErrUnexpectedEOF", f.name, err)
		}
		n := 1
		if len(f.data) <= bigFixture {
			n = 8
		}
		if _, err := Decode(bytes.NewReader(noEOI), n); !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("%s without EOI at %d/8: got %v, want io.ErrUnexpectedEOF", f.name, n, err)
		}
		// The EOI replaced by junk: the decoder looks for the next marker
		// and meets the end of the file.
		junk := append(f.data[:f.eoi:f.eoi], 0x12, 0x34, 0x56, 0x78)
		if _, err := Decode(bytes.NewReader(junk), 1); !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("%s with junk for EOI: got %v, want io.ErrUnexpectedEOF", f.name, err)
		}
		// Junk after the EOI.
		after := append(f.data[:len(f.data):len(f.data)], 0xff, 0x00, 0x12, 0xff, 0xd8)
		if _, err := Decode(bytes.NewReader(after), 1); err != nil {
			t.Errorf("%s with junk after EOI: %v", f.name, err)
		}
	}
}

var errBroken = errors.New("broken reader")

// brokenReader gives data[:at] then fails with errBroken, on every call
// from then on; withData is whether the call that reaches at returns its
// bytes and the error together.
type brokenReader struct {
	data     []byte
	at       int
	withData bool
}

func (r *brokenReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 || r.at == 0 {
		return 0, errBroken
	}
	n := copy(p, r.data[:min(r.at, len(r.data))])
	r.data, r.at = r.data[n:], r.at-n
	if r.at == 0 && r.withData {
		return n, errBroken
	}
	return n, nil
}

// TestReaderError: a reader failing with an error other than io.EOF, in the
// headers, in the first scan, in the middle of the last scan or at its last
// byte, or inside the EOI: Decode returns that error, however the reader
// hands out its bytes.
func TestReaderError(t *testing.T) {
	for _, f := range loadFixtures(t) {
		if !isSupported(f.name) || len(f.data) > bigFixture {
			continue
		}
		first, last := f.scans[0], f.scans[len(f.scans)-1]
		points := []int{20, (first[0] + first[1]) / 2, (last[0] + last[1]) / 2, last[1] - 1, f.eoi + 1}
		for i, at := range points {
			if i > 0 && at == points[i-1] || len(f.scans) == 1 && i == 2 {
				continue // one scan: its middle is the first's
			}
			for _, withData := range []bool{false, true} {
				for _, dribble := range []bool{false, true} {
					var r io.Reader = &brokenReader{data: f.data, at: at, withData: withData}
					if dribble {
						r = iotest.OneByteReader(r)
					}
					n := corruptScales[at%len(corruptScales)]
					_, err := Decode(r, n)
					if !errors.Is(err, errBroken) {
						t.Errorf("%s failing at %d of %d (with data %v, one byte a read %v), %d/8: got %v",
							f.name, at, len(f.data), withData, dribble, n, err)
					}
				}
			}
		}
		// iotest.TimeoutReader fails its second read with
		// iotest.ErrTimeout, which for a file longer than the decoder's
		// 4096-byte buffer is in the middle of the data.
		if len(f.data) > 4096 {
			if _, err := Decode(iotest.TimeoutReader(bytes.NewReader(f.data)), 1); !errors.Is(err, iotest.ErrTimeout) {
				t.Errorf("%s through iotest.TimeoutReader: got %v", f.name, err)
			}
		}
	}
}

// TestReaderChunks: how the reader hands out the bytes, one at a time, half
// of what is asked for, or with io.EOF alongside the last of them, does not
// change the result; the one-byte reader puts every marker across a refill
// of the decoder's buffer.
func TestReaderChunks(t *testing.T) {
	readers := []struct {
		name string
		wrap func(io.Reader) io.Reader
	}{
		{"OneByteReader", iotest.OneByteReader},
		{"HalfReader", iotest.HalfReader},
		{"DataErrReader", iotest.DataErrReader},
	}
	for _, f := range loadFixtures(t) {
		n := 8
		if len(f.data) > bigFixture {
			n = 1
		}
		want, wantErr := Decode(bytes.NewReader(f.data), n)
		for _, r := range readers {
			got, err := Decode(r.wrap(bytes.NewReader(f.data)), n)
			if errString(err) != errString(wantErr) {
				t.Errorf("%s through %s: error %v, want %v", f.name, r.name, err, wantErr)
				continue
			}
			if err != nil {
				continue
			}
			if err := samePlanes(got.Planes, want.Planes); err != nil {
				t.Errorf("%s through %s: %v", f.name, r.name, err)
			}
		}
	}
}

// TestTooManyScans: a progressive file whose last scan is repeated until it
// has more than MaxScans scans is refused, quickly, with an
// UnsupportedError; each repeat costs a pass over every block, so such a
// file is a CPU bomb within the byte cap. The same file with a few repeats
// decodes.
// repeatFirstScan returns the JPEG data with its first scan repeated
// repeats more times before its end, and how many scans data had.
func repeatFirstScan(data []byte, repeats int) ([]byte, int) {
	first := bytes.Index(data, []byte{0xff, 0xda})
	end := first + 2 + (int(data[first+2])<<8 | int(data[first+3]))
	for data[end] != 0xff || data[end+1] == 0 || data[end+1] >= 0xd0 && data[end+1] <= 0xd7 {
		end++
	}
	scan := data[first:end]
	eoi := bytes.LastIndex(data, []byte{0xff, 0xd9})
	f := append([]byte{}, data[:eoi]...)
	for range repeats {
		f = append(f, scan...)
	}
	return append(f, 0xff, 0xd9), bytes.Count(data, []byte{0xff, 0xda})
}

func TestTooManyScans(t *testing.T) {
	data, err := os.ReadFile("testdata/prog-2x2.jpg")
	if err != nil {
		t.Fatal(err)
	}
	// The first scan, of the DC coefficients: repeating it rewrites them
	// with the same values, a valid file but for the count.
	_, scans := repeatFirstScan(data, 0)
	most, _ := repeatFirstScan(data, MaxScans-scans)
	if _, err := Decode(bytes.NewReader(most), 8); err != nil {
		t.Fatalf("%d scans: %v", MaxScans, err)
	}
	over, _ := repeatFirstScan(data, MaxScans+1-scans)
	_, err = Decode(bytes.NewReader(over), 1)
	var unsupported UnsupportedError
	if !errors.As(err, &unsupported) {
		t.Fatalf("%d scans: got %v, want an UnsupportedError", MaxScans+1, err)
	}
}

// LimitScans, which stands in front of image/jpeg, refuses what Decode
// refuses, whatever the reads' sizes.
func TestLimitScans(t *testing.T) {
	data, err := os.ReadFile("testdata/prog-2x2.jpg")
	if err != nil {
		t.Fatal(err)
	}
	_, scans := repeatFirstScan(data, 0)
	for _, c := range []struct {
		repeats int
		refused bool
	}{{0, false}, {MaxScans - scans, false}, {MaxScans + 1 - scans, true}} {
		f, _ := repeatFirstScan(data, c.repeats)
		for name, r := range map[string]io.Reader{
			"whole":       LimitScans(bytes.NewReader(f)),
			"byte a time": LimitScans(iotest.OneByteReader(bytes.NewReader(f))),
		} {
			got, err := io.ReadAll(r)
			var unsupported UnsupportedError
			switch {
			case c.refused && !errors.As(err, &unsupported):
				t.Errorf("%d scans, %s: %v, want an UnsupportedError", scans+c.repeats, name,
					err)
			case !c.refused && (err != nil || !bytes.Equal(got, f)):
				t.Errorf("%d scans, %s: %d of %d bytes, %v", scans+c.repeats, name, len(got),
					len(f), err)
			}
		}
	}
}
