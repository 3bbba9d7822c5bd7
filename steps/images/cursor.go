package images

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"time"

	"github.com/imagepipe/imagepipe/shared/httpapi"
	"github.com/imagepipe/imagepipe/shared/metadata"
	"github.com/imagepipe/imagepipe/shared/objectkey"
)

// cursorVersion is the layout of the cursors issued now; a cursor of another
// layout is refused, so a change of layout only ever costs a client a 400
// and a fresh start.
const cursorVersion = 1

// maxCursor caps the ?cursor= value; issued cursors are about 150 bytes.
const maxCursor = 512

// cursor is the JSON inside an opaque page cursor: where the page ended and
// whose listing it belongs to. User is a digest of the user id, so that the
// cursor (which may end up in URLs and proxy logs) does not carry the id.
//
// The cursor is not signed, and needs not be: the listing always runs in the
// caller's own partition of the index, whatever the cursor says, so a forged
// one can at most skip some of the caller's own images. The digest makes a
// cursor of another user's listing a 400 rather than a silent restart.
type cursor struct {
	Version      int    `json:"v"`
	User         string `json:"u"`
	ImageID      string `json:"i"`
	LastModified string `json:"t"`
}

// userDigest is the user binding of a cursor: 12 bytes of SHA-256, as
// unpadded base64url.
func userDigest(userID string) string {
	sum := sha256.Sum256([]byte("imagepipe/images cursor\x00" + userID))
	return base64.RawURLEncoding.EncodeToString(sum[:12])
}

// encodeCursor returns the cursor of the page after next for userID.
func encodeCursor(userID string, next *metadata.PageKey) string {
	raw, _ := json.Marshal(cursor{ // strings always encode
		Version:      cursorVersion,
		User:         userDigest(userID),
		ImageID:      next.ImageID,
		LastModified: next.LastModified,
	})
	return base64.RawURLEncoding.EncodeToString(raw)
}

// decodeCursor checks a ?cursor= value and returns where the page starts. Any
// deviation from what encodeCursor writes for userID is refused.
func decodeCursor(userID, s string) (*metadata.PageKey, *httpapi.Refusal) {
	invalid := httpapi.BadRequest(CodeInvalidCursor,
		"the cursor is not one this API issued for your listing; list again without it")
	if len(s) > maxCursor {
		return nil, invalid
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, invalid
	}
	var c cursor
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, invalid
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, invalid
	}
	if c.Version != cursorVersion || c.User != userDigest(userID) ||
		!objectkey.ValidID(c.ImageID) || !canonicalTime(c.LastModified) {
		return nil, invalid
	}
	return &metadata.PageKey{ImageID: c.ImageID, LastModified: c.LastModified}, nil
}

// canonicalTime reports whether s is a time written as the metadata item
// writes lastModified: RFC 3339 in UTC, whole seconds.
func canonicalTime(s string) bool {
	t, err := time.Parse(time.RFC3339, s)
	return err == nil && t.UTC().Format(time.RFC3339) == s
}
