// Package jpegdec decodes baseline and progressive JPEGs of one or three
// components into their planes, at their size or at n/8 of it for n from 1
// to 7, as libjpeg's scaled decoding does.
//
// It is the standard library's image/jpeg (Go 1.26) with its output changed,
// under the Go licence in LICENSE; reader.go, scan.go and huffman.go keep its
// structure and comments. What differs:
//
//   - The result is the stored planes (Y, or Y, Cb, Cr) at their own
//     subsampling, not an image.Image: the resize step works on planes and
//     never converts to RGB.
//   - At a scale of n/8, each 8×8 block is reconstructed as n×n samples by
//     an n-point inverse DCT of its n×n lowest frequencies (dct.go), so a
//     picture that is to be reduced anyway is never built at full size: that
//     is most of the decoding's arithmetic and of its memory. The entropy
//     decoding is the same at every scale.
//   - Four-component (CMYK, YCCK) and RGB files are refused with an
//     UnsupportedError; the caller decodes those with image/jpeg.
//   - DecodeConfig and the image.RegisterFormat hook are gone.
//   - Corrupt files image/jpeg decodes anyway are refused: Huffman tables
//     with more codes than fit, coefficients beyond 16 bits, a successive
//     approximation shift over 13, more than MaxScans scans.
package jpegdec

import (
	"fmt"
	"io"
)

// Plane is one component's samples.
type Plane struct {
	// Pix holds the samples; row y starts at Pix[y*Stride]. Rows and
	// columns beyond Width and Height, to whole MCUs, are not picture
	// (zero where the file codes no blocks for them).
	Pix    []byte
	Stride int
	// Width and Height are how many samples hold picture: the image's
	// Width and Height divided by the units, rounded up.
	Width, Height int
	// UnitX and UnitY are how many samples of the image's grid (the first
	// plane's) one sample covers: the component's subsampling.
	UnitX, UnitY int
}

// Image is a decoded JPEG.
type Image struct {
	// Width and Height are the grid the planes are on: the picture's size
	// times Eighths/8, rounded up.
	Width, Height int
	// Eighths is the scale, in eighths: 8 is full size.
	Eighths int
	// Planes are Y alone, or Y, Cb and Cr (full-range BT.601, as JFIF).
	Planes []Plane
	// Progressive says the file was progressive: its decoding kept every
	// coefficient, 2 bytes a sample, which is garbage once Decode returns.
	Progressive bool
}

// ScaledSize is the size of a w×h picture decoded at eighths/8: rounded up,
// as libjpeg does.
func ScaledSize(w, h, eighths int) (int, int) {
	return (w*eighths + 7) / 8, (h*eighths + 7) / 8
}

// MaxScans is how many scans a file may have. A scan of end-of-band runs
// passes over every block of a component in a few bytes, so scans, not
// bytes, bound a progressive file's decoding time: 1000 of them, 75 KB
// after a 50 MP frame's DC scan, took 12.7 s here (35 s through
// image/jpeg); 100 take 1.5 s (4.1 s), 4 times the same frame with 10
// scans (BenchmarkScanBomb) and about a legitimate 50 MP job's worst.
// Encoders write a dozen or so (libjpeg's progressive script has 10,
// Photoshop's 3 to 5). libjpeg-turbo's report on such files (LJT-01-003)
// leaves the limit to applications; this is imagepipe's.
const MaxScans = 100

// ScaleFor returns the smallest scale, in eighths, at which a w×h picture
// still covers minW×minH: the smallest n with w·n/8 ≥ minW and h·n/8 ≥
// minH (the picture's own extent, not its grid rounded up), or 8.
func ScaleFor(w, h, minW, minH int) int {
	n := 1
	for n < 8 && (w*n < 8*minW || h*n < 8*minH) {
		n++
	}
	return n
}

// Decode reads a JPEG from r and returns its planes at eighths/8 of its size,
// 1 to 8. Errors are FormatError, UnsupportedError, or those of r.
func Decode(r io.Reader, eighths int) (*Image, error) {
	if eighths < 1 || eighths > 8 {
		return nil, fmt.Errorf("jpegdec: scale %d/8 is not 1/8 to 8/8", eighths)
	}
	d := decoder{eighths: eighths}
	return d.decode(r, false)
}
