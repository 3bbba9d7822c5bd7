package uploadurl

import (
	"mime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/imagepipe/imagepipe/shared/httpapi"
	"github.com/imagepipe/imagepipe/shared/objectkey"
)

// Environment variables read by [LoadConfig].
const (
	EnvBucket              = "ORIGINALS_BUCKET"
	EnvExpiry              = "UPLOAD_URL_EXPIRY"
	EnvMaxBytes            = "MAX_BYTES"
	EnvAllowedContentTypes = "ALLOWED_CONTENT_TYPES"
	EnvCORSOrigins         = "CORS_ORIGINS"
)

// Defaults and limits of the configuration.
const (
	// DefaultExpiry is how long an upload URL stays valid when not configured.
	DefaultExpiry = 5 * time.Minute
	// MaxExpiry caps the configured expiry: a leaked URL should not stay usable
	// for long, and a client has no reason to wait an hour before uploading.
	MaxExpiry = time.Hour
	// DefaultMaxBytes is the upload size cap when not configured (50 MiB).
	DefaultMaxBytes int64 = 50 << 20
	// MaxPutBytes is the largest object S3 accepts in one PUT (5 GiB); a larger
	// cap would hand out URLs that S3 refuses anyway.
	MaxPutBytes int64 = 5 << 30
)

// DefaultContentTypes are the upload types accepted when not configured.
var DefaultContentTypes = []string{"image/jpeg", "image/png", "image/gif", "image/webp"}

// Config is what the handler needs to know. Zero values of the optional
// fields mean their defaults, so a caller such as the local stack can write
// Config{Bucket: "originals"}.
type Config struct {
	// Bucket is the originals bucket the URLs point into. Required.
	Bucket string
	// Expiry is how long a URL stays valid; zero means [DefaultExpiry].
	Expiry time.Duration
	// MaxBytes is the largest upload allowed, in bytes; zero means
	// [DefaultMaxBytes].
	MaxBytes int64
	// AllowedContentTypes are the media types a client may upload; nil means
	// [DefaultContentTypes]. Each must map to an extension of
	// objectkey.Extensions, since the key's extension is derived from it.
	AllowedContentTypes []string
	// CORSOrigins are the browser origins that get CORS headers; "*" allows
	// any origin. Empty means no CORS headers at all.
	CORSOrigins []string
}

// LoadConfig reads the configuration through getenv (os.Getenv in Lambda).
// An empty variable counts as unset, so a deployment that writes "" gets the
// default rather than an error.
func LoadConfig(getenv func(string) string) (Config, error) {
	cfg := Config{Bucket: strings.TrimSpace(getenv(EnvBucket))}
	if cfg.Bucket == "" {
		return Config{}, &ConfigError{EnvBucket, "", ErrBucketMissing}
	}

	if v := strings.TrimSpace(getenv(EnvExpiry)); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 || d > MaxExpiry {
			return Config{}, &ConfigError{EnvExpiry, v, ErrExpiryInvalid}
		}
		cfg.Expiry = d
	}

	if v := strings.TrimSpace(getenv(EnvMaxBytes)); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 || n > MaxPutBytes {
			return Config{}, &ConfigError{EnvMaxBytes, v, ErrMaxBytesInvalid}
		}
		cfg.MaxBytes = n
	}

	if v := getenv(EnvAllowedContentTypes); strings.TrimSpace(v) != "" {
		cfg.AllowedContentTypes = splitList(v)
	}
	cfg.CORSOrigins = splitList(getenv(EnvCORSOrigins))

	if err := cfg.normalize(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// splitList splits a comma list, dropping blanks so "a, b," is [a b].
func splitList(s string) []string {
	var out []string
	for part := range strings.SplitSeq(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// normalize fills the defaults, checks every field and canonicalises the
// content types (lower case, no parameters) so requests compare against
// exactly one spelling.
func (c *Config) normalize() error {
	if c.Bucket == "" {
		return &ConfigError{EnvBucket, "", ErrBucketMissing}
	}

	switch {
	case c.Expiry == 0:
		c.Expiry = DefaultExpiry
	case c.Expiry < 0 || c.Expiry > MaxExpiry:
		return &ConfigError{EnvExpiry, c.Expiry.String(), ErrExpiryInvalid}
	}

	switch {
	case c.MaxBytes == 0:
		c.MaxBytes = DefaultMaxBytes
	case c.MaxBytes < 0 || c.MaxBytes > MaxPutBytes:
		return &ConfigError{EnvMaxBytes, strconv.FormatInt(c.MaxBytes, 10), ErrMaxBytesInvalid}
	}

	types := c.AllowedContentTypes
	if len(types) == 0 {
		types = DefaultContentTypes
	}
	c.AllowedContentTypes = make([]string, 0, len(types))
	for _, t := range types {
		mt, params, err := mime.ParseMediaType(t)
		if err != nil || len(params) > 0 || extensionFor(mt) == "" {
			return &ConfigError{EnvAllowedContentTypes, t, ErrContentTypeInvalid}
		}
		if !slices.Contains(c.AllowedContentTypes, mt) {
			c.AllowedContentTypes = append(c.AllowedContentTypes, mt)
		}
	}

	for _, o := range c.CORSOrigins {
		if !httpapi.ValidOrigin(o) {
			return &ConfigError{EnvCORSOrigins, o, ErrCORSOriginInvalid}
		}
	}
	// A wildcard beside named origins is almost certainly a mistake left
	// over from testing; refusing it keeps "which sites may call us" obvious.
	if len(c.CORSOrigins) > 1 && slices.Contains(c.CORSOrigins, "*") {
		return &ConfigError{EnvCORSOrigins, strings.Join(c.CORSOrigins, ","),
			ErrCORSOriginInvalid}
	}
	return nil
}

// extensionFor returns the key extension of a canonical media type, or "" if
// objectkey knows none. When several extensions share a type (jpg, jpeg) the
// shortest wins, then the alphabetically first, so keys are stable.
func extensionFor(mediaType string) string {
	best := ""
	for ext, t := range objectkey.Extensions {
		if t != mediaType {
			continue
		}
		if best == "" || len(ext) < len(best) || (len(ext) == len(best) && ext < best) {
			best = ext
		}
	}
	return best
}
