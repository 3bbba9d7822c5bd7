// Package resize is the step that makes an image's renditions: it streams the
// original from S3, decodes it once, applies its EXIF orientation, makes every
// configured variant and writes them to the processed bucket.
package resize

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"image/color"
	"log/slog"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/imagepipe/imagepipe/shared/imaging"
	"github.com/imagepipe/imagepipe/shared/objectkey"
	"github.com/imagepipe/imagepipe/shared/settings"
	"github.com/imagepipe/imagepipe/shared/steperr"
	"github.com/imagepipe/imagepipe/shared/stepio"
)

// Config is the resize step's configuration.
type Config struct {
	// ProcessedBucket receives the renditions (PROCESSED_BUCKET).
	ProcessedBucket string
	// Options are the variants (VARIANTS, default
	// "large:1600,medium:800,thumb:200"), the JPEG quality (JPEG_QUALITY,
	// default 85), the background that transparency is flattened onto
	// (BACKGROUND, default "#ffffff") and the pixel cap (MAX_PIXELS).
	Options imaging.Options
}

// DefaultVariants is the VARIANTS default; the first is the primary rendition.
const DefaultVariants = "large:1600,medium:800,thumb:200"

// LoadConfig reads the configuration from env.
func LoadConfig(env settings.Env) (Config, error) {
	var c Config
	var err error
	if c.ProcessedBucket, err = env.Required("PROCESSED_BUCKET"); err != nil {
		return c, err
	}
	spec := env.String("VARIANTS", DefaultVariants)
	if c.Options.Variants, err = imaging.ParseVariants(spec); err != nil {
		return c, &settings.Error{Name: "VARIANTS", Value: spec, Reason: err.Error()}
	}
	quality, err := env.Int64("JPEG_QUALITY", 85, 1, 100)
	if err != nil {
		return c, err
	}
	c.Options.Quality = int(quality)
	bg := env.String("BACKGROUND", "#ffffff")
	if c.Options.Background, err = parseColor(bg); err != nil {
		return c, &settings.Error{Name: "BACKGROUND", Value: bg, Reason: err.Error()}
	}
	if c.Options.MaxPixels, err = env.Int64("MAX_PIXELS", 50_000_000, 1, 1<<40); err != nil {
		return c, err
	}
	return c, nil
}

func parseColor(s string) (color.RGBA, error) {
	hex, ok := strings.CutPrefix(s, "#")
	if !ok || len(hex) != 6 {
		return color.RGBA{}, errors.New("must be a colour written #rrggbb")
	}
	v, err := strconv.ParseUint(hex, 16, 32)
	if err != nil {
		return color.RGBA{}, errors.New("must be a colour written #rrggbb")
	}
	return color.RGBA{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v), A: 255}, nil
}

// Handler is the resize Lambda.
type Handler struct {
	cfg Config
	s3  *s3.Client
	log *slog.Logger
}

// New returns the handler.
func New(cfg Config, client *s3.Client, log *slog.Logger) *Handler {
	return &Handler{cfg: cfg, s3: client, log: log}
}

// Handle makes and writes the renditions of in.Image. Writing the same
// renditions again overwrites them with the same bytes, so a retry or a
// duplicated execution leaves one set of outputs.
func (h *Handler) Handle(ctx context.Context, in stepio.ResizeInput) (stepio.Processed, error) {
	img := in.Image
	log := h.log.With("imageId", img.ImageID, "executionArn", img.ExecutionArn)
	out, err := h.resize(ctx, img)
	if err != nil {
		var rejected *steperr.ImageRejected
		if errors.As(err, &rejected) {
			log.Warn("image rejected", "reason", rejected.Reason)
		} else {
			log.Error("resize failed", "error", err.Error(), "errorName", steperr.Name(err))
		}
		return stepio.Processed{}, steperr.Boundary(err)
	}
	log.Info("renditions written", "variants", len(out.Variants), "primary", out.PrimaryKey)
	return out, nil
}

func (h *Handler) resize(ctx context.Context, img stepio.Original) (stepio.Processed, error) {
	// IfMatch pins the version that fetch checked: a key uploaded again in
	// between has an event, and an execution, of its own.
	obj, err := h.s3.GetObject(ctx, &s3.GetObjectInput{
		Bucket: aws.String(img.Bucket), Key: aws.String(img.Key), IfMatch: nonEmpty(img.ETag)})
	if err != nil {
		return stepio.Processed{}, steperr.FromS3Object("GetObject", err)
	}
	defer obj.Body.Close()

	outputs, err := imaging.Process(bufio.NewReaderSize(obj.Body, 64<<10), h.cfg.Options)
	if err != nil {
		if imaging.IsImageError(err) {
			return stepio.Processed{}, steperr.Rejectf("%s", imaging.Describe(err))
		}
		return stepio.Processed{}, steperr.Unavailable("s3", "GetObject", err)
	}

	result := stepio.Processed{Bucket: h.cfg.ProcessedBucket,
		PrimaryKey: objectkey.PrimaryKey(img.ImageID)}
	for i, o := range outputs {
		v := stepio.Variant{
			Name:        o.Name,
			Key:         objectkey.VariantKey(img.ImageID, o.Name, i == 0),
			Width:       o.Width,
			Height:      o.Height,
			Bytes:       int64(len(o.Data)),
			ContentType: "image/jpeg",
		}
		if err := h.put(ctx, v, o.Data, img); err != nil {
			return stepio.Processed{}, err
		}
		result.Variants = append(result.Variants, v)
	}
	return result, nil
}

func (h *Handler) put(ctx context.Context, v stepio.Variant, data []byte,
	img stepio.Original) error {
	_, err := h.s3.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(h.cfg.ProcessedBucket),
		Key:           aws.String(v.Key),
		Body:          bytes.NewReader(data),
		ContentLength: aws.Int64(int64(len(data))),
		ContentType:   aws.String(v.ContentType),
		CacheControl:  aws.String("public, max-age=31536000, immutable"),
		Metadata: map[string]string{
			"image-id": img.ImageID,
			"variant":  v.Name,
			"source":   img.Key,
		},
	})
	if err != nil {
		return steperr.FromAWS("s3", "PutObject "+v.Key, err)
	}
	return nil
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}
