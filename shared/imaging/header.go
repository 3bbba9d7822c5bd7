package imaging

import (
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"

	"golang.org/x/image/webp"

	"github.com/imagepipe/imagepipe/shared/imaging/internal/jpegdec"
)

// MaxHeaderBytes bounds how far [ReadHeader] reads looking for the
// dimensions: it never reads more from its reader. A JPEG may carry Exif,
// ICC, XMP and Photoshop segments of up to 64 KiB each before its frame
// header; 1 MiB leaves room for fifteen of them while keeping the read small
// next to the image. A caller that fetches only the first bytes of an object
// should fetch this many, so that an image whose header fits is never taken
// for a truncated one.
const MaxHeaderBytes = 1 << 20

// Header is what can be learned from the first bytes of an image, without
// decoding a pixel.
type Header struct {
	Format Format
	// Width and Height are the stored dimensions, before Orientation is
	// applied; see [Header.Upright] for the displayed ones.
	Width, Height int
	// Orientation is the EXIF orientation, 1 to 8; 1 when absent, unreadable
	// or not a JPEG.
	Orientation int
}

// Pixels returns the number of pixels the image decodes to.
func (h Header) Pixels() int64 { return int64(h.Width) * int64(h.Height) }

// Upright returns the dimensions the image is displayed at: orientations 5
// to 8 turn it by a quarter, so width and height trade places.
func (h Header) Upright() (width, height int) {
	if h.Orientation >= 5 && h.Orientation <= 8 {
		return h.Height, h.Width
	}
	return h.Width, h.Height
}

// CheckPixels returns a [*TooManyPixelsError] if the image has more than
// maxPixels pixels; zero or less means [DefaultMaxPixels].
func (h Header) CheckPixels(maxPixels int64) error {
	if maxPixels <= 0 {
		maxPixels = DefaultMaxPixels
	}
	if h.Pixels() > maxPixels {
		return &TooManyPixelsError{Width: h.Width, Height: h.Height, Max: maxPixels}
	}
	return nil
}

// ReadHeader sniffs the format of the image in r and reads its dimensions and,
// for a JPEG, its EXIF orientation. It reads no more than the header needs
// (the standard decoders buffer up to 4 KiB beyond it) and never more than
// [MaxHeaderBytes]; it decodes no pixels. A malformed EXIF block is treated as
// orientation 1. Errors are [*UnsupportedFormatError], [*CorruptImageError],
// [*HeaderTooLargeError] or, when r itself fails, [*ReadError]; on error the
// Header is zero.
func ReadHeader(r io.Reader) (Header, error) {
	hdr, _, err := readHeader(newSource(r))
	return hdr, err
}

// source is the reader every decoder reads through. While recording, it keeps
// what it reads from r so that the header can be read twice (by the EXIF scan
// and by the decoder's DecodeConfig) and the full decode can start again from
// the first byte without re-fetching the object.
type source struct {
	r        io.Reader
	buf      []byte // bytes read from r while recording
	pos      int    // next byte of buf to serve
	record   bool
	hitLimit bool  // recording stopped at MaxHeaderBytes
	err      error // first error of r other than io.EOF
}

var errHeaderLimit = errors.New("imaging: header read limit reached")

func newSource(r io.Reader) *source { return &source{r: r, record: true} }

func (s *source) Read(p []byte) (int, error) {
	if s.pos < len(s.buf) {
		n := copy(p, s.buf[s.pos:])
		s.pos += n
		return n, nil
	}
	if !s.record {
		s.buf = nil // the header has been replayed; let it go
		n, err := s.r.Read(p)
		s.note(err)
		return n, err
	}
	room := MaxHeaderBytes - len(s.buf)
	if room <= 0 {
		s.hitLimit = true
		return 0, errHeaderLimit
	}
	if len(p) > room {
		p = p[:room]
	}
	n, err := s.r.Read(p)
	s.buf = append(s.buf, p[:n]...)
	s.pos += n
	s.note(err)
	return n, err
}

func (s *source) note(err error) {
	if err != nil && err != io.EOF && s.err == nil {
		s.err = err
	}
}

// replay makes the next read start again at the first byte; with record
// false, reads past the recorded header go straight to r.
func (s *source) replay(record bool) {
	s.pos = 0
	s.record = record
}

// readHeader is ReadHeader on s, which also returns the colour model the
// decoder reported.
func readHeader(s *source) (Header, color.Model, error) {
	head := make([]byte, SniffLen)
	n, _ := io.ReadFull(s, head)
	if s.err != nil {
		return Header{}, nil, &ReadError{Err: s.err}
	}
	format, err := Sniff(head[:n])
	if err != nil {
		return Header{}, nil, err
	}

	orientation := 1
	if format == JPEG {
		s.replay(true)
		orientation = jpegOrientation(s)
	}

	s.replay(true)
	cfg, err := decodeConfig(format, s)
	if err != nil {
		return Header{}, nil, classify(format, s, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return Header{}, nil, &CorruptImageError{Format: format,
			Err: fmt.Errorf("image is %d×%d", cfg.Width, cfg.Height)}
	}
	return Header{Format: format, Width: cfg.Width, Height: cfg.Height,
		Orientation: orientation}, cfg.ColorModel, nil
}

// decodeConfig runs the standard DecodeConfig of format, turning a decoder
// panic into an error: no input may bring the Lambda down.
func decodeConfig(format Format, r io.Reader) (cfg image.Config, err error) {
	defer recoverDecoder(&err)
	switch format {
	case JPEG:
		return jpeg.DecodeConfig(r)
	case PNG:
		return png.DecodeConfig(r)
	case GIF:
		return gif.DecodeConfig(r)
	case WebP:
		return webp.DecodeConfig(r)
	}
	return image.Config{}, fmt.Errorf("no decoder for %q", format)
}

// recoverDecoder, deferred by a function that runs a decoder, turns the
// decoder's panic into the function's error; its other results are left
// zero, since the panic came before they were returned.
func recoverDecoder(err *error) {
	if p := recover(); p != nil {
		*err = fmt.Errorf("decoder panic: %v", p)
	}
}

// classify turns a decoder error into one of the package's error types,
// blaming the reader rather than the image when the reader failed.
func classify(format Format, s *source, err error) error {
	var jpegUnsupported jpeg.UnsupportedError
	var jpegdecUnsupported jpegdec.UnsupportedError
	var pngUnsupported png.UnsupportedError
	switch {
	case s.err != nil:
		return &ReadError{Err: s.err}
	case s.hitLimit:
		return &HeaderTooLargeError{Format: format, Limit: MaxHeaderBytes}
	case errors.As(err, &jpegdecUnsupported):
		return &UnsupportedFormatError{
			Found: "JPEG image with an unsupported feature (" + string(jpegdecUnsupported) + ")"}
	case errors.As(err, &jpegUnsupported):
		return &UnsupportedFormatError{
			Found: "JPEG image with an unsupported feature (" + string(jpegUnsupported) + ")"}
	case errors.As(err, &pngUnsupported):
		return &UnsupportedFormatError{
			Found: "PNG image with an unsupported feature (" + string(pngUnsupported) + ")"}
	}
	return &CorruptImageError{Format: format, Err: err}
}

// JPEG markers the orientation scan needs.
const (
	markerSOI  = 0xd8
	markerEOI  = 0xd9
	markerSOS  = 0xda
	markerAPP1 = 0xe1
)

// jpegOrientation walks the JPEG segments up to the frame header looking for
// an APP1 Exif block and returns its orientation, or 1. Any malformation just
// ends the walk: DecodeConfig, run next, is the judge of whether the file is
// a JPEG at all.
func jpegOrientation(r io.Reader) int {
	var b [2]byte
	if _, err := io.ReadFull(r, b[:]); err != nil || b[0] != 0xff || b[1] != markerSOI {
		return 1
	}
	for {
		if _, err := io.ReadFull(r, b[:1]); err != nil || b[0] != 0xff {
			return 1
		}
		marker := byte(0xff)
		for marker == 0xff { // a marker may be preceded by fill bytes
			if _, err := io.ReadFull(r, b[:1]); err != nil {
				return 1
			}
			marker = b[0]
		}
		switch {
		case marker == markerSOI || marker == 0x01 || marker >= 0xd0 && marker <= 0xd7:
			continue // stand-alone markers carry no length
		case marker == markerEOI || marker == markerSOS || isSOF(marker):
			// Exif must come before the frame header.
			return 1
		}
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return 1
		}
		n := (int(b[0])<<8 | int(b[1])) - 2
		if n < 0 {
			return 1
		}
		if marker != markerAPP1 {
			if _, err := io.CopyN(io.Discard, r, int64(n)); err != nil {
				return 1
			}
			continue
		}
		payload := make([]byte, n)
		if _, err := io.ReadFull(r, payload); err != nil {
			return 1
		}
		if len(payload) >= 6 && string(payload[:6]) == "Exif\x00\x00" {
			return exifOrientation(payload[6:])
		}
		// An APP1 that is not Exif (XMP) is skipped; keep looking.
	}
}

// isSOF reports whether marker starts a frame (SOF0–SOF15 less DHT, JPG and
// DAC, which share the range).
func isSOF(marker byte) bool {
	return marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 &&
		marker != 0xcc
}

// exifOrientation reads tag 0x0112 from IFD0 of the TIFF structure in an Exif
// block. Every offset is checked against the block, since the block comes
// from the uploader; anything unexpected means orientation 1.
func exifOrientation(tiff []byte) int {
	if len(tiff) < 8 {
		return 1
	}
	var order binary.ByteOrder
	switch string(tiff[:2]) {
	case "II":
		order = binary.LittleEndian
	case "MM":
		order = binary.BigEndian
	default:
		return 1
	}
	if order.Uint16(tiff[2:]) != 42 {
		return 1
	}
	ifd := uint64(order.Uint32(tiff[4:]))
	if ifd+2 > uint64(len(tiff)) {
		return 1
	}
	count := uint64(order.Uint16(tiff[ifd:]))
	for i := uint64(0); i < count; i++ {
		e := ifd + 2 + 12*i
		if e+12 > uint64(len(tiff)) {
			return 1
		}
		if order.Uint16(tiff[e:]) != 0x0112 {
			continue
		}
		if order.Uint32(tiff[e+4:]) < 1 { // value count
			return 1
		}
		var v uint32
		switch order.Uint16(tiff[e+2:]) { // value type
		case 3: // SHORT, as the standard says
			v = uint32(order.Uint16(tiff[e+8:]))
		case 4: // LONG, written by some tools
			v = order.Uint32(tiff[e+8:])
		case 1: // BYTE, likewise
			v = uint32(tiff[e+8])
		default:
			return 1
		}
		if v < 1 || v > 8 {
			return 1
		}
		return int(v)
	}
	return 1
}
