package jpegdec

import (
	"fmt"
	"io"
)

// LimitScans returns a reader of r that fails with an [UnsupportedError]
// once more than [MaxScans] start-of-scan markers have passed through it:
// the same limit for the JPEGs that this package leaves to image/jpeg (CMYK,
// YCCK, RGB), which has none. It counts the bytes 0xff 0xda wherever they
// are; in entropy-coded data a 0xff is always followed by 0x00 or a marker,
// so only metadata (an EXIF thumbnail, an ICC profile) can add to the count,
// by a few.
func LimitScans(r io.Reader) io.Reader { return &scanLimit{r: r} }

type scanLimit struct {
	r       io.Reader
	scans   int
	afterFF bool
	err     error // sticky: image/jpeg drops an error that comes with data
}

func (l *scanLimit) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	n, err := l.r.Read(p)
	for i, b := range p[:n] {
		if l.afterFF && b == sosMarker {
			if l.scans++; l.scans > MaxScans {
				l.err = UnsupportedError(fmt.Sprintf("more than %d scans", MaxScans))
				return i, l.err
			}
		}
		l.afterFF = b == 0xff
	}
	return n, err
}
