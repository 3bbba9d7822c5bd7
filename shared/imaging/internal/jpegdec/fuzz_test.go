package jpegdec

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"testing"
)

// Limits on what the fuzz target decodes, so that it does not spend its
// time and memory on inputs that declare huge pictures: planes and
// progressive coefficients are allocated from the SOF's size before the
// entropy-coded data is read.
const (
	fuzzMaxInput  = 1 << 20
	fuzzMaxPixels = 4096 * 4096
)

// fullScale is Decode's scale, in eighths, for a full-size decoding.
const fullScale = 8

// FuzzDecode decodes each input at 8/8, 4/8, 2/8 and 1/8 (the shrinks 1, 2,
// 4 and 8), and at one of 3/8, 5/8, 6/8 and 7/8 chosen by the input's length
// (all eight would make each run twice as long, most of it in idctN). Decode
// must not panic (the fuzz engine reports a panic as a failure); it must give
// the same error, or none, at every scale, since the entropy decoding does
// not depend on the scale; what it returns must be a well-formed Image. And
// when image/jpeg decodes the input as grey or YCbCr, Decode at full size
// must succeed too and give image/jpeg's samples exactly; when it gives
// CMYK or RGB, Decode must refuse the input with an UnsupportedError. When
// image/jpeg fails, Decode may fail or succeed (it is more lenient, for
// example with restart intervals in progressive files), but must not panic.
// The inputs image/jpeg takes and Decode refuses are corrupt ones: a
// Huffman table with more codes than fit (testdata/fuzz/FuzzDecode/
// overfull-huffman), which libjpeg refuses too, coefficients beyond 16 bits
// and a successive approximation shift over 13, which a 16-bit coefficient
// store cannot hold, and more than MaxScans scans.
//
// Inputs over fuzzMaxInput bytes, or that image/jpeg's DecodeConfig fails on
// or finds over fuzzMaxPixels, are skipped.
func FuzzDecode(f *testing.F) {
	for _, pattern := range []string{"testdata/*.jpg", "../../testdata/*.jpg"} {
		files, err := filepath.Glob(pattern)
		if err != nil || len(files) == 0 {
			f.Fatalf("no seeds in %s (%v)", pattern, err)
		}
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > fuzzMaxInput {
			return
		}
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
		if err != nil || cfg.Width*cfg.Height > fuzzMaxPixels {
			return
		}
		var fullErr error
		var full *Image
		for _, n := range [...]int{fullScale, 4, 2, 1, [...]int{3, 5, 6, 7}[len(data)%4]} {
			img, err := Decode(bytes.NewReader(data), n)
			if n == fullScale {
				full, fullErr = img, err
			} else if errString(err) != errString(fullErr) {
				t.Fatalf("%d/8 gives error %v, %d/8 gives %v", n, err, fullScale, fullErr)
			}
			if err != nil {
				continue
			}
			if err := checkImage(img, n, cfg.Width, cfg.Height); err != nil {
				t.Fatalf("%d/8: %v", n, err)
			}
		}

		m, err := jpeg.Decode(bytes.NewReader(data))
		if err != nil {
			return
		}
		want := imagePlanes(m)
		if want == nil {
			// CMYK, YCCK or RGB, which Decode refuses.
			var unsupported UnsupportedError
			if !errors.As(fullErr, &unsupported) {
				t.Fatalf("image/jpeg gives a %T; Decode gives %v, want an UnsupportedError", m, fullErr)
			}
			return
		}
		if fullErr != nil {
			switch fullErr {
			case FormatError("Huffman table has more codes than fit"), // as libjpeg, see processDHT
				errCoefficientRange, // beyond 16 bits, see decodeBlock
				FormatError("bad successive approximation values"),            // Al over 13
				UnsupportedError(fmt.Sprintf("more than %d scans", MaxScans)): // see processSOS
				return // corrupt files image/jpeg decodes anyway; refused on purpose
			}
			t.Fatalf("image/jpeg decodes it as a %T; Decode fails: %v", m, fullErr)
		}
		if err := samePlanes(full.Planes, want); err != nil {
			t.Fatalf("full size differs from image/jpeg's %T: %v", m, err)
		}
	})
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// imagePlanes returns the planes of m, image/jpeg's decoding, with their
// units, or nil for an image that is neither grey nor YCbCr.
func imagePlanes(m image.Image) []Plane {
	switch m := m.(type) {
	case *image.Gray:
		w, h := m.Rect.Dx(), m.Rect.Dy()
		return []Plane{{Pix: m.Pix, Stride: m.Stride, Width: w, Height: h, UnitX: 1, UnitY: 1}}
	case *image.YCbCr:
		w, h := m.Rect.Dx(), m.Rect.Dy()
		ux, uy := 1, 1
		switch m.SubsampleRatio {
		case image.YCbCrSubsampleRatio422:
			ux = 2
		case image.YCbCrSubsampleRatio420:
			ux, uy = 2, 2
		case image.YCbCrSubsampleRatio440:
			uy = 2
		case image.YCbCrSubsampleRatio411:
			ux = 4
		case image.YCbCrSubsampleRatio410:
			ux, uy = 4, 2
		}
		cw, ch := (w+ux-1)/ux, (h+uy-1)/uy
		return []Plane{
			{Pix: m.Y, Stride: m.YStride, Width: w, Height: h, UnitX: 1, UnitY: 1},
			{Pix: m.Cb, Stride: m.CStride, Width: cw, Height: ch, UnitX: ux, UnitY: uy},
			{Pix: m.Cr, Stride: m.CStride, Width: cw, Height: ch, UnitX: ux, UnitY: uy},
		}
	}
	return nil
}

// samePlanes reports how got differs from want in size, units or any
// sample within Width and Height, or nil.
func samePlanes(got, want []Plane) error {
	if len(got) != len(want) {
		return fmt.Errorf("%d planes, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.Width != w.Width || g.Height != w.Height || g.UnitX != w.UnitX || g.UnitY != w.UnitY {
			return fmt.Errorf("plane %d: %d×%d of unit %d×%d, want %d×%d of %d×%d", i,
				g.Width, g.Height, g.UnitX, g.UnitY, w.Width, w.Height, w.UnitX, w.UnitY)
		}
		for y := range w.Height {
			gr, wr := g.Pix[y*g.Stride:][:w.Width], w.Pix[y*w.Stride:][:w.Width]
			for x := range gr {
				if gr[x] != wr[x] {
					return fmt.Errorf("plane %d: sample (%d, %d) is %d, want %d", i, x, y, gr[x], wr[x])
				}
			}
		}
	}
	return nil
}

// checkImage reports what is wrong with img, a decoding at n/8 of a w×h
// JPEG (w and h as image/jpeg's DecodeConfig gives them; w < 0 skips that
// check), or nil: the grid must be the scaled size, the planes one or three,
// the first at unit 1×1, each covering the grid at its units and with the
// samples its Width, Height and Stride promise.
func checkImage(img *Image, n, w, h int) error {
	if img == nil {
		return errors.New("nil Image and nil error")
	}
	if img.Eighths != n {
		return fmt.Errorf("Eighths is %d, want %d", img.Eighths, n)
	}
	if w >= 0 {
		if sw, sh := ScaledSize(w, h, n); img.Width != sw || img.Height != sh {
			return fmt.Errorf("grid %d×%d, want %d×%d at %d/8 of %d×%d", img.Width, img.Height, sw, sh, n, w, h)
		}
	}
	if len(img.Planes) != 1 && len(img.Planes) != 3 {
		return fmt.Errorf("%d planes", len(img.Planes))
	}
	for i, p := range img.Planes {
		if p.UnitX < 1 || p.UnitY < 1 || i == 0 && (p.UnitX != 1 || p.UnitY != 1) {
			return fmt.Errorf("plane %d: unit %d×%d", i, p.UnitX, p.UnitY)
		}
		if p.Width != (img.Width+p.UnitX-1)/p.UnitX || p.Height != (img.Height+p.UnitY-1)/p.UnitY {
			return fmt.Errorf("plane %d: %d×%d of unit %d×%d on a %d×%d grid", i,
				p.Width, p.Height, p.UnitX, p.UnitY, img.Width, img.Height)
		}
		if p.Stride < p.Width {
			return fmt.Errorf("plane %d: stride %d, width %d", i, p.Stride, p.Width)
		}
		if p.Width > 0 && p.Height > 0 && len(p.Pix) < (p.Height-1)*p.Stride+p.Width {
			return fmt.Errorf("plane %d: %d samples for %d rows of stride %d", i, len(p.Pix), p.Height, p.Stride)
		}
	}
	return nil
}
