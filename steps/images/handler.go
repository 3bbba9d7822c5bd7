package images

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/imagepipe/imagepipe/shared/httpapi"
	"github.com/imagepipe/imagepipe/shared/metadata"
	"github.com/imagepipe/imagepipe/shared/objectkey"
	"github.com/imagepipe/imagepipe/shared/steperr"
	"github.com/imagepipe/imagepipe/shared/stepio"
)

// Page sizes of GET /images.
const (
	// DefaultPageSize is the page size without ?limit=.
	DefaultPageSize = 20
	// MaxPageSize caps ?limit=: a page presigns a URL per variant and reads
	// every item, and a client scrolling a gallery needs no more at once.
	MaxPageSize = 100
)

// PathParameter is the route parameter of GET /images/{imageId}.
const PathParameter = "imageId"

// The methods of the routes (the Allow of a 405) and the request headers a
// browser may send, both as the CORS preflight answers them.
const (
	allowedMethods = "GET, OPTIONS"
	allowedHeaders = "Authorization"
)

// retryAfter is the Retry-After of a 503, in seconds: DynamoDB throttling
// and blips pass within moments.
const retryAfter = "1"

// Presigner signs S3 requests without sending them; *s3.PresignClient is one.
type Presigner interface {
	PresignGetObject(ctx context.Context, params *s3.GetObjectInput,
		optFns ...func(*s3.PresignOptions)) (*v4.PresignedHTTPRequest, error)
}

// List is the JSON body of a 200 to GET /images.
type List struct {
	// Images are the page's images, newest lastModified first.
	Images []Image `json:"images"`
	// NextCursor is the ?cursor= of the next page; empty on the last page.
	NextCursor string `json:"nextCursor,omitempty"`
}

// Image is what a client learns about one image: the JSON body of a 200 to
// GET /images/{imageId}, and an element of [List].
type Image struct {
	ImageID string `json:"imageId"`
	// Status is DONE or FAILED.
	Status string `json:"status"`
	// Reason says why a FAILED image was not processed.
	Reason string `json:"reason,omitempty"`
	// Original describes the upload, as far as the pipeline read it.
	Original *Original `json:"original,omitempty"`
	// LastModified is when the outcome was recorded, RFC 3339 in UTC.
	LastModified string `json:"lastModified"`
	// Variants are the renditions of a DONE image, the primary one first.
	Variants []Variant `json:"variants,omitempty"`
}

// Original describes an uploaded file; fields the pipeline did not learn
// are left out.
type Original struct {
	// Width and Height are in pixels, before the EXIF orientation.
	Width  int `json:"width,omitempty"`
	Height int `json:"height,omitempty"`
	// Format is the sniffed format: jpeg, png, gif or webp.
	Format string `json:"format,omitempty"`
	// Bytes is the size of the upload.
	Bytes int64 `json:"bytes,omitempty"`
}

// Variant is one rendition and a short-lived URL to fetch it.
type Variant struct {
	Name   string `json:"name"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
	Bytes  int64  `json:"bytes,omitempty"`
	// URL is a presigned S3 GET; it is a credential until ExpiresAt.
	URL string `json:"url"`
	// ExpiresAt is when URL stops working, RFC 3339 in UTC.
	ExpiresAt string `json:"expiresAt"`
}

// Handler answers GET /images and GET /images/{imageId}. It holds no
// per-request state, so one Handler serves concurrent requests.
type Handler struct {
	cfg     Config
	store   *metadata.Store
	presign Presigner
	log     *slog.Logger
	cors    httpapi.CORS
}

// New returns a Handler for cfg, reading items through db and signing
// variant URLs with presigner (in Lambda, s3.NewPresignClient of an
// awsconfig.S3 client). A nil logger means slog.Default. It fails with a
// [*settings.Error] if cfg is not usable.
func New(cfg Config, db *dynamodb.Client, presigner Presigner,
	logger *slog.Logger) (*Handler, error) {
	if db == nil {
		return nil, errors.New("images: a DynamoDB client is required")
	}
	if presigner == nil {
		return nil, errors.New("images: a presigner is required")
	}
	cfg.CORSOrigins = slices.Clone(cfg.CORSOrigins)
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.Default()
	}
	cors := httpapi.CORS{Origins: cfg.CORSOrigins, Methods: allowedMethods,
		Headers: allowedHeaders}
	return &Handler{cfg: cfg, store: metadata.NewStore(db, cfg.Table),
		presign: presigner, log: logger, cors: cors}, nil
}

// Config returns the configuration in effect, defaults filled in.
func (h *Handler) Config() Config { return h.cfg }

// Handle serves one API Gateway HTTP API (payload 2.0) request. Every outcome,
// refusals and internal failures included, is a response with a JSON body;
// the error is always nil, because an error would reach the client as API
// Gateway's bare 500 without CORS headers or an error code.
func (h *Handler) Handle(ctx context.Context,
	req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	origin := httpapi.Header(req.Headers, "origin")
	method := strings.ToUpper(req.RequestContext.HTTP.Method)
	imageID, one := req.PathParameters[PathParameter]

	var resp events.APIGatewayV2HTTPResponse
	var attrs []slog.Attr
	switch {
	case method == http.MethodOptions:
		resp = h.cors.Preflight(origin)
	case method == http.MethodGet && one:
		resp, attrs = h.get(ctx, req, imageID)
	case method == http.MethodGet:
		resp, attrs = h.list(ctx, req)
	default:
		resp = httpapi.MethodNotAllowed(method, allowedMethods, http.MethodGet)
	}

	h.cors.Apply(resp.Headers, origin)
	h.logRequest(ctx, req, method, one, resp.StatusCode, attrs)
	return resp, nil
}

// list answers GET /images. The attributes it returns are what the request
// log line may carry: the user id and counts, never a URL or the cursor.
func (h *Handler) list(ctx context.Context,
	req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, []slog.Attr) {
	userID, aerr := httpapi.Subject(req)
	if aerr != nil {
		return refuse(aerr, nil)
	}
	attrs := []slog.Attr{slog.String("userId", userID)}
	limit, aerr := pageSize(req.QueryStringParameters["limit"])
	if aerr != nil {
		return refuse(aerr, attrs)
	}
	var after *metadata.PageKey
	if s := req.QueryStringParameters["cursor"]; s != "" {
		if after, aerr = decodeCursor(userID, s); aerr != nil {
			return refuse(aerr, attrs)
		}
	}

	items, next, err := h.store.ListByUser(ctx, userID, limit, after)
	if err != nil {
		return refuse(storeError(err), append(attrs, slog.String("err", err.Error())))
	}
	out := List{Images: make([]Image, 0, len(items))}
	for _, it := range items {
		img, err := h.view(ctx, it)
		if err != nil {
			attrs = append(attrs, slog.String("imageId", it.ImageID),
				slog.String("err", err.Error()))
			return refuse(httpapi.Internal("the image URLs could not be created; try again"), attrs)
		}
		out.Images = append(out.Images, img)
	}
	if next != nil {
		out.NextCursor = encodeCursor(userID, next)
	}
	attrs = append(attrs, slog.Int("images", len(out.Images)), slog.Bool("more", next != nil))
	return respond(http.StatusOK, out, attrs)
}

// get answers GET /images/{imageId}.
func (h *Handler) get(ctx context.Context, req events.APIGatewayV2HTTPRequest,
	imageID string) (events.APIGatewayV2HTTPResponse, []slog.Attr) {
	userID, aerr := httpapi.Subject(req)
	if aerr != nil {
		return refuse(aerr, nil)
	}
	attrs := []slog.Attr{slog.String("userId", userID)}
	if !objectkey.ValidID(imageID) {
		return refuse(httpapi.BadRequest(CodeInvalidImageID, "the image id must be 1 to 128 "+
			"letters, digits, '-' or '_', as POST /uploads returned it"), attrs)
	}
	attrs = append(attrs, slog.String("imageId", imageID))

	it, found, err := h.store.Get(ctx, imageID)
	if err != nil {
		return refuse(storeError(err), append(attrs, slog.String("err", err.Error())))
	}
	if !found || it.UserID != userID {
		// Logged apart for operators; the client sees one answer for both.
		return refuse(errNotFound, append(attrs, slog.Bool("exists", found)))
	}
	img, err := h.view(ctx, it)
	if err != nil {
		attrs = append(attrs, slog.String("err", err.Error()))
		return refuse(httpapi.Internal("the image URLs could not be created; try again"), attrs)
	}
	return respond(http.StatusOK, img, append(attrs, slog.String("imageStatus", img.Status)))
}

// view turns a stored item into what the client sees, presigning a URL for
// every variant of a DONE image.
func (h *Handler) view(ctx context.Context, it metadata.Item) (Image, error) {
	img := Image{
		ImageID:      it.ImageID,
		Status:       it.Status,
		LastModified: it.LastModified,
	}
	if it.Status != stepio.StatusDone {
		img.Reason = it.Reason
	}
	if it.Width != 0 || it.Height != 0 || it.Format != "" || it.Bytes != 0 {
		img.Original = &Original{Width: it.Width, Height: it.Height, Format: it.Format,
			Bytes: it.Bytes}
	}
	if it.Status != stepio.StatusDone {
		return img, nil
	}

	img.Variants = make([]Variant, 0, len(it.Variants))
	for _, v := range it.Variants {
		// Only the processed prefix is ever signed: the role may read nothing
		// else, and an item naming another key is not the pipeline's.
		if !strings.HasPrefix(v.Key, objectkey.ProcessedPrefix) {
			return Image{}, fmt.Errorf("variant %s has key outside %s", v.Name,
				objectkey.ProcessedPrefix)
		}
		u, expiresAt, err := h.presignGet(ctx, v.Key)
		if err != nil {
			return Image{}, err
		}
		img.Variants = append(img.Variants, Variant{
			Name: v.Name, Width: v.Width, Height: v.Height, Bytes: v.Bytes,
			URL: u, ExpiresAt: expiresAt,
		})
	}
	return img, nil
}

// presignGet signs a GET of key and returns the URL and when it expires.
func (h *Handler) presignGet(ctx context.Context, key string) (string, string, error) {
	signed, err := h.presign.PresignGetObject(ctx, &s3.GetObjectInput{
		Bucket: aws.String(h.cfg.ProcessedBucket),
		Key:    aws.String(key),
	}, s3.WithPresignExpires(h.cfg.URLExpiry))
	if err != nil {
		// From the SDK (credentials, endpoint); it carries no URL or secret.
		return "", "", fmt.Errorf("presign: %w", err)
	}
	u, err := url.Parse(signed.URL)
	if err != nil {
		return "", "", errors.New("presign: the URL does not parse")
	}
	expiresAt, err := httpapi.PresignedExpiry(u.Query())
	if err != nil {
		return "", "", err
	}
	return signed.URL, expiresAt.UTC().Format(time.RFC3339), nil
}

// pageSize parses ?limit=. Out-of-range values are refused rather than
// clamped, so a client never silently gets fewer images than it asked for.
func pageSize(s string) (int32, *httpapi.Refusal) {
	if s == "" {
		return DefaultPageSize, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > MaxPageSize || strconv.Itoa(n) != s {
		return 0, httpapi.BadRequest(CodeInvalidLimit,
			fmt.Sprintf("limit must be an integer from 1 to %d", MaxPageSize))
	}
	return int32(n), nil
}

// storeError is the answer to a failed read of the table: 503 for what may
// pass (throttling, timeouts), 500 for the rest (a denied permission, a
// missing table), which no retry by the client would change.
func storeError(err error) *httpapi.Refusal {
	var transient *steperr.DependencyUnavailable
	if errors.As(err, &transient) {
		return unavailable("the image store is busy; try again in a moment")
	}
	return httpapi.Internal("the images could not be read")
}

// logRequest writes the one line a request gets. URLs, the cursor, the
// claims and the Authorization header stay out: a URL is a credential for
// its lifetime, and the claims identify a person beyond the user id.
func (h *Handler) logRequest(ctx context.Context, req events.APIGatewayV2HTTPRequest,
	method string, one bool, status int, attrs []slog.Attr) {
	route := "list"
	if one {
		route = "get"
	}
	level, msg := slog.LevelInfo, "images answered"
	switch {
	case status >= 500:
		level, msg = slog.LevelError, "images failed"
	case status >= 400:
		level, msg = slog.LevelWarn, "images refused"
	case method == http.MethodOptions:
		msg = "images preflight"
	}
	attrs = append([]slog.Attr{
		slog.String("method", method),
		slog.String("route", route),
		slog.Int("status", status),
		slog.String("apiRequestId", req.RequestContext.RequestID),
	}, attrs...)
	h.log.LogAttrs(ctx, level, msg, attrs...)
}

// respond encodes v as the body of a response with status.
func respond(status int, v any, attrs []slog.Attr) (events.APIGatewayV2HTTPResponse,
	[]slog.Attr) {
	body, err := httpapi.Encode(v)
	if err != nil {
		return refuse(httpapi.Internal("the response could not be encoded"),
			append(attrs, slog.String("err", err.Error())))
	}
	return httpapi.JSON(status, body), attrs
}

// refuse returns the response of e and the log attributes with its code.
func refuse(e *httpapi.Refusal, attrs []slog.Attr) (events.APIGatewayV2HTTPResponse,
	[]slog.Attr) {
	resp := e.Response()
	if e.Status == http.StatusServiceUnavailable {
		resp.Headers["Retry-After"] = retryAfter
	}
	return resp, append(attrs, slog.String("code", e.Code))
}
