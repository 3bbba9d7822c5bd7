package uploadurl

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestLoadConfig parses environments as Lambda would see them and checks the
// resulting Config or the named error, which must name the variable.
func TestLoadConfig(t *testing.T) {
	defaults := Config{
		Bucket:              "originals",
		Expiry:              5 * time.Minute,
		MaxBytes:            52428800,
		AllowedContentTypes: []string{"image/jpeg", "image/png", "image/gif", "image/webp"},
	}
	with := func(f func(*Config)) Config {
		c := defaults
		f(&c)
		return c
	}
	tests := []struct {
		name string
		env  map[string]string
		want Config
		err  error
	}{
		{name: "defaults", env: map[string]string{"ORIGINALS_BUCKET": "originals"},
			want: defaults},
		{name: "empty values mean defaults", env: map[string]string{
			"ORIGINALS_BUCKET": "originals", "UPLOAD_URL_EXPIRY": "", "MAX_BYTES": " ",
			"ALLOWED_CONTENT_TYPES": "", "CORS_ORIGINS": "",
		}, want: defaults},
		{name: "everything set", env: map[string]string{
			"ORIGINALS_BUCKET":      "originals",
			"UPLOAD_URL_EXPIRY":     "90s",
			"MAX_BYTES":             "1048576",
			"ALLOWED_CONTENT_TYPES": " IMAGE/PNG , image/webp,image/png,",
			"CORS_ORIGINS":          "https://app.example.com, http://localhost:5173",
		}, want: Config{
			Bucket:              "originals",
			Expiry:              90 * time.Second,
			MaxBytes:            1 << 20,
			AllowedContentTypes: []string{"image/png", "image/webp"},
			CORSOrigins:         []string{"https://app.example.com", "http://localhost:5173"},
		}},
		{name: "expiry at the limit", env: map[string]string{
			"ORIGINALS_BUCKET": "originals", "UPLOAD_URL_EXPIRY": "1h"},
			want: with(func(c *Config) { c.Expiry = time.Hour })},
		{name: "cap at the S3 limit", env: map[string]string{
			"ORIGINALS_BUCKET": "originals", "MAX_BYTES": "5368709120"},
			want: with(func(c *Config) { c.MaxBytes = 5 << 30 })},
		{name: "wildcard origin", env: map[string]string{
			"ORIGINALS_BUCKET": "originals", "CORS_ORIGINS": "*"},
			want: with(func(c *Config) { c.CORSOrigins = []string{"*"} })},

		{name: "no bucket", env: map[string]string{}, err: ErrBucketMissing},
		{name: "blank bucket", env: map[string]string{"ORIGINALS_BUCKET": "  "},
			err: ErrBucketMissing},
		{name: "expiry not a duration", env: map[string]string{
			"ORIGINALS_BUCKET": "b", "UPLOAD_URL_EXPIRY": "300"}, err: ErrExpiryInvalid},
		{name: "expiry zero", env: map[string]string{
			"ORIGINALS_BUCKET": "b", "UPLOAD_URL_EXPIRY": "0s"}, err: ErrExpiryInvalid},
		{name: "expiry negative", env: map[string]string{
			"ORIGINALS_BUCKET": "b", "UPLOAD_URL_EXPIRY": "-1m"}, err: ErrExpiryInvalid},
		{name: "expiry over an hour", env: map[string]string{
			"ORIGINALS_BUCKET": "b", "UPLOAD_URL_EXPIRY": "1h0m1s"}, err: ErrExpiryInvalid},
		{name: "cap not a number", env: map[string]string{
			"ORIGINALS_BUCKET": "b", "MAX_BYTES": "50MiB"}, err: ErrMaxBytesInvalid},
		{name: "cap zero", env: map[string]string{
			"ORIGINALS_BUCKET": "b", "MAX_BYTES": "0"}, err: ErrMaxBytesInvalid},
		{name: "cap negative", env: map[string]string{
			"ORIGINALS_BUCKET": "b", "MAX_BYTES": "-5"}, err: ErrMaxBytesInvalid},
		{name: "cap fraction", env: map[string]string{
			"ORIGINALS_BUCKET": "b", "MAX_BYTES": "1.5"}, err: ErrMaxBytesInvalid},
		{name: "cap over 5 GiB", env: map[string]string{
			"ORIGINALS_BUCKET": "b", "MAX_BYTES": "5368709121"}, err: ErrMaxBytesInvalid},
		{name: "type without an extension", env: map[string]string{
			"ORIGINALS_BUCKET": "b", "ALLOWED_CONTENT_TYPES": "image/jpeg,image/bmp"},
			err: ErrContentTypeInvalid},
		{name: "type not an image", env: map[string]string{
			"ORIGINALS_BUCKET": "b", "ALLOWED_CONTENT_TYPES": "text/plain"},
			err: ErrContentTypeInvalid},
		{name: "type with a parameter", env: map[string]string{
			"ORIGINALS_BUCKET": "b", "ALLOWED_CONTENT_TYPES": "image/png; q=1"},
			err: ErrContentTypeInvalid},
		{name: "origin without a scheme", env: map[string]string{
			"ORIGINALS_BUCKET": "b", "CORS_ORIGINS": "app.example.com"},
			err: ErrCORSOriginInvalid},
		{name: "origin with a path", env: map[string]string{
			"ORIGINALS_BUCKET": "b", "CORS_ORIGINS": "https://app.example.com/"},
			err: ErrCORSOriginInvalid},
		{name: "origin with another scheme", env: map[string]string{
			"ORIGINALS_BUCKET": "b", "CORS_ORIGINS": "ftp://app.example.com"},
			err: ErrCORSOriginInvalid},
		{name: "wildcard beside an origin", env: map[string]string{
			"ORIGINALS_BUCKET": "b", "CORS_ORIGINS": "https://app.example.com,*"},
			err: ErrCORSOriginInvalid},
	}
	varOf := map[error]string{
		ErrBucketMissing:      EnvBucket,
		ErrExpiryInvalid:      EnvExpiry,
		ErrMaxBytesInvalid:    EnvMaxBytes,
		ErrContentTypeInvalid: EnvAllowedContentTypes,
		ErrCORSOriginInvalid:  EnvCORSOrigins,
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := LoadConfig(func(k string) string { return tc.env[k] })
			if tc.err != nil {
				var cerr *ConfigError
				if !errors.Is(err, tc.err) || !errors.As(err, &cerr) {
					t.Fatalf("err = %v, want a *ConfigError wrapping %v", err, tc.err)
				}
				if want := varOf[tc.err]; cerr.Name != want ||
					!strings.Contains(err.Error(), want) {
					t.Errorf("err %q does not name %s", err, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("config = %+v,\nwant %+v", got, tc.want)
			}
		})
	}
}
