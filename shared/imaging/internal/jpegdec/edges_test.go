package jpegdec

// Edge cases of the rework checked against image/jpeg, on
// the fixtures of testdata/edges (see gen.sh there) and on JPEGs built
// byte by byte here.

import (
	"bytes"
	"errors"
	"fmt"
	"image/jpeg"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// edgeTwin returns the baseline fixture of testdata/edges that holds the
// same coefficients as name, arranged so that image/jpeg decodes them:
// b-SIZE-SAMPLING.jpg, with the luma factors over 1 of the one-scan-per-
// component files brought down to the subsampling they stand for.
func edgeTwin(name string) string {
	base := strings.TrimSuffix(filepath.Base(name), ".jpg")
	parts := strings.SplitN(base, "-", 3) // mode, size, sampling
	sampling := map[string]string{
		"4x2_2x1_2x1": "2x2", // 4:2:0
		"2x2_2x2_2x2": "1x1", // 4:4:4
		"4x2_2x2_2x2": "2x1", // 4:2:2
	}[parts[2]]
	if sampling == "" {
		sampling = parts[2]
	}
	return filepath.Join("testdata", "edges", "b-"+parts[1]+"-"+sampling+".jpg")
}

func decodeReference(t *testing.T, file string) []Plane {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	m, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("image/jpeg on %s: %v", file, err)
	}
	return imagePlanes(m)
}

// TestEdgeFixtures: every edge-case fixture (1×1 pictures in each of the six
// subsamplings, 45×29 ones with a restart after every MCU or block, luma
// factors over 1 in one-component scans, an unusual progressive script)
// decodes at 8/8 to exactly image/jpeg's samples of its baseline twin, and
// of itself when image/jpeg decodes it; at every n/8 it is a well-formed
// Image whose every block has the mean of the block at 8/8 (within 1.5:
// the scaled inverses keep the DC, so a block put in the wrong place or
// scaled wrongly would show).
func TestEdgeFixtures(t *testing.T) {
	files, _ := filepath.Glob("testdata/edges/*.jpg")
	if len(files) < 40 {
		t.Fatalf("%d edge-case fixtures; run testdata/edges/gen.sh", len(files))
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		want := decodeReference(t, edgeTwin(f))
		full, err := Decode(bytes.NewReader(data), 8)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if err := samePlanes(full.Planes, want); err != nil {
			t.Errorf("%s against %s: %v", f, edgeTwin(f), err)
		}
		if m, err := jpeg.Decode(bytes.NewReader(data)); err == nil {
			if err := samePlanes(full.Planes, imagePlanes(m)); err != nil {
				t.Errorf("%s against image/jpeg's decoding of it: %v", f, err)
			}
		}
		cfg, _ := jpeg.DecodeConfig(bytes.NewReader(data))
		for n := 1; n < 8; n++ {
			img, err := Decode(bytes.NewReader(data), n)
			if err != nil {
				t.Errorf("%s at %d/8: %v", f, n, err)
				continue
			}
			if err := checkImage(img, n, cfg.Width, cfg.Height); err != nil {
				t.Errorf("%s at %d/8: %v", f, n, err)
				continue
			}
			for i, fp := range full.Planes {
				if d, bx, by := worstBlockMean(fp, img.Planes[i], n); d > 1.5 {
					t.Errorf("%s at %d/8, plane %d: block (%d, %d) mean is %.2f off the 8/8 block's",
						f, n, i, bx, by, d)
				}
			}
		}
	}
}

// worstBlockMean compares the mean of each n×n block of g, decoded at n/8,
// with that of the 8×8 block of full it comes from, over the blocks that
// hold picture, and returns the largest difference and where.
func worstBlockMean(full, g Plane, n int) (worst float64, wx, wy int) {
	for by := range ceilDiv(full.Height, 8) {
		for bx := range ceilDiv(full.Width, 8) {
			var s8, sn float64
			for y := range 8 {
				for x := range 8 {
					s8 += float64(full.Pix[(8*by+y)*full.Stride+8*bx+x])
				}
			}
			for y := range n {
				for x := range n {
					sn += float64(g.Pix[(n*by+y)*g.Stride+n*bx+x])
				}
			}
			if d := math.Abs(s8/64 - sn/float64(n*n)); d > worst {
				worst, wx, wy = d, bx, by
			}
		}
	}
	return worst, wx, wy
}

// segment is one marker segment of a JPEG; an SOS segment includes the
// entropy-coded data after it.
type segment struct {
	marker byte
	data   []byte // from the 0xff of the marker
}

func splitSegments(t *testing.T, data []byte) []segment {
	t.Helper()
	var segs []segment
	i := 2 // after SOI
	for i < len(data) {
		if data[i] != 0xff {
			t.Fatalf("no marker at %d", i)
		}
		m := data[i+1]
		if m == eoiMarker {
			return segs
		}
		end := i + 2 + (int(data[i+2])<<8 | int(data[i+3]))
		if m == sosMarker {
			for end+1 < len(data) && (data[end] != 0xff || data[end+1] == 0 ||
				rst0Marker <= data[end+1] && data[end+1] <= rst7Marker) {
				end++
			}
		}
		segs = append(segs, segment{m, data[i:end]})
		i = end
	}
	t.Fatal("no EOI")
	return nil
}

// scanGroups splits a JPEG into what comes before its first scan's tables
// (up to and including the SOF) and, for each scan, the DHT segments
// before it and the SOS with its data; DRI segments are dropped.
func scanGroups(t *testing.T, data []byte) (head []byte, groups [][]byte) {
	t.Helper()
	head = []byte{0xff, soiMarker}
	var cur []byte
	seenSOF := false
	for _, s := range splitSegments(t, data) {
		switch {
		case !seenSOF:
			head = append(head, s.data...)
			seenSOF = s.marker == sof0Marker || s.marker == sof2Marker
		case s.marker == driMarker:
		case s.marker == sosMarker:
			groups = append(groups, append(cur, s.data...))
			cur = nil
		default:
			cur = append(cur, s.data...)
		}
	}
	return head, groups
}

func dri(n int) []byte { return []byte{0xff, driMarker, 0, 4, byte(n >> 8), byte(n)} }

// TestDRIBetweenScans: a progressive file whose restart interval
// changes between scans (a DRI segment is allowed before any scan): the
// first k scans of the file without restarts, then DRI 1 and the remaining
// scans of its twin with a restart after every MCU; and the other way
// round, ending with DRI 0. Each scan counts its own intervals from the DRI
// in force, in MCUs for the interleaved DC scans and in blocks for the
// others. The grey pair is checked against image/jpeg's decoding of the
// spliced file itself (one-component MCUs are blocks, which it counts
// right), the 4:2:0 pair against the baseline twin.
func TestDRIBetweenScans(t *testing.T) {
	for _, c := range []struct{ plain, restarts, twin string }{
		{"p-45x29-g.jpg", "pr-45x29-g.jpg", ""},
		{"p-45x29-2x2.jpg", "pr-45x29-2x2.jpg", "b-45x29-2x2.jpg"},
	} {
		read := func(name string) []byte {
			data, err := os.ReadFile(filepath.Join("testdata", "edges", name))
			if err != nil {
				t.Fatal(err)
			}
			return data
		}
		headA, a := scanGroups(t, read(c.plain))
		headB, b := scanGroups(t, read(c.restarts))
		if len(a) != len(b) || len(a) < 3 {
			t.Fatalf("%s has %d scans, %s %d", c.plain, len(a), c.restarts, len(b))
		}
		for k := 1; k < len(a); k++ {
			for _, order := range []string{"none then 1", "1 then none"} {
				var f []byte
				if order == "none then 1" {
					f = append(f, headA...)
					for _, g := range a[:k] {
						f = append(f, g...)
					}
					f = append(f, dri(1)...)
					for _, g := range b[k:] {
						f = append(f, g...)
					}
				} else {
					f = append(f, headB...)
					f = append(f, dri(1)...)
					for _, g := range b[:k] {
						f = append(f, g...)
					}
					f = append(f, dri(0)...)
					for _, g := range a[k:] {
						f = append(f, g...)
					}
				}
				f = append(f, 0xff, eoiMarker)
				what := fmt.Sprintf("%s/%s, restarts %s from scan %d", c.plain, c.restarts, order, k)
				var want []Plane
				if c.twin == "" {
					m, err := jpeg.Decode(bytes.NewReader(f))
					if err != nil {
						t.Fatalf("%s: image/jpeg: %v", what, err)
					}
					want = imagePlanes(m)
				} else {
					want = decodeReference(t, filepath.Join("testdata", "edges", c.twin))
				}
				for _, n := range []int{8, 3} {
					got, err := Decode(bytes.NewReader(f), n)
					if err != nil {
						t.Errorf("%s at %d/8: %v", what, n, err)
						continue
					}
					if n == 8 {
						if err := samePlanes(got.Planes, want); err != nil {
							t.Errorf("%s: %v", what, err)
						}
					}
				}
			}
		}
	}
}

// jpegBuilder writes a JPEG segment by segment, and entropy-coded bits
// with byte stuffing.
type jpegBuilder struct {
	bytes.Buffer
	acc  uint32
	nacc uint
}

func newJPEG() *jpegBuilder {
	b := &jpegBuilder{}
	b.Write([]byte{0xff, soiMarker})
	return b
}

func (b *jpegBuilder) segment(marker byte, payload ...byte) {
	b.Write([]byte{0xff, marker, byte((len(payload) + 2) >> 8), byte(len(payload) + 2)})
	b.Write(payload)
}

// bits writes s, a string of '0' and '1'.
func (b *jpegBuilder) bits(s string) {
	for _, c := range s {
		b.acc = b.acc<<1 | uint32(c-'0')
		b.nacc++
		if b.nacc == 8 {
			b.WriteByte(byte(b.acc))
			if byte(b.acc) == 0xff {
				b.WriteByte(0)
			}
			b.acc, b.nacc = 0, 0
		}
	}
}

// pad fills the last byte with ones, as at the end of a scan or interval.
func (b *jpegBuilder) pad() {
	for b.nacc != 0 {
		b.bits("1")
	}
}

func (b *jpegBuilder) marker(m byte) { b.Write([]byte{0xff, m}) }

// dqt defines table 0 with every entry q.
func (b *jpegBuilder) dqt(q byte) {
	p := []byte{0}
	for range blockSize {
		p = append(p, q)
	}
	b.segment(dqtMarker, p...)
}

// sof writes a one-component frame header of marker m.
func (b *jpegBuilder) sof(m byte, w, h int) {
	b.segment(m, 8, byte(h>>8), byte(h), byte(w>>8), byte(w), 1, 1, 0x11, 0)
}

// dht defines table class tc, destination 0, with counts[i] codes of length
// i+1 for the values vals.
func (b *jpegBuilder) dht(tc byte, counts []byte, vals ...byte) {
	p := []byte{tc << 4}
	var c [16]byte
	copy(c[:], counts)
	p = append(p, c[:]...)
	b.segment(dhtMarker, append(p, vals...)...)
}

func (b *jpegBuilder) sos(ss, se, ahal byte) {
	b.segment(sosMarker, 1, 1, 0x00, ss, se, ahal)
}

// TestEOBRunAcrossRestart: an EOB run longer than what is left of its
// restart interval is cut at the RST marker (section G.1.2.2: the decoder's
// state is reset there), so the block after the marker is decoded from its
// own data, as image/jpeg does; here that block has a coefficient the run
// would otherwise have skipped.
func TestEOBRunAcrossRestart(t *testing.T) {
	b := newJPEG()
	b.dqt(16)
	b.sof(sof2Marker, 16, 8)                 // two blocks
	b.dht(0, []byte{1}, 0x00)                // DC: "0" = size 0
	b.dht(1, []byte{0, 3}, 0x00, 0x01, 0x10) // AC: "00" EOB, "01" 0/1, "10" EOBRUN of 2 or 3
	b.segment(driMarker, 0, 1)               // a restart after every block
	b.sos(0, 0, 0)                           // DC, both blocks 0
	b.bits("0")
	b.pad()
	b.marker(rst0Marker)
	b.bits("0")
	b.pad()
	b.sos(1, 63, 0)    // AC
	b.bits("10" + "0") // an EOB run of 2, covering this block and the next
	b.pad()
	b.marker(rst0Marker)
	b.bits("01" + "1" + "00") // but the next block has coefficient 1 = +1, then EOB
	b.pad()
	b.marker(eoiMarker)
	data := b.Bytes()

	m, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("image/jpeg: %v", err)
	}
	want := imagePlanes(m)
	if want[0].Pix[8] == want[0].Pix[15] {
		t.Fatal("image/jpeg leaves the second block flat: the file does not test the cut")
	}
	for _, n := range []int{8, 4, 1} {
		got, err := Decode(bytes.NewReader(data), n)
		if err != nil {
			t.Fatalf("%d/8: %v", n, err)
		}
		if n == 8 {
			if err := samePlanes(got.Planes, want); err != nil {
				t.Error(err)
			}
		}
	}
}

// TestCompleteHuffmanTable: a table whose codes fill the code space
// exactly (here "0" and "1"), all-ones code included, is not one with more
// codes than fit: libjpeg and image/jpeg take it, and so must Decode.
func TestCompleteHuffmanTable(t *testing.T) {
	b := newJPEG()
	b.dqt(8)
	b.sof(sof0Marker, 8, 8)
	b.dht(0, []byte{2}, 0x00, 0x04) // DC: "0" size 0, "1" size 4
	b.dht(1, []byte{2}, 0x00, 0x01) // AC: "0" EOB, "1" 0/1
	b.sos(0, 63, 0)
	b.bits("1" + "1011" + "1" + "0" + "0") // DC +11, AC coefficient 1 = -1, EOB
	b.pad()
	b.marker(eoiMarker)
	m, err := jpeg.Decode(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatalf("image/jpeg: %v", err)
	}
	got, err := Decode(bytes.NewReader(b.Bytes()), 8)
	if err != nil {
		t.Fatal(err)
	}
	if err := samePlanes(got.Planes, imagePlanes(m)); err != nil {
		t.Error(err)
	}
}

// grayFile is a 16×8 greyscale baseline JPEG built here: two flat blocks,
// the frame header written by sof, extra inserted before EOI.
func grayFile(sof func(b *jpegBuilder), extra []byte) []byte {
	b := newJPEG()
	b.dqt(1)
	sof(b)
	b.dht(0, []byte{1}, 0x00)
	b.dht(1, []byte{1}, 0x00)
	b.sos(0, 63, 0)
	b.bits("0" + "0" + "0" + "0") // DC 0 and EOB, twice
	b.pad()
	b.Write(extra)
	b.marker(eoiMarker)
	return b.Bytes()
}

// TestOddFrames: what image/jpeg does with frames that are unusual,
// Decode does too, at every scale. A frame of height 0 (its height to come
// in a DNL marker): without the DNL an empty image (its scan has no MCUs,
// its data is skipped as extraneous data), with the DNL an
// UnsupportedError. A second frame header: a FormatError. Width 0: empty.
func TestOddFrames(t *testing.T) {
	for _, c := range []struct {
		name string
		data []byte
	}{
		{"height 0", grayFile(func(b *jpegBuilder) { b.sof(sof0Marker, 16, 0) }, nil)},
		{"height 0, DNL", grayFile(func(b *jpegBuilder) { b.sof(sof0Marker, 16, 0) },
			[]byte{0xff, 0xdc, 0, 4, 0, 8})},
		{"width 0", grayFile(func(b *jpegBuilder) { b.sof(sof0Marker, 0, 8) }, nil)},
		{"two frames", grayFile(func(b *jpegBuilder) { b.sof(sof0Marker, 16, 8) },
			[]byte{0xff, sof0Marker, 0, 11, 8, 0, 8, 0, 16, 1, 1, 0x11, 0})},
		{"plain", grayFile(func(b *jpegBuilder) { b.sof(sof0Marker, 16, 8) }, nil)},
	} {
		m, wantErr := jpeg.Decode(bytes.NewReader(c.data))
		for _, n := range []int{8, 5, 1} {
			img, err := Decode(bytes.NewReader(c.data), n)
			if (err == nil) != (wantErr == nil) {
				t.Errorf("%s at %d/8: error %v, image/jpeg's %v", c.name, n, err, wantErr)
				continue
			}
			if err != nil {
				var wantU jpeg.UnsupportedError
				var gotU UnsupportedError
				if errors.As(wantErr, &wantU) != errors.As(err, &gotU) {
					t.Errorf("%s at %d/8: error %v (%T), image/jpeg's %v (%T)", c.name, n, err, err, wantErr, wantErr)
				}
				continue
			}
			b := m.Bounds()
			if b.Empty() {
				// image/jpeg gives image.ZR, Decode the frame's other side
				// on an empty grid: the same nothing.
				if img.Width*img.Height != 0 {
					t.Errorf("%s at %d/8: %d×%d, want an empty grid", c.name, n, img.Width, img.Height)
				}
				if err := checkImage(img, n, -1, -1); err != nil {
					t.Errorf("%s at %d/8: %v", c.name, n, err)
				}
				continue
			}
			if err := checkImage(img, n, b.Dx(), b.Dy()); err != nil {
				t.Errorf("%s at %d/8: %v", c.name, n, err)
			}
			if n == 8 {
				if err := samePlanes(img.Planes, imagePlanes(m)); err != nil {
					t.Errorf("%s: %v", c.name, err)
				}
			}
		}
	}
}
