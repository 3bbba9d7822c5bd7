package imaging

import (
	"bytes"
	"unicode/utf8"
)

// Format names a supported input format. Its values are the lower-case names
// used in the stored item and in log lines.
type Format string

// The supported input formats.
const (
	JPEG Format = "jpeg"
	PNG  Format = "png"
	GIF  Format = "gif"
	WebP Format = "webp"
)

// SniffLen is the number of leading bytes [Sniff] needs to recognise every
// format it knows; fewer work for most.
const SniffLen = 32

// Sniff identifies the format of an image from its first bytes (the first
// [SniffLen] suffice), never from a file extension or a Content-Type, which
// the uploader controls. Content that is not a supported image returns an
// [*UnsupportedFormatError] naming what was found when it is recognisable.
// An animated WebP is refused here because its frames cannot be decoded.
func Sniff(head []byte) (Format, error) {
	// Only the first SniffLen bytes decide, so the answer is the same for a
	// header read and for the whole file.
	head = head[:min(len(head), SniffLen)]
	switch {
	case bytes.HasPrefix(head, []byte{0xff, 0xd8, 0xff}):
		return JPEG, nil
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return PNG, nil
	case bytes.HasPrefix(head, []byte("GIF87a")), bytes.HasPrefix(head, []byte("GIF89a")):
		return GIF, nil
	case len(head) >= 12 && string(head[:4]) == "RIFF" && string(head[8:12]) == "WEBP":
		// A VP8X chunk's flags (byte 20) say whether the file is animated;
		// golang.org/x/image/webp decodes still images only.
		if len(head) >= 21 && string(head[12:16]) == "VP8X" && head[20]&0x02 != 0 {
			return "", &UnsupportedFormatError{Found: "animated WebP image"}
		}
		return WebP, nil
	}
	return "", &UnsupportedFormatError{Found: describe(head)}
}

// signatures are the magic numbers of formats that are refused but worth
// naming in the rejection reason, so the uploader learns what they sent.
var signatures = []struct {
	magic string
	name  string
}{
	{"%PDF-", "PDF document"},
	{"BM", "BMP image"},
	{"II*\x00", "TIFF image"},
	{"MM\x00*", "TIFF image"},
	{"\x00\x00\x01\x00", "ICO icon"},
	{"8BPS", "Photoshop document"},
	{"\x00\x00\x00\x0cjP  \r\n\x87\n", "JPEG 2000 image"},
	{"\xff\x4f\xff\x51", "JPEG 2000 codestream"},
	{"\xff\x0a", "JPEG XL image"},
	{"\x00\x00\x00\x0cJXL \r\n\x87\n", "JPEG XL image"},
	{"qoif", "QOI image"},
	{"PK\x03\x04", "ZIP archive"},
	{"\x1f\x8b", "gzip archive"},
	{"7z\xbc\xaf\x27\x1c", "7-Zip archive"},
	{"Rar!\x1a\x07", "RAR archive"},
	{"\x7fELF", "ELF executable"},
	{"MZ", "Windows executable"},
	{"RIFF", "RIFF container"},
	{"OggS", "Ogg media"},
	{"\x1a\x45\xdf\xa3", "Matroska/WebM video"},
	{"ID3", "MP3 audio"},
}

// describe names what head looks like, for an [UnsupportedFormatError].
func describe(head []byte) string {
	if len(head) == 0 {
		return "empty file"
	}
	if name, ok := isoMedia(head); ok {
		return name
	}
	for _, s := range signatures {
		if !bytes.HasPrefix(head, []byte(s.magic)) {
			continue
		}
		// "BM" and "MZ" are two letters that text can start with too; a BMP
		// has four reserved zero bytes after its size.
		if s.magic == "BM" && (len(head) < 10 || !bytes.Equal(head[6:10], make([]byte, 4))) {
			continue
		}
		if s.magic == "MZ" && !bytes.Contains(head, []byte{0}) {
			continue
		}
		return s.name
	}
	if markup := markupKind(head); markup != "" {
		return markup
	}
	if isText(head) {
		return "plain text"
	}
	return "unknown content (first bytes " + hexPrefix(head, 8) + ")"
}

// isoMedia recognises ISO base media files (HEIC, AVIF, MP4…) by their
// leading ftyp box and its brands.
func isoMedia(head []byte) (string, bool) {
	if len(head) < 12 || string(head[4:8]) != "ftyp" {
		return "", false
	}
	end := min(len(head), 8+int(uint32(head[0])<<24|uint32(head[1])<<16|
		uint32(head[2])<<8|uint32(head[3])))
	// The major brand is at 8, the compatible brands from 16 on; an AVIF may
	// carry the generic "mif1" major brand and name "avif" only as compatible.
	var brands []string
	for i := 8; i+4 <= end; i += 4 {
		if i != 12 { // bytes 12..16 are the minor version
			brands = append(brands, string(head[i:i+4]))
		}
	}
	has := func(names ...string) bool {
		for _, b := range brands {
			for _, n := range names {
				if b == n {
					return true
				}
			}
		}
		return false
	}
	switch {
	case has("avif", "avis"):
		return "AVIF image", true
	case has("heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1"):
		return "HEIC/HEIF image", true
	case has("crx "):
		return "Canon CR3 raw image", true
	case has("jxl "):
		return "JPEG XL image", true
	case has("qt  "):
		return "QuickTime video", true
	}
	return "MP4/ISO media file", true
}

// markupKind recognises SVG, XML and HTML, which start with text markup after
// an optional byte-order mark and white space.
func markupKind(head []byte) string {
	s := bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	s = bytes.TrimLeft(s, " \t\r\n")
	lower := bytes.ToLower(s)
	switch {
	case bytes.HasPrefix(lower, []byte("<?xml")), bytes.HasPrefix(lower, []byte("<svg")):
		return "SVG/XML text"
	case bytes.HasPrefix(lower, []byte("<!doctype html")), bytes.HasPrefix(lower, []byte("<html")):
		return "HTML document"
	}
	return ""
}

// isText reports whether head looks like text: valid UTF-8 without control
// characters other than white space. A multi-byte character cut off at the
// end of head does not count against it.
func isText(head []byte) bool {
	for i := 0; i < len(head); {
		r, n := utf8.DecodeRune(head[i:])
		if r == utf8.RuneError && n <= 1 {
			return len(head)-i < utf8.UTFMax && !utf8.FullRune(head[i:])
		}
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' && r != '\f' || r == 0x7f {
			return false
		}
		i += n
	}
	return true
}
