package jpegdec

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
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
// store cannot hold, and more than MaxScans scans. And the samples are not
// compared where image/jpeg lays a one-component scan's blocks out wrongly
// (stdMiscountsBlocks).
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
		if stdMiscountsBlocks(data) {
			return // image/jpeg decodes it, but wrongly: see stdMiscountsBlocks
		}
		if err := samePlanes(full.Planes, want); err != nil {
			t.Fatalf("full size differs from image/jpeg's %T: %v", m, err)
		}
	})
}

// stdMiscountsBlocks reports whether data has a one-component scan whose
// blocks image/jpeg counts wrongly. For such a scan it lays out
// min(mxx·h, ceil(width/8)) blocks a row, mxx being the frame's MCUs a row
// and h the component's horizontal factor, where the standard has
// ceil(ceil(width·h/hmax)/8) (and the same for the columns): they differ
// when a component is subsampled by two from a factor of four, as in 4x1
// luma with 2x1 chroma (testdata/seqni-4x1-2x1.jpg, which jpegdec decodes as
// its baseline twin). image/jpeg then decodes the file without an error but
// with its chroma blocks shifted (testdata/fuzz/FuzzDecode/
// noninterleaved-4x1-2x1). A file it cannot walk is reported as not.
func stdMiscountsBlocks(data []byte) bool {
	var w, h, hmax, vmax int
	factors := map[byte][2]int{} // component id → h, v
	for i := 2; i+3 < len(data); {
		if data[i] != 0xff {
			return false
		}
		m := data[i+1]
		if m == 0xff {
			i++ // fill byte
			continue
		}
		if m == eoiMarker {
			return false
		}
		n := int(data[i+2])<<8 | int(data[i+3])
		if n < 2 || i+2+n > len(data) {
			return false
		}
		seg := data[i+4 : i+2+n]
		switch {
		case (m == sof0Marker || m == sof1Marker || m == sof2Marker) && len(seg) >= 6:
			h, w = int(seg[1])<<8|int(seg[2]), int(seg[3])<<8|int(seg[4])
			for c := 0; 6+3*c+2 < len(seg) && c < int(seg[5]); c++ {
				hv := seg[6+3*c+1]
				f := [2]int{int(hv >> 4), int(hv & 15)}
				factors[seg[6+3*c]] = f
				hmax, vmax = max(hmax, f[0]), max(vmax, f[1])
			}
		case m == sosMarker && len(seg) >= 1 && seg[0] == 1 && len(seg) >= 2 && hmax > 0:
			f := factors[seg[1]]
			if blocks(w, f[0], hmax) != blocksStd(w, f[0], hmax) ||
				blocks(h, f[1], vmax) != blocksStd(h, f[1], vmax) {
				return true
			}
		}
		i += 2 + n
		if m == sosMarker { // skip the entropy-coded data
			for i+1 < len(data) && (data[i] != 0xff || data[i+1] == 0 ||
				rst0Marker <= data[i+1] && data[i+1] <= rst7Marker) {
				i++
			}
		}
	}
	return false
}

// blocks is how many blocks of a component of factor f (of fmax) span n
// samples of the frame, as the standard counts them.
func blocks(n, f, fmax int) int { return ((n*f+fmax-1)/fmax + 7) / 8 }

// blocksStd is how many image/jpeg decodes in a one-component scan.
func blocksStd(n, f, fmax int) int { return min((n+8*fmax-1)/(8*fmax)*f, (n+7)/8) }

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
		if g.Width*g.Height == 0 && w.Width*w.Height == 0 && g.UnitX == w.UnitX &&
			g.UnitY == w.UnitY {
			// An empty picture, such as a frame of height 0 (which image/jpeg
			// gives as 0×0 whatever its width; testdata/fuzz/FuzzDecode/
			// zero-height): no samples to compare.
			continue
		}
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

// stdMiscountsBlocks picks out, of the fixtures, exactly those with a
// one-component scan of a component subsampled by two from a factor of four,
// so that it excuses image/jpeg from the oracle nowhere else.
func TestStdMiscountsBlocks(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.jpg")
	edges, _ := filepath.Glob("testdata/edges/*.jpg")
	files = append(append(files, edges...), "testdata/fuzz/FuzzDecode/noninterleaved-4x1-2x1")
	miscounted := regexp.MustCompile(`/(prog|seqni|ni|cx)-.*4x[12][-_]2x|noninterleaved`)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(string(data), "go test fuzz v1\n") {
			data = fuzzCorpusBytes(t, data)
		}
		if got, want := stdMiscountsBlocks(data), miscounted.MatchString(f); got != want {
			t.Errorf("%s: %v, want %v", f, got, want)
		}
	}
}

// fuzzCorpusBytes returns the one []byte value of a fuzz corpus file.
func fuzzCorpusBytes(t *testing.T, file []byte) []byte {
	t.Helper()
	_, line, _ := strings.Cut(strings.TrimSpace(string(file)), "\n")
	quoted, ok := strings.CutPrefix(line, "[]byte(")
	if !ok {
		t.Fatalf("corpus line %q", line)
	}
	v, err := strconv.Unquote(strings.TrimSuffix(quoted, ")"))
	if err != nil {
		t.Fatal(err)
	}
	return []byte(v)
}
