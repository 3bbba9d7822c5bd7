package imaging

import (
	"fmt"
	"strings"
)

// The callers turn every error below except [*ReadError] and
// [*InvalidOptionsError] into the pipeline's ImageRejected: they describe the
// upload, so a retry would fail the same way. The types are distinct so that
// errors.As can tell them apart, for example to word the rejection reason.

// UnsupportedFormatError reports content that is not one of the supported
// formats, or a variant of one that the decoders cannot read (an animated
// WebP, a lossless or arithmetic-coded JPEG).
type UnsupportedFormatError struct {
	// Found names what the content was recognised as, such as "PDF document"
	// or "unknown content (first bytes 0x…)".
	Found string
}

func (e *UnsupportedFormatError) Error() string {
	return "imaging: unsupported format: " + e.Found
}

// CorruptImageError reports data of a supported format that does not decode:
// truncated, malformed, or inconsistent between its header and its pixels.
type CorruptImageError struct {
	// Format is the format the data was sniffed as.
	Format Format
	// Err is the decoder's error.
	Err error
}

func (e *CorruptImageError) Error() string {
	return fmt.Sprintf("imaging: corrupt %s image: %v", e.Format, e.Err)
}

func (e *CorruptImageError) Unwrap() error { return e.Err }

// TooManyPixelsError reports an image whose header declares more pixels than
// the configured cap. It is returned before any pixel is decoded, so a
// decompression bomb costs only the bytes of its header.
type TooManyPixelsError struct {
	Width, Height int
	// Max is the cap in pixels that was exceeded.
	Max int64
}

func (e *TooManyPixelsError) Error() string {
	return fmt.Sprintf("imaging: image is %d×%d = %d pixels, over the cap of %d",
		e.Width, e.Height, int64(e.Width)*int64(e.Height), e.Max)
}

// HeaderTooLargeError reports an image whose metadata before the first pixel
// data exceeds [MaxHeaderBytes], so its dimensions cannot be learned from a
// bounded read.
type HeaderTooLargeError struct {
	Format Format
	// Limit is the number of bytes read before giving up.
	Limit int
}

func (e *HeaderTooLargeError) Error() string {
	return fmt.Sprintf("imaging: %s header is larger than %d bytes", e.Format, e.Limit)
}

// ReadError reports a failure of the reader the image came from (a broken S3
// stream, a timeout), as opposed to a problem with the image itself. It is
// worth retrying, so callers must not reject the image for it.
type ReadError struct {
	Err error
}

func (e *ReadError) Error() string { return "imaging: reading image: " + e.Err.Error() }

func (e *ReadError) Unwrap() error { return e.Err }

// InvalidVariantsError reports a variant list that [ParseVariants] refuses.
type InvalidVariantsError struct {
	// Spec is the text that was parsed.
	Spec string
	// Reason says what is wrong with it.
	Reason string
}

func (e *InvalidVariantsError) Error() string {
	return fmt.Sprintf("imaging: invalid variants %q: %s", e.Spec, e.Reason)
}

// InvalidOptionsError reports [Options] that [Process] cannot work with. It is
// a configuration mistake, not a property of the image.
type InvalidOptionsError struct {
	Reason string
}

func (e *InvalidOptionsError) Error() string { return "imaging: invalid options: " + e.Reason }

// hexPrefix formats up to n bytes of b for an error message.
func hexPrefix(b []byte, n int) string {
	if len(b) > n {
		b = b[:n]
	}
	var sb strings.Builder
	sb.WriteString("0x")
	for _, c := range b {
		fmt.Fprintf(&sb, "%02x", c)
	}
	return sb.String()
}
