package imaging

// Tests of the JPEG path through jpegdec (decodeJPEGPlanes) and of
// lanczos3Plane.

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imagepipe/imagepipe/shared/imaging/internal/jpegdec"
)

// lastColumnMean returns the mean of the last column of p's luma.
func lastColumnMean(p planar) float64 {
	y := p.planes[0]
	var s float64
	for r := range y.h {
		s += float64(y.row(r)[y.w-1])
	}
	return s / float64(y.h)
}

// firstStep decodes data for its one variant of long edge long, with
// decodeJPEGPlanes (jpegdec at n/8) or, with full, decodeImage (image/jpeg
// and the box, the path JPEGs took before), and resizes it to the variant.
func firstStep(t *testing.T, data []byte, long int, full bool) planar {
	t.Helper()
	src := newSource(bytes.NewReader(data))
	hdr, _, err := readHeader(src)
	if err != nil {
		t.Fatal(err)
	}
	src.replay(false)
	canvas := image.Rect(0, 0, hdr.Width, hdr.Height)
	s := plan(canvas, 1, Options{Variants: []Variant{{"v", long}}})[0]
	var p planar
	if full {
		p, err = decodeImage(hdr, src, canvas, s, DefaultBackground)
	} else {
		p, err = decodeJPEGPlanes(src, canvas, s)
	}
	if err != nil {
		t.Fatal(err)
	}
	return p.resize(s.width, s.height)
}

// TestScaledDecodeFarEdge: a black picture with a white last column,
// reduced so that the decoder's n/8 does not divide its width into whole
// samples. At n/8 the grid is (w·n+7)/8 samples, rounded up, and the last
// of them covers the far edge's few pixels and the encoder's padding (a
// repeat of the edge). Taken as a whole sample of picture, it would stretch
// the variant by up to 7/8 of a sample and weigh the edge's pixels up to
// 8/n times, a white stripe where the picture has a hairline. So the edge
// blocks are averaged from their picture pixels only (jpegdec's
// reconstructEdgeBlock) and the planar knows where the picture ends inside
// its last sample (planar.exact). The variant's last column must be no
// further from the white column's share of what it covers (give or take 16
// levels) than what the full decoding and the box give (decodeImage, the
// path of non-JPEG formats); the 1000 px picture, which 1/8 divides, is the
// control.
func TestScaledDecodeFarEdge(t *testing.T) {
	for _, c := range []struct {
		w, h, long int
		colour     bool
	}{
		{1000, 1000, 100, false}, // control: 1000/8 is whole
		{1001, 1001, 100, false},
		{1001, 1001, 100, true},
		{1003, 601, 250, false},
		// Not {9, 9, 1}: at 1/8 the 9 px are 1 1/8 samples, which nfnt can
		// only take as 1 (extent rounds; up to half a source sample is
		// misplaced at the far edge, see lanczos.go), so the 1×1 result
		// misses the white column's ninth. The box on the full decoding
		// happens to divide 9 exactly. Half a sample is half a pixel of
		// the result at most, which shows only in so small a one.
	} {
		var img image.Image
		if c.colour {
			m := image.NewRGBA(image.Rect(0, 0, c.w, c.h))
			for y := range c.h {
				for x := range c.w {
					v := uint8(0)
					if x == c.w-1 {
						v = 255
					}
					m.SetRGBA(x, y, color.RGBA{v, v, v, 255})
				}
			}
			img = m // image/jpeg writes 4:2:0
		} else {
			g := image.NewGray(image.Rect(0, 0, c.w, c.h))
			for y := range c.h {
				g.Pix[y*g.Stride+c.w-1] = 255
			}
			img = g
		}
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 100}); err != nil {
			t.Fatal(err)
		}
		got := firstStep(t, buf.Bytes(), c.long, false)
		want := firstStep(t, buf.Bytes(), c.long, true)
		g, w := lastColumnMean(got), lastColumnMean(want)
		share := 255 * float64(got.w) / float64(c.w)
		if math.Abs(g-share) > math.Abs(w-share)+16 {
			t.Errorf("%d×%d (colour %v) to %d×%d: last column %.1f, full decoding %.1f (white's share %.1f)",
				c.w, c.h, c.colour, got.w, got.h, g, w, share)
		}
	}
}

// TestLateAdobeMarkerIsIgnored: a progressive YCbCr JPEG without JFIF whose
// Adobe APP14 segment (transform 0, "RGB") comes between its scans, which
// the syntax allows. image/jpeg's DecodeConfig, which readHeader uses,
// stops at the first SOS and reports YCbCr, and libjpeg also settles the
// colour space there and decodes it as YCbCr; image/jpeg's Decode looks at
// the end and gives RGB. jpegdec settles it at the first SOS, so the header
// and the decoder agree and Process makes the variant.
func TestLateAdobeMarkerIsIgnored(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("internal", "jpegdec", "testdata", "edges", "p-45x29-2x2.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	// Drop the JFIF APP0 (right after SOI) and put an Adobe APP14 before
	// the second scan's tables.
	if data[2] != 0xff || data[3] != 0xe0 {
		t.Fatal("no APP0 after SOI")
	}
	app0 := 2 + (int(data[4])<<8 | int(data[5]))
	rest := data[2+app0:]
	adobe := []byte{0xff, 0xee, 0, 14, 'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, 0}
	// The second SOS's tables start after the first scan's data: the first
	// marker after it that is not RST or stuffing.
	sos := bytes.Index(rest, []byte{0xff, 0xda})
	i := sos + 2 + (int(rest[sos+2])<<8 | int(rest[sos+3]))
	for rest[i] != 0xff || rest[i+1] == 0 || rest[i+1] >= 0xd0 && rest[i+1] <= 0xd7 {
		i++
	}
	var f []byte
	f = append(f, 0xff, 0xd8)
	f = append(f, rest[:i]...)
	f = append(f, adobe...)
	f = append(f, rest[i:]...)

	hdr, model, err := readHeader(newSource(bytes.NewReader(f)))
	if err != nil || model != color.YCbCrModel {
		t.Fatalf("header: %v, %v, %v; the file does not test the case", hdr, model, err)
	}
	if m, err := jpeg.Decode(bytes.NewReader(f)); err != nil {
		t.Fatalf("image/jpeg: %v", err)
	} else if _, ok := m.(*image.RGBA); !ok {
		t.Fatalf("image/jpeg gives a %T; the file does not test the case", m)
	}
	if _, err := Process(bytes.NewReader(f), Options{Variants: []Variant{{"v", 20}}}); err != nil {
		var unsupported *UnsupportedFormatError
		t.Errorf("Process: %v (UnsupportedFormatError: %v)", err, errors.As(err, &unsupported))
	}
}

// TestLanczos3PlaneSmallSizes: lanczos3Plane's packing is nfnt's Gray16
// result for small sizes in every combination: results under four wide or
// high (one packed pixel, padded), spans past the plane's end in either
// dimension, source planes with a stride over their width and units of 2.
func TestLanczos3PlaneSmallSizes(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for range 1500 {
		pw, ph := 1+r.IntN(11), 1+r.IntN(11)
		sw, sh := 1+r.IntN(13), 1+r.IntN(13)
		w, h := 1+r.IntN(13), 1+r.IntN(13)
		p := noisePlane(pw, ph)
		q := plane{pix: make([]byte, (pw+5)*ph), w: pw, h: ph, stride: pw + 5, ux: 2, uy: 2}
		for y := range ph {
			copy(q.pix[y*q.stride:], p.row(y))
		}
		got := lanczos3Plane(q, sw, sh, w, h, 2)
		want := gray16Lanczos3(p, sw, sh, w, h)
		if got.w != w || got.h != h || got.ux != 2 || got.uy != 2 {
			t.Fatalf("%d×%d plane, %d×%d span to %d×%d: got %d×%d of unit %d×%d",
				pw, ph, sw, sh, w, h, got.w, got.h, got.ux, got.uy)
		}
		for y := range h {
			if !bytes.Equal(got.row(y), want[y*w:(y+1)*w]) {
				t.Fatalf("%d×%d plane, %d×%d span to %d×%d: row %d is %v, want %v",
					pw, ph, sw, sh, w, h, y, got.row(y), want[y*w:(y+1)*w])
			}
		}
	}
}

// TestProcessEdgeFixtures: the edge-case fixtures of jpegdec (1×1 pictures
// in every subsampling, 45×29 ones with restarts after every MCU, luma
// factors over 1 in one-component scans) go through Process to variants of
// every size down to 1 px, with the sizes asked for.
func TestProcessEdgeFixtures(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("internal", "jpegdec", "testdata", "edges", "*.jpg"))
	if len(files) < 40 {
		t.Fatalf("%d edge-case fixtures", len(files))
	}
	variants := []Variant{{"same", 100}, {"a", 23}, {"b", 16}, {"c", 7}, {"d", 3}, {"e", 1}}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		hdr, err := ReadHeader(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out, err := Process(bytes.NewReader(data), Options{Variants: variants})
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		for i, o := range out {
			w, h := fit(hdr.Width, hdr.Height, variants[i].LongEdge)
			if o.Width != w || o.Height != h {
				t.Errorf("%s %s: %d×%d, want %d×%d", f, o.Name, o.Width, o.Height, w, h)
			}
			m, err := jpeg.Decode(bytes.NewReader(o.Data))
			if err != nil || m.Bounds().Dx() != w || m.Bounds().Dy() != h {
				t.Errorf("%s %s: output %v, %v", f, o.Name, err, m.Bounds())
			}
		}
	}
}

// CMYK JPEGs, which image/jpeg decodes, are held to jpegdec's limit on scans:
// a file with one more is rejected as unsupported, before image/jpeg has
// run the scan past the limit.
func TestCMYKScanLimit(t *testing.T) {
	data, err := os.ReadFile("testdata/jpeg-cmyk.jpg")
	if err != nil {
		t.Fatal(err)
	}
	// A baseline file: its one scan runs to the end of the image, and a
	// repeat decodes the same pixels again.
	sos := bytes.Index(data, []byte{0xff, 0xda})
	eoi := bytes.LastIndex(data, []byte{0xff, 0xd9})
	withScans := func(n int) []byte {
		f := bytes.Clone(data[:eoi])
		for range n - 1 {
			f = append(f, data[sos:eoi]...)
		}
		return append(f, 0xff, 0xd9)
	}
	opts := Options{Variants: []Variant{{"v", 20}}}
	if _, err := Process(bytes.NewReader(withScans(3)), opts); err != nil {
		t.Fatalf("3 scans: %v", err)
	}
	_, err = Process(bytes.NewReader(withScans(jpegdec.MaxScans+1)), opts)
	var unsupported *UnsupportedFormatError
	if !errors.As(err, &unsupported) ||
		!strings.Contains(err.Error(), fmt.Sprintf("more than %d scans", jpegdec.MaxScans)) {
		t.Fatalf("%d scans: %v, want an UnsupportedFormatError", jpegdec.MaxScans+1, err)
	}
}
