package imaging_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/imagepipe/imagepipe/shared/imaging"
)

// addSeeds gives a fuzz target every fixture and the hand-made headers of the
// other tests, so mutation starts from each format's real structure.
func addSeeds(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.*"))
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		if ext := filepath.Ext(file); ext == ".go" || ext == ".md" {
			continue
		}
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add(pngHeaderOnly(100000, 100000))
	f.Add(jpegHeaderOnly(640, 480))
	f.Add(exifJPEG(f, tiffWithOrientation(3, []byte{6, 0, 0, 0})))
	f.Add([]byte("%PDF-1.7"))
	f.Add([]byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"))
	f.Add([]byte{})
}

// typed reports whether err is one of the errors ReadHeader and Process
// document for image content.
func typed(err error) bool { return imaging.IsImageError(err) }

func FuzzReadHeader(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := imaging.ReadHeader(bytes.NewReader(data))
		if err != nil {
			if !typed(err) {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			if h != (imaging.Header{}) {
				t.Fatalf("Header %+v reported with error %v", h, err)
			}
			return
		}
		format, serr := imaging.Sniff(data)
		if serr != nil || format != h.Format {
			t.Fatalf("Header format %q, Sniff says %q, %v", h.Format, format, serr)
		}
		if h.Width <= 0 || h.Height <= 0 || h.Orientation < 1 || h.Orientation > 8 {
			t.Fatalf("implausible header %+v", h)
		}

		// Decoding must agree with the header or fail with a typed error;
		// the cap keeps each run small.
		const maxPixels = 1 << 16
		out, err := imaging.Process(bytes.NewReader(data), imaging.Options{
			Variants: []imaging.Variant{{"a", 64}, {"b", 8}}, MaxPixels: maxPixels})
		if err != nil {
			if !typed(err) {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			var tooMany *imaging.TooManyPixelsError
			if errors.As(err, &tooMany) != (h.Pixels() > maxPixels) {
				t.Fatalf("Process = %v for a %d-pixel header", err, h.Pixels())
			}
			return
		}
		uw, uh := h.Upright()
		if long := max(out[0].Width, out[0].Height); long > 64 ||
			long < min(64, max(uw, uh)) {
			t.Fatalf("output %d×%d from a %d×%d header", out[0].Width, out[0].Height, uw, uh)
		}
	})
}

func FuzzSniff(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		format, err := imaging.Sniff(data)
		var unsupported *imaging.UnsupportedFormatError
		switch {
		case err == nil && format == "":
			t.Fatal("no format and no error")
		case err != nil && (!errors.As(err, &unsupported) || unsupported.Found == ""):
			t.Fatalf("error %v does not name what was found", err)
		}
		if len(data) > imaging.SniffLen {
			f2, err2 := imaging.Sniff(data[:imaging.SniffLen])
			if f2 != format || (err == nil) != (err2 == nil) {
				t.Fatalf("bytes past %d changed the answer", imaging.SniffLen)
			}
		}
	})
}
