package imaging_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/jpeg"
	"io"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/imagepipe/imagepipe/shared/imaging"
)

func TestReadHeader(t *testing.T) {
	cases := []struct {
		file string
		want imaging.Header
	}{
		{"jpeg-baseline.jpg", imaging.Header{imaging.JPEG, 96, 64, 1}},
		{"jpeg-progressive.jpg", imaging.Header{imaging.JPEG, 96, 64, 1}},
		{"jpeg-gray.jpg", imaging.Header{imaging.JPEG, 96, 64, 1}},
		{"jpeg-cmyk.jpg", imaging.Header{imaging.JPEG, 96, 64, 1}},
		{"png-rgb8.png", imaging.Header{imaging.PNG, 96, 64, 1}},
		{"png-rgb16.png", imaging.Header{imaging.PNG, 96, 64, 1}},
		{"png-palette.png", imaging.Header{imaging.PNG, 96, 64, 1}},
		{"png-grayalpha.png", imaging.Header{imaging.PNG, 96, 64, 1}},
		{"png-rgba.png", imaging.Header{imaging.PNG, 96, 64, 1}},
		{"gif-animated.gif", imaging.Header{imaging.GIF, 96, 64, 1}},
		{"gif-partial.gif", imaging.Header{imaging.GIF, 96, 64, 1}},
		{"webp-lossy.webp", imaging.Header{imaging.WebP, 96, 64, 1}},
		{"webp-lossless.webp", imaging.Header{imaging.WebP, 96, 64, 1}},
		{"webp-alpha.webp", imaging.Header{imaging.WebP, 96, 64, 1}},
	}
	for o := 1; o <= 8; o++ {
		// Orientations 5 to 8 are stored turned, so the stored size is
		// the upright one swapped.
		w, h := 96, 64
		if o >= 5 {
			w, h = h, w
		}
		cases = append(cases, struct {
			file string
			want imaging.Header
		}{fmt.Sprintf("orient-%d.jpg", o), imaging.Header{imaging.JPEG, w, h, o}})
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			got, err := imaging.ReadHeader(bytes.NewReader(fixture(t, c.file)))
			if err != nil || got != c.want {
				t.Fatalf("ReadHeader = %+v, %v; want %+v", got, err, c.want)
			}
			if w, h := got.Upright(); w != 96 || h != 64 {
				t.Errorf("Upright = %d×%d, want 96×64", w, h)
			}
		})
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestReadHeaderReadsOnlyTheHeader(t *testing.T) {
	// A noisy 1000×1000 picture, so the pixel data is hundreds of kilobytes.
	noisy := image.NewRGBA(image.Rect(0, 0, 1000, 1000))
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range noisy.Pix {
		noisy.Pix[i] = uint8(rng.IntN(256))
	}
	var jpg bytes.Buffer
	if err := jpeg.Encode(&jpg, noisy, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	icc := append([]byte("ICC_PROFILE\x00\x01\x01"), make([]byte, 60000)...)
	withExif := withSegments(jpg.Bytes(), segment(0xe1, tiffWithOrientation(3, []byte{6, 0, 0, 0})),
		segment(0xe2, icc))
	bigPNG := tinyPNG(t, 4000, 4000)

	cases := []struct {
		name string
		data []byte
		max  int // bytes ReadHeader may read
	}{
		// image/jpeg reads through a 4 KiB buffer past the tables.
		{"jpeg", jpg.Bytes(), 8 << 10},
		{"jpeg with exif and icc", withExif, 60000 + 8<<10},
		{"png", bigPNG, 1 << 10},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := &countingReader{r: bytes.NewReader(c.data)}
			h, err := imaging.ReadHeader(r)
			if err != nil {
				t.Fatal(err)
			}
			if r.n > c.max || r.n >= len(c.data)/4 {
				t.Errorf("read %d of %d bytes for %+v; want at most %d",
					r.n, len(c.data), h, c.max)
			}
		})
	}
}

// tinyPNG returns an opaque grey PNG of w×h whose IDAT is compressed well, so
// large sizes stay small files.
func tinyPNG(t testing.TB, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	img := image.NewGray(image.Rect(0, 0, w, h))
	if err := encodePNG(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// pngHeaderOnly returns a PNG signature and IHDR declaring w×h RGBA, and no
// pixel data at all: a decompression bomb's header.
func pngHeaderOnly(w, h uint32) []byte {
	out := []byte("\x89PNG\r\n\x1a\n")
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	body := append([]byte("IHDR"), append(ihdr, 8, 6, 0, 0, 0)...)
	out = binary.BigEndian.AppendUint32(out, 13)
	out = append(out, body...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(body))
}

// jpegHeaderOnly returns SOI, a JFIF APP0 and a baseline SOF0 declaring w×h
// with three components, and nothing after.
func jpegHeaderOnly(w, h uint16) []byte {
	jfif := segment(0xe0, []byte("JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"))
	sof := segment(0xc0, []byte{8, byte(h >> 8), byte(h), byte(w >> 8), byte(w),
		3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1})
	return withSegments(append([]byte{0xff, 0xd8}, sof...), jfif)
}

func TestPixelCapBeforeDecode(t *testing.T) {
	cases := []struct {
		name      string
		data      []byte
		maxPixels int64
	}{
		{"png 100000×100000", pngHeaderOnly(100000, 100000), 0},
		{"jpeg 60000×60000", jpegHeaderOnly(60000, 60000), 0},
		{"png just over the cap", pngHeaderOnly(10001, 5000), 50_000_000},
		{"fixture over a small cap", fixture(t, "jpeg-baseline.jpg"), 96*64 - 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			_, err := imaging.Process(bytes.NewReader(c.data), imaging.Options{
				Variants: []imaging.Variant{{"large", 1600}}, MaxPixels: c.maxPixels})
			elapsed := time.Since(start)
			runtime.ReadMemStats(&after)

			var tooMany *imaging.TooManyPixelsError
			if !errors.As(err, &tooMany) {
				t.Fatalf("Process = %v, want a TooManyPixelsError", err)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
				t.Errorf("allocated %d bytes before refusing", alloc)
			}
			if elapsed > 100*time.Millisecond {
				t.Errorf("took %v to refuse", elapsed)
			}
		})
	}

	// ReadHeader itself has no cap: the fetch step checks with CheckPixels.
	h, err := imaging.ReadHeader(bytes.NewReader(pngHeaderOnly(100000, 100000)))
	if err != nil || h.Width != 100000 || h.Height != 100000 {
		t.Fatalf("ReadHeader = %+v, %v", h, err)
	}
	var tooMany *imaging.TooManyPixelsError
	if err := h.CheckPixels(0); !errors.As(err, &tooMany) || tooMany.Max != 50_000_000 {
		t.Errorf("CheckPixels(0) = %v, want the default cap of 50 MP", err)
	}
	if err := h.CheckPixels(1e10); err != nil {
		t.Errorf("CheckPixels(1e10) = %v", err)
	}
}

// segment returns a JPEG marker segment.
func segment(marker byte, payload []byte) []byte {
	n := len(payload) + 2
	return append([]byte{0xff, marker, byte(n >> 8), byte(n)}, payload...)
}

// withSegments returns jpg with segs inserted after its SOI.
func withSegments(jpg []byte, segs ...[]byte) []byte {
	out := []byte{0xff, 0xd8}
	for _, s := range segs {
		out = append(out, s...)
	}
	return append(out, jpg[2:]...)
}

// exifJPEG returns the baseline fixture with an APP1 segment of payload.
func exifJPEG(t testing.TB, payload []byte) []byte {
	t.Helper()
	return withSegments(fixture(t, "jpeg-baseline.jpg"), segment(0xe1, payload))
}

// tiffWithOrientation builds an Exif TIFF block whose IFD0 has one entry,
// with the given value type and value bytes.
func tiffWithOrientation(typ uint16, value []byte) []byte {
	b := []byte("Exif\x00\x00II*\x00\x08\x00\x00\x00\x01\x00\x12\x01")
	b = binary.LittleEndian.AppendUint16(b, typ)
	b = binary.LittleEndian.AppendUint32(b, 1)
	return append(append(b, value...), 0, 0, 0, 0)
}

func TestReadHeaderMalformedExif(t *testing.T) {
	cases := []struct {
		name    string
		payload []byte
		want    int
	}{
		{"not exif", []byte("http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta/>"), 1},
		{"empty exif", []byte("Exif\x00\x00"), 1},
		{"bad byte order", []byte("Exif\x00\x00XX*\x00\x08\x00\x00\x00"), 1},
		{"bad magic", []byte("Exif\x00\x00II+\x00\x08\x00\x00\x00"), 1},
		{"ifd past the end", []byte("Exif\x00\x00II*\x00\xff\xff\xff\xff"), 1},
		{"entries past the end", []byte("Exif\x00\x00II*\x00\x08\x00\x00\x00\xff\xff\x12\x01"), 1},
		{"orientation 0", tiffWithOrientation(3, []byte{0, 0, 0, 0}), 1},
		{"orientation 9", tiffWithOrientation(3, []byte{9, 0, 0, 0}), 1},
		{"orientation 65535", tiffWithOrientation(3, []byte{0xff, 0xff, 0, 0}), 1},
		{"wrong type", tiffWithOrientation(2, []byte{6, 0, 0, 0}), 1},
		{"short", tiffWithOrientation(3, []byte{6, 0, 0, 0}), 6},
		{"long", tiffWithOrientation(4, []byte{3, 0, 0, 0}), 3},
		{"truncated entry", tiffWithOrientation(3, []byte{6, 0, 0, 0})[:20], 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h, err := imaging.ReadHeader(bytes.NewReader(exifJPEG(t, c.payload)))
			if err != nil {
				t.Fatal(err)
			}
			if h.Orientation != c.want || h.Width != 96 || h.Height != 64 {
				t.Errorf("ReadHeader = %+v, want orientation %d", h, c.want)
			}
		})
	}
}

// failingReader gives its data, then fails as a broken network stream does.
type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func TestReadHeaderErrors(t *testing.T) {
	broken := errors.New("connection reset")
	hugeApp := func() []byte {
		out := []byte{0xff, 0xd8}
		for range imaging.MaxHeaderBytes/65535 + 2 {
			out = append(out, 0xff, 0xe2, 0xff, 0xff)
			out = append(out, make([]byte, 65533)...)
		}
		return append(out, fixture(t, "jpeg-baseline.jpg")[2:]...)
	}()

	cases := []struct {
		name string
		r    io.Reader
		want any // pointer to the error type expected
	}{
		{"text", bytes.NewReader([]byte("hello")), new(*imaging.UnsupportedFormatError)},
		{"empty", bytes.NewReader(nil), new(*imaging.UnsupportedFormatError)},
		{"jpeg sof only half there", bytes.NewReader(jpegHeaderOnly(10, 10)[:30]),
			new(*imaging.CorruptImageError)},
		{"png zero width", bytes.NewReader(pngHeaderOnly(0, 10)), new(*imaging.CorruptImageError)},
		{"png bad crc", bytes.NewReader(append(pngHeaderOnly(10, 10)[:29], 0, 0, 0, 0)),
			new(*imaging.CorruptImageError)},
		{"gif truncated", bytes.NewReader(fixture(t, "gif-animated.gif")[:12]),
			new(*imaging.CorruptImageError)},
		{"webp truncated", bytes.NewReader(fixture(t, "webp-lossy.webp")[:24]),
			new(*imaging.CorruptImageError)},
		{"jpeg lossless", bytes.NewReader([]byte{0xff, 0xd8, 0xff, 0xc3, 0, 11, 8, 0, 8, 0, 8,
			1, 1, 0x11, 0}), new(*imaging.UnsupportedFormatError)},
		{"metadata over the limit", bytes.NewReader(hugeApp), new(*imaging.HeaderTooLargeError)},
		{"reader fails in the sniff", &failingReader{data: []byte{0xff, 0xd8}, err: broken},
			new(*imaging.ReadError)},
		{"reader fails in the header", &failingReader{data: fixture(t, "png-rgb8.png")[:20],
			err: broken}, new(*imaging.ReadError)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h, err := imaging.ReadHeader(c.r)
			if !errors.As(err, c.want) {
				t.Fatalf("ReadHeader = %+v, %v; want %T", h, err, c.want)
			}
			if h != (imaging.Header{}) {
				t.Errorf("Header = %+v on error, want zero", h)
			}
		})
	}
}
