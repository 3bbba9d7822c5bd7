package images

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/imagepipe/imagepipe/shared/httpapi"
	"github.com/imagepipe/imagepipe/shared/settings"
)

// Environment variables read by [LoadConfig]. The AWS SDK reads its own
// (AWS_REGION, AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_S3, …) separately.
const (
	// EnvTable is the metadata table. Required.
	EnvTable = "TABLE_NAME"
	// EnvProcessedBucket is the bucket the variant URLs point into. Required.
	EnvProcessedBucket = "PROCESSED_BUCKET"
	// EnvURLExpiry is how long a variant URL stays valid, a Go duration in
	// whole seconds from 1s to [MaxURLExpiry]; default [DefaultURLExpiry].
	EnvURLExpiry = "IMAGE_URL_EXPIRY"
	// EnvCORSOrigins is the comma-separated list of browser origins that get
	// CORS headers, or "*"; default none.
	EnvCORSOrigins = "CORS_ORIGINS"
)

// Defaults and limits of the configuration.
const (
	// DefaultURLExpiry is how long a variant URL stays valid when not
	// configured: long enough to load a page of thumbnails, short enough that
	// a leaked URL soon stops working.
	DefaultURLExpiry = 5 * time.Minute
	// MaxURLExpiry caps the expiry: a client asks again for fresh URLs, so a
	// longer life only widens what a leaked URL exposes.
	MaxURLExpiry = time.Hour
)

// Config is what the handler needs to know. Zero values of the optional
// fields mean their defaults, so a caller such as the local stack can write
// Config{Table: "t", ProcessedBucket: "b"}.
type Config struct {
	// Table is the metadata table. Required.
	Table string
	// ProcessedBucket holds the variants. Required.
	ProcessedBucket string
	// URLExpiry is how long a variant URL stays valid; zero means
	// [DefaultURLExpiry].
	URLExpiry time.Duration
	// CORSOrigins are the browser origins that get CORS headers; "*" allows
	// any origin. Empty means no CORS headers at all.
	CORSOrigins []string
}

// LoadConfig reads the configuration from env ([settings.OS] in Lambda). An
// empty variable counts as unset. A bad value is reported as a
// [*settings.Error] that names the variable.
func LoadConfig(env settings.Env) (Config, error) {
	var c Config
	var err error
	if c.Table, err = env.Required(EnvTable); err != nil {
		return Config{}, err
	}
	if c.ProcessedBucket, err = env.Required(EnvProcessedBucket); err != nil {
		return Config{}, err
	}
	c.URLExpiry, err = env.Duration(EnvURLExpiry, DefaultURLExpiry, time.Second, MaxURLExpiry)
	if err != nil {
		return Config{}, err
	}
	c.CORSOrigins = env.List(EnvCORSOrigins, nil)
	if err := c.normalize(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// normalize fills the defaults and checks every field, so that a Config
// built in code is held to the same rules as one read from the environment.
func (c *Config) normalize() error {
	if c.Table = strings.TrimSpace(c.Table); c.Table == "" {
		return &settings.Error{Name: EnvTable, Reason: "is required"}
	}
	if c.ProcessedBucket = strings.TrimSpace(c.ProcessedBucket); c.ProcessedBucket == "" {
		return &settings.Error{Name: EnvProcessedBucket, Reason: "is required"}
	}
	if c.URLExpiry == 0 {
		c.URLExpiry = DefaultURLExpiry
	}
	// S3 counts X-Amz-Expires in whole seconds; a fraction would silently
	// be cut off.
	if c.URLExpiry < time.Second || c.URLExpiry > MaxURLExpiry ||
		c.URLExpiry%time.Second != 0 {
		return &settings.Error{Name: EnvURLExpiry, Value: c.URLExpiry.String(),
			Reason: fmt.Sprintf("must be whole seconds from 1s to %s", MaxURLExpiry)}
	}
	for _, o := range c.CORSOrigins {
		if !httpapi.ValidOrigin(o) {
			return &settings.Error{Name: EnvCORSOrigins, Value: o,
				Reason: "must list origins written scheme://host[:port], or be *"}
		}
	}
	// A wildcard beside named origins is almost certainly left over from
	// testing; refusing it keeps "which sites may call us" obvious.
	if len(c.CORSOrigins) > 1 && slices.Contains(c.CORSOrigins, "*") {
		return &settings.Error{Name: EnvCORSOrigins, Value: strings.Join(c.CORSOrigins, ","),
			Reason: "may be * or a list of origins, not both"}
	}
	return nil
}
