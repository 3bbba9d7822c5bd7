package imaging

import (
	"errors"
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

// IsImageError reports whether err is about the image itself (its format, its
// content or its size), so that retrying cannot help and the upload should be
// rejected. Failures of the reader and invalid options are not.
func IsImageError(err error) bool {
	var (
		unsupported *UnsupportedFormatError
		corrupt     *CorruptImageError
		tooMany     *TooManyPixelsError
		tooLarge    *HeaderTooLargeError
	)
	return errors.As(err, &unsupported) || errors.As(err, &corrupt) ||
		errors.As(err, &tooMany) || errors.As(err, &tooLarge)
}

// Describe returns a sentence for the uploader saying why err rejects their
// image, for the rejection reason stored on the item and sent in the failure
// notification. Errors that are not image errors are described by their
// message.
func Describe(err error) string {
	var (
		unsupported *UnsupportedFormatError
		corrupt     *CorruptImageError
		tooMany     *TooManyPixelsError
		tooLarge    *HeaderTooLargeError
	)
	switch {
	case errors.As(err, &unsupported):
		return "the file is " + article(unsupported.Found) +
			", which is not a supported image: upload a JPEG, PNG, GIF or WebP"
	case errors.As(err, &corrupt):
		return fmt.Sprintf("the %s image is damaged or truncated and cannot be decoded",
			strings.ToUpper(string(corrupt.Format)))
	case errors.As(err, &tooMany):
		return fmt.Sprintf("the image is %d×%d pixels (%.1f MP), over the limit of %.1f MP",
			tooMany.Width, tooMany.Height,
			float64(tooMany.Width)*float64(tooMany.Height)/1e6, float64(tooMany.Max)/1e6)
	case errors.As(err, &tooLarge):
		return fmt.Sprintf("the %s image has more than %d KiB of metadata before its pixels",
			strings.ToUpper(string(tooLarge.Format)), tooLarge.Limit>>10)
	}
	return err.Error()
}

// article puts "a" or "an" before a description such as "PDF document", as
// the description is spoken.
func article(found string) string {
	switch {
	case found == "empty file":
		return "empty"
	case found == "plain text":
		return found
	case strings.HasPrefix(found, "unknown"):
		return "of " + found
	}
	for _, p := range []string{"AVIF", "ICO", "ELF", "MP3", "MP4", "SVG", "HTML", "Ogg",
		"animated"} {
		if strings.HasPrefix(found, p) {
			return "an " + found
		}
	}
	return "a " + found
}
