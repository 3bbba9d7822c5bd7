// Package jpegdec decodes baseline and progressive JPEGs of one or three
// components into their planes, optionally at a half, a quarter or an eighth
// of their size, as libjpeg's scaled decoding does.
//
// It is the standard library's image/jpeg (Go 1.26) with its output changed,
// under the Go licence in LICENSE; reader.go, scan.go and huffman.go keep its
// structure and comments. What differs:
//
//   - The result is the stored planes (Y, or Y, Cb, Cr) at their own
//     subsampling, not an image.Image: the resize step works on planes and
//     never converts to RGB.
//   - With a shrink factor of 2, 4 or 8, each 8×8 block is reconstructed as
//     4×4, 2×2 or 1×1 samples by an inverse DCT of its lowest frequencies
//     (dct.go), so a picture that is to be reduced anyway is never built at
//     full size: that is most of the decoding's arithmetic and of its memory.
//     The entropy decoding is the same for every factor.
//   - Four-component (CMYK, YCCK) and RGB files are refused with an
//     UnsupportedError; the caller decodes those with image/jpeg.
//   - DecodeConfig and the image.RegisterFormat hook are gone.
package jpegdec

import (
	"fmt"
	"io"
)

// Plane is one component's samples.
type Plane struct {
	// Pix holds the samples; row y starts at Pix[y*Stride]. Rows and
	// columns beyond Width and Height (to whole MCUs) are padding.
	Pix    []byte
	Stride int
	// Width and Height are how many samples hold picture.
	Width, Height int
	// UnitX and UnitY are how many full-size pixels one sample covers: the
	// shrink factor times the component's subsampling.
	UnitX, UnitY int
}

// Image is a decoded JPEG.
type Image struct {
	// Width and Height are the picture's full size, whatever the shrink.
	Width, Height int
	// Planes are Y alone, or Y, Cb and Cr (full-range BT.601, as JFIF).
	Planes []Plane
}

// Decode reads a JPEG from r and returns its planes shrunk by shrink, which
// must be 1, 2, 4 or 8. Errors are FormatError, UnsupportedError, or those
// of r.
func Decode(r io.Reader, shrink int) (*Image, error) {
	switch shrink {
	case 1, 2, 4, 8:
	default:
		return nil, fmt.Errorf("jpegdec: shrink %d is not 1, 2, 4 or 8", shrink)
	}
	d := decoder{shrink: shrink}
	return d.decode(r, false)
}
