// Package objectkey holds the S3 key layout of the two buckets.
//
// Originals live at user-uploads/<userId>/<imageId>.<ext>; the primary
// rendition at processed/<imageId>.jpg and the other variants at
// processed/<imageId>/<variant>.jpg.
package objectkey

import (
	"fmt"
	"regexp"
	"strings"
)

// Top-level prefixes of the buckets.
const (
	UploadsPrefix   = "user-uploads/"
	ProcessedPrefix = "processed/"
)

// Extensions maps each accepted upload extension to its content type.
var Extensions = map[string]string{
	"jpg":  "image/jpeg",
	"jpeg": "image/jpeg",
	"png":  "image/png",
	"gif":  "image/gif",
	"webp": "image/webp",
}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)

// Original is the parsed key of an upload.
type Original struct {
	UserID  string
	ImageID string
	Ext     string
}

// ErrLayout reports a key outside user-uploads/<userId>/<imageId>.<ext>.
type ErrLayout struct {
	Key    string
	Reason string
}

func (e *ErrLayout) Error() string {
	return fmt.Sprintf("objectkey: %q is not user-uploads/<userId>/<imageId>.<ext>: %s",
		e.Key, e.Reason)
}

// ValidID reports whether s can be a userId or imageId in a key.
func ValidID(s string) bool { return idPattern.MatchString(s) }

// OriginalKey returns the key of an upload.
func OriginalKey(userID, imageID, ext string) string {
	return UploadsPrefix + userID + "/" + imageID + "." + ext
}

// ParseOriginal parses an upload key (already URL-decoded).
func ParseOriginal(key string) (Original, error) {
	rest, ok := strings.CutPrefix(key, UploadsPrefix)
	if !ok {
		return Original{}, &ErrLayout{key, "it is not under " + UploadsPrefix}
	}
	userID, file, ok := strings.Cut(rest, "/")
	if !ok || strings.Contains(file, "/") {
		return Original{}, &ErrLayout{key, "it must have exactly one folder, the user id"}
	}
	if !ValidID(userID) {
		return Original{}, &ErrLayout{key, "the user id is empty or has characters " +
			"other than letters, digits, '-' and '_'"}
	}
	imageID, ext, ok := strings.Cut(file, ".")
	if !ok || !ValidID(imageID) {
		return Original{}, &ErrLayout{key, "the file name must be <imageId>.<ext>"}
	}
	if _, known := Extensions[strings.ToLower(ext)]; !known {
		return Original{}, &ErrLayout{key, fmt.Sprintf("the extension %q is not one of "+
			"jpg, jpeg, png, gif, webp", ext)}
	}
	return Original{UserID: userID, ImageID: imageID, Ext: strings.ToLower(ext)}, nil
}

// PrimaryKey returns the key of an image's primary rendition.
func PrimaryKey(imageID string) string {
	return ProcessedPrefix + imageID + ".jpg"
}

// VariantKey returns the key of a named variant. The first variant is the
// primary rendition; the others sit in a folder named for the image.
func VariantKey(imageID, variant string, primary bool) string {
	if primary {
		return PrimaryKey(imageID)
	}
	return ProcessedPrefix + imageID + "/" + variant + ".jpg"
}
