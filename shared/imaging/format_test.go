package imaging_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/imagepipe/imagepipe/shared/imaging"
)

func TestSniff(t *testing.T) {
	fixtures := map[string]imaging.Format{
		"jpeg-baseline.jpg":    imaging.JPEG,
		"jpeg-progressive.jpg": imaging.JPEG,
		"jpeg-gray.jpg":        imaging.JPEG,
		"jpeg-cmyk.jpg":        imaging.JPEG,
		"orient-6.jpg":         imaging.JPEG,
		"png-rgb8.png":         imaging.PNG,
		"png-rgb16.png":        imaging.PNG,
		"png-palette.png":      imaging.PNG,
		"png-grayalpha.png":    imaging.PNG,
		"png-rgba.png":         imaging.PNG,
		"gif-animated.gif":     imaging.GIF,
		"webp-lossy.webp":      imaging.WebP,
		"webp-lossless.webp":   imaging.WebP,
		"webp-alpha.webp":      imaging.WebP,
	}
	for name, want := range fixtures {
		t.Run(name, func(t *testing.T) {
			got, err := imaging.Sniff(fixture(t, name)[:imaging.SniffLen])
			if err != nil || got != want {
				t.Errorf("Sniff = %q, %v; want %q", got, err, want)
			}
		})
	}
}

func TestSniffRefuses(t *testing.T) {
	cases := []struct {
		name  string
		head  string
		found string // what the error must name
	}{
		{"pdf", "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF document"},
		{"heic", "\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "HEIC/HEIF image"},
		{"heif mif1", "\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1miaf", "HEIC/HEIF image"},
		{"avif", "\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf", "AVIF image"},
		{"avif as mif1", "\x00\x00\x00\x1cftypmif1\x00\x00\x00\x00mif1avifmiaf", "AVIF image"},
		{"mp4", "\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41", "MP4/ISO media file"},
		{"bmp", "BM\x36\x00\x0c\x00\x00\x00\x00\x00\x36\x00\x00\x00\x28\x00", "BMP image"},
		{"tiff le", "II*\x00\x08\x00\x00\x00\x0e\x00\xfe\x00", "TIFF image"},
		{"tiff be", "MM\x00*\x00\x00\x00\x08\x00\x0e", "TIFF image"},
		{"svg", "<svg xmlns=\"http://www.w3.org/2000/svg\">", "SVG/XML text"},
		{"xml with bom", "\xef\xbb\xbf  <?xml version=\"1.0\"?><svg>", "SVG/XML text"},
		{"html", "<!DOCTYPE html><html><head>", "HTML document"},
		{"zip", "PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00", "ZIP archive"},
		{"gzip", "\x1f\x8b\x08\x00\x00\x00\x00\x00", "gzip archive"},
		{"text", "hello, this is not a picture\n", "plain text"},
		{"text starting BM", "BMW owners club newsletter", "plain text"},
		{"utf-8 text cut mid-rune", "caf\xc3", "plain text"},
		{"animated webp", "RIFF\x00\x10\x00\x00WEBPVP8X\x0a\x00\x00\x00\x12\x00\x00\x00",
			"animated WebP image"},
		{"riff avi", "RIFF\x00\x10\x00\x00AVI LIST", "RIFF container"},
		{"empty", "", "empty file"},
		{"short jpeg", "\xff\xd8", "unknown content (first bytes 0xffd8)"},
		{"short png", "\x89PNG", "unknown content (first bytes 0x89504e47)"},
		{"binary", "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09", "unknown content (first bytes " +
			"0x0001020304050607)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := imaging.Sniff([]byte(c.head))
			var unsupported *imaging.UnsupportedFormatError
			if !errors.As(err, &unsupported) {
				t.Fatalf("Sniff = %q, %v; want an UnsupportedFormatError", f, err)
			}
			if unsupported.Found != c.found {
				t.Errorf("Found = %q, want %q", unsupported.Found, c.found)
			}
			if !strings.HasPrefix(err.Error(), "imaging: ") {
				t.Errorf("message %q lacks the package prefix", err)
			}
		})
	}
}

func TestSniffOnlyLooksAtTheHead(t *testing.T) {
	head := "just some text that goes on for more than thirty-two bytes "
	_, short := imaging.Sniff([]byte(head))
	_, long := imaging.Sniff([]byte(head + "\x00\x01\x02 binary tail"))
	if short.Error() != long.Error() {
		t.Errorf("a tail after byte %d changed the answer: %v, then %v",
			imaging.SniffLen, short, long)
	}
}

func TestDescribe(t *testing.T) {
	cases := []struct {
		err   error
		image bool
		want  string
	}{
		{&imaging.UnsupportedFormatError{Found: "PDF document"}, true,
			"the file is a PDF document, which is not a supported image: " +
				"upload a JPEG, PNG, GIF or WebP"},
		{&imaging.UnsupportedFormatError{Found: "AVIF image"}, true,
			"the file is an AVIF image, which is not a supported image: " +
				"upload a JPEG, PNG, GIF or WebP"},
		{&imaging.UnsupportedFormatError{Found: "empty file"}, true,
			"the file is empty, which is not a supported image: upload a JPEG, PNG, GIF or WebP"},
		{&imaging.CorruptImageError{Format: imaging.PNG, Err: errors.New("x")}, true,
			"the PNG image is damaged or truncated and cannot be decoded"},
		{&imaging.TooManyPixelsError{Width: 10000, Height: 8000, Max: 50_000_000}, true,
			"the image is 10000×8000 pixels (80.0 MP), over the limit of 50.0 MP"},
		{&imaging.HeaderTooLargeError{Format: imaging.JPEG, Limit: imaging.MaxHeaderBytes}, true,
			"the JPEG image has more than 1024 KiB of metadata before its pixels"},
		{&imaging.ReadError{Err: errors.New("reset")}, false, "imaging: reading image: reset"},
		{&imaging.InvalidOptionsError{Reason: "no variants"}, false,
			"imaging: invalid options: no variants"},
	}
	for _, c := range cases {
		if got := imaging.IsImageError(c.err); got != c.image {
			t.Errorf("IsImageError(%v) = %v", c.err, got)
		}
		if got := imaging.Describe(c.err); got != c.want {
			t.Errorf("Describe(%T) = %q, want %q", c.err, got, c.want)
		}
	}
}
