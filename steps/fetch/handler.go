// Package fetch is the pipeline's first step: it checks that an uploaded
// object is an image the pipeline will process, from its key, its size and its
// header bytes alone, and describes it for the steps after it.
package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/imagepipe/imagepipe/shared/imaging"
	"github.com/imagepipe/imagepipe/shared/objectkey"
	"github.com/imagepipe/imagepipe/shared/s3event"
	"github.com/imagepipe/imagepipe/shared/settings"
	"github.com/imagepipe/imagepipe/shared/steperr"
	"github.com/imagepipe/imagepipe/shared/stepio"
)

// Config is the fetch step's configuration.
type Config struct {
	// OriginalsBucket is the only bucket whose events are processed
	// (ORIGINALS_BUCKET).
	OriginalsBucket string
	// MaxBytes is the largest original accepted (MAX_BYTES, default 50 MiB).
	MaxBytes int64
	// MaxPixels is the largest width×height accepted (MAX_PIXELS, default
	// 50 000 000), read from the header before any decoding.
	MaxPixels int64
}

// Defaults of [Config].
const (
	DefaultMaxBytes  = 50 << 20
	DefaultMaxPixels = 50_000_000
)

// LoadConfig reads the configuration from env.
func LoadConfig(env settings.Env) (Config, error) {
	var c Config
	var err error
	if c.OriginalsBucket, err = env.Required("ORIGINALS_BUCKET"); err != nil {
		return c, err
	}
	if c.MaxBytes, err = env.Int64("MAX_BYTES", DefaultMaxBytes, 1, 5<<30); err != nil {
		return c, err
	}
	if c.MaxPixels, err = env.Int64("MAX_PIXELS", DefaultMaxPixels, 1, 1<<40); err != nil {
		return c, err
	}
	return c, nil
}

// Handler is the fetch Lambda.
type Handler struct {
	cfg Config
	s3  *s3.Client
	log *slog.Logger
}

// New returns the handler.
func New(cfg Config, client *s3.Client, log *slog.Logger) *Handler {
	return &Handler{cfg: cfg, s3: client, log: log}
}

// Handle checks the one object that the pipe's records announce and returns
// its description. Input that will never succeed is an [*steperr.ImageRejected].
func (h *Handler) Handle(ctx context.Context, in stepio.FetchInput) (stepio.Original, error) {
	orig, err := h.fetch(ctx, in)
	log := h.log.With("imageId", orig.ImageID, "executionArn", in.ExecutionArn,
		"key", orig.Key)
	var rejected *steperr.ImageRejected
	switch {
	case errors.As(err, &rejected):
		log.Warn("upload rejected", "reason", rejected.Reason)
	case err != nil:
		log.Error("fetch failed", "error", err.Error(), "errorName", steperr.Name(err))
	default:
		log.Info("upload accepted", "format", orig.Format, "width", orig.Width,
			"height", orig.Height, "bytes", orig.Bytes)
	}
	return orig, steperr.Boundary(err)
}

func (h *Handler) fetch(ctx context.Context, in stepio.FetchInput) (stepio.Original, error) {
	obj, err := s3event.Decode(in.Records)
	if err != nil {
		return stepio.Original{}, rejectEvent(err)
	}
	orig := stepio.Original{Bucket: obj.Bucket, Key: obj.Key, Sequencer: obj.Sequencer,
		ExecutionArn: in.ExecutionArn}

	if obj.Bucket != h.cfg.OriginalsBucket {
		return orig, steperr.Rejectf("the event is for bucket %q, not the originals bucket %q",
			obj.Bucket, h.cfg.OriginalsBucket)
	}
	key, err := objectkey.ParseOriginal(obj.Key)
	if err != nil {
		var layout *objectkey.ErrLayout
		errors.As(err, &layout)
		return orig, steperr.Rejectf("the object key %q is not "+
			"user-uploads/<userId>/<imageId>.<ext>: %s", obj.Key, layout.Reason)
	}
	orig.UserID, orig.ImageID = key.UserID, key.ImageID

	head, err := h.s3.HeadObject(ctx, &s3.HeadObjectInput{
		Bucket: aws.String(obj.Bucket), Key: aws.String(obj.Key)})
	if err != nil {
		return orig, steperr.FromS3Object("HeadObject", err)
	}
	orig.Bytes = aws.ToInt64(head.ContentLength)
	orig.ETag = aws.ToString(head.ETag)
	if err := h.checkSize(orig.Bytes); err != nil {
		return orig, err
	}

	hdr, err := h.readHeader(ctx, orig)
	if err != nil {
		return orig, err
	}
	orig.Format = string(hdr.Format)
	orig.Width, orig.Height, orig.Orientation = hdr.Width, hdr.Height, hdr.Orientation
	return orig, nil
}

func (h *Handler) checkSize(n int64) error {
	switch {
	case n == 0:
		return steperr.Rejectf("the upload is empty (0 bytes)")
	case n > h.cfg.MaxBytes:
		return steperr.Rejectf("the upload is %d bytes, over the limit of %d bytes",
			n, h.cfg.MaxBytes)
	}
	return nil
}

// readHeader fetches only the first imaging.MaxHeaderBytes of the object (enough
// for large EXIF and ICC segments before a JPEG's frame), pinned to the
// version that was checked, and reads the format and dimensions from them.
func (h *Handler) readHeader(ctx context.Context, orig stepio.Original) (imaging.Header, error) {
	n := min(orig.Bytes, imaging.MaxHeaderBytes)
	out, err := h.s3.GetObject(ctx, &s3.GetObjectInput{
		Bucket:  aws.String(orig.Bucket),
		Key:     aws.String(orig.Key),
		Range:   aws.String(fmt.Sprintf("bytes=0-%d", n-1)),
		IfMatch: nonEmpty(orig.ETag),
	})
	if err != nil {
		return imaging.Header{}, steperr.FromS3Object("GetObject", err)
	}
	defer out.Body.Close()

	hdr, err := imaging.ReadHeader(io.LimitReader(out.Body, n))
	if err != nil {
		if imaging.IsImageError(err) {
			return hdr, steperr.Rejectf("%s", imaging.Describe(err))
		}
		return hdr, steperr.Unavailable("s3", "GetObject", err)
	}
	if pixels := int64(hdr.Width) * int64(hdr.Height); pixels > h.cfg.MaxPixels {
		return hdr, steperr.Rejectf("the image is %d×%d pixels (%.1f MP), over the limit "+
			"of %.1f MP", hdr.Width, hdr.Height, float64(pixels)/1e6,
			float64(h.cfg.MaxPixels)/1e6)
	}
	return hdr, nil
}

func rejectEvent(err error) error {
	switch {
	case errors.Is(err, s3event.ErrTestEvent):
		return steperr.Rejectf("the message is S3's test event, which names no upload")
	case errors.Is(err, s3event.ErrBatchSize):
		return steperr.Rejectf("the pipe delivered more than one record; " +
			"its batch size must be 1")
	}
	var notCreated *s3event.ErrNotCreated
	if errors.As(err, &notCreated) {
		return steperr.Rejectf("the event is %s, not an upload", notCreated.EventName)
	}
	return steperr.Rejectf("the message is not an S3 upload event: %v", err)
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}
