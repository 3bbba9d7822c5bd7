package httpapi

import (
	"errors"
	"net/url"
	"strconv"
	"time"
)

// PresignedExpiry returns when a SigV4 presigned URL with query q stops
// working: its X-Amz-Date plus X-Amz-Expires, which is what the APIs tell
// their clients as expires_at / expiresAt.
func PresignedExpiry(q url.Values) (time.Time, error) {
	signedAt, err := time.Parse("20060102T150405Z", q.Get("X-Amz-Date"))
	if err != nil {
		return time.Time{}, errors.New("presign: the URL has no usable X-Amz-Date")
	}
	secs, err := strconv.Atoi(q.Get("X-Amz-Expires"))
	if err != nil || secs <= 0 {
		return time.Time{}, errors.New("presign: the URL has no usable X-Amz-Expires")
	}
	return signedAt.Add(time.Duration(secs) * time.Second), nil
}
