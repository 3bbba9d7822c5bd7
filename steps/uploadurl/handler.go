package uploadurl

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/uuid"

	"github.com/imagepipe/imagepipe/shared/httpapi"
	"github.com/imagepipe/imagepipe/shared/objectkey"
)

// maxRequestBody caps the JSON request. The real body is about 60 bytes;
// anything near this size is not a client of this API.
const maxRequestBody = 4 << 10

// The methods of the route (the Allow of a 405) and the request headers a
// browser may send, both as the CORS preflight answers them.
const (
	allowedMethods = "OPTIONS, POST"
	allowedHeaders = "Authorization, Content-Type"
)

// Presigner signs S3 requests without sending them; *s3.PresignClient is one.
type Presigner interface {
	PresignPutObject(ctx context.Context, params *s3.PutObjectInput,
		optFns ...func(*s3.PresignOptions)) (*v4.PresignedHTTPRequest, error)
}

// Request is the JSON body of POST /uploads.
type Request struct {
	// ContentType is the media type of the file, one of the allowed types.
	ContentType string `json:"contentType"`
	// ContentLength is the exact size of the file in bytes.
	ContentLength int64 `json:"contentLength"`
}

// Response is the JSON body of a 201: where and how to upload.
type Response struct {
	// UploadURL is the presigned URL to send the file to.
	UploadURL string `json:"upload_url"`
	// FilePath is the object key the file will have: user-uploads/<userId>/<imageId>.<ext>.
	FilePath string `json:"file_path"`
	// ImageID names the image in the rest of the system (metadata, processed keys).
	ImageID string `json:"image_id"`
	// Method is always PUT.
	Method string `json:"method"`
	// Headers are exactly the headers the upload must carry: they are signed,
	// so S3 refuses the upload if either differs.
	Headers map[string]string `json:"headers"`
	// ExpiresAt is when the URL stops working, RFC 3339 in UTC.
	ExpiresAt string `json:"expires_at"`
}

// Handler answers POST /uploads with a presigned PUT URL. It holds no
// per-request state, so one Handler serves concurrent requests.
type Handler struct {
	cfg     Config
	presign Presigner
	log     *slog.Logger
	cors    httpapi.CORS
	exts    map[string]string // allowed media type → key extension
}

// New returns a Handler for cfg, signing with presigner (in Lambda,
// s3.NewPresignClient of an awsconfig.S3 client). A nil logger means
// slog.Default. It fails with a [*ConfigError] if cfg is not usable.
func New(cfg Config, presigner Presigner, logger *slog.Logger) (*Handler, error) {
	if presigner == nil {
		return nil, errors.New("uploadurl: a presigner is required")
	}
	cfg.AllowedContentTypes = append([]string(nil), cfg.AllowedContentTypes...)
	cfg.CORSOrigins = append([]string(nil), cfg.CORSOrigins...)
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.Default()
	}

	exts := make(map[string]string, len(cfg.AllowedContentTypes))
	for _, t := range cfg.AllowedContentTypes {
		exts[t] = extensionFor(t)
	}
	cors := httpapi.CORS{Origins: cfg.CORSOrigins, Methods: allowedMethods,
		Headers: allowedHeaders}
	return &Handler{cfg: cfg, presign: presigner, log: logger, cors: cors, exts: exts}, nil
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

	var resp events.APIGatewayV2HTTPResponse
	var attrs []slog.Attr
	switch method {
	case http.MethodOptions:
		resp = h.cors.Preflight(origin)
	case http.MethodPost:
		resp, attrs = h.post(ctx, req)
	default:
		resp = httpapi.MethodNotAllowed(method, allowedMethods, http.MethodPost)
	}
	h.cors.Apply(resp.Headers, origin)

	h.logRequest(ctx, req, method, resp.StatusCode, attrs)
	return resp, nil
}

// post issues the URL. The attributes it returns are what the request log
// line may carry about it: ids, type and size, never the URL or the claims.
func (h *Handler) post(ctx context.Context,
	req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, []slog.Attr) {
	// Without a usable sub there is no user folder to put the upload in, and
	// falling back to a shared one would let users overwrite or read each
	// other's keys.
	userID, aerr := httpapi.Subject(req)
	if aerr != nil {
		return aerr.Response(), codeAttrs(aerr)
	}
	attrs := []slog.Attr{slog.String("userId", userID)}

	upload, aerr := h.parse(req)
	if aerr != nil {
		return aerr.Response(), append(attrs, codeAttrs(aerr)...)
	}
	attrs = append(attrs, slog.String("contentType", upload.ContentType),
		slog.Int64("contentLength", upload.ContentLength))

	imageID := uuid.NewString()
	key := objectkey.OriginalKey(userID, imageID, h.exts[upload.ContentType])
	attrs = append(attrs, slog.String("imageId", imageID))

	out, err := h.presignPut(ctx, key, upload)
	if err != nil {
		// The error comes from the SDK (credentials, endpoint) or from the
		// signature check below; neither carries the URL or a secret.
		attrs = append(attrs, slog.String("err", err.Error()))
		aerr := httpapi.Internal("the upload URL could not be created; try again")
		return aerr.Response(), append(attrs, codeAttrs(aerr)...)
	}
	out.FilePath = key
	out.ImageID = imageID

	body, err := httpapi.Encode(out)
	if err != nil {
		aerr := httpapi.Internal("the response could not be encoded")
		return aerr.Response(), append(attrs, codeAttrs(aerr)...)
	}
	return httpapi.JSON(http.StatusCreated, body), attrs
}

// parse decodes and checks the body. The order of the checks decides which
// error a request with several faults gets: shape (400) before policy
// (415, then 413).
func (h *Handler) parse(req events.APIGatewayV2HTTPRequest) (Request, *httpapi.Refusal) {
	tooBig := &httpapi.Refusal{Status: http.StatusRequestEntityTooLarge,
		Code:    CodeRequestTooLarge,
		Message: fmt.Sprintf("the request body is over %d bytes", maxRequestBody)}
	// Checked before decoding too, so an oversized body costs no work.
	if len(req.Body) > base64.StdEncoding.EncodedLen(maxRequestBody) {
		return Request{}, tooBig
	}
	raw := []byte(req.Body)
	if req.IsBase64Encoded {
		var err error
		if raw, err = base64.StdEncoding.DecodeString(req.Body); err != nil {
			return Request{}, httpapi.BadRequest(CodeInvalidJSON, "the body is not valid base64")
		}
	}
	if len(raw) > maxRequestBody {
		return Request{}, tooBig
	}

	// Raw fields, so that a quoted number or a fraction is refused rather
	// than coerced, and an absent field is told apart from a wrong one.
	var body struct {
		ContentType   json.RawMessage `json:"contentType"`
		ContentLength json.RawMessage `json:"contentLength"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&body); err != nil {
		return Request{}, httpapi.BadRequest(CodeInvalidJSON, "the body must be a JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return Request{}, httpapi.BadRequest(CodeInvalidJSON,
			"the body has data after the JSON object")
	}

	if isAbsent(body.ContentType) {
		return Request{}, httpapi.BadRequest(CodeMissingField, "contentType is required")
	}
	if isAbsent(body.ContentLength) {
		return Request{}, httpapi.BadRequest(CodeMissingField, "contentLength is required")
	}

	var ct string
	if err := json.Unmarshal(body.ContentType, &ct); err != nil {
		return Request{}, httpapi.BadRequest(CodeInvalidField, "contentType must be a string")
	}
	mediaType, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return Request{}, httpapi.BadRequest(CodeInvalidField,
			"contentType must be a media type such as image/jpeg")
	}

	n, aerr := h.parseLength(body.ContentLength)
	if aerr != nil {
		return Request{}, aerr
	}

	if _, ok := h.exts[mediaType]; !ok {
		return Request{}, &httpapi.Refusal{Status: http.StatusUnsupportedMediaType,
			Code: CodeUnsupportedType,
			Message: fmt.Sprintf("%s is not accepted; use one of %s", mediaType,
				strings.Join(h.cfg.AllowedContentTypes, ", "))}
	}
	if n > h.cfg.MaxBytes {
		return Request{}, h.tooLarge()
	}
	return Request{ContentType: mediaType, ContentLength: n}, nil
}

// parseLength accepts only a plain JSON integer literal above zero. A number
// too long for int64 is still an integer, just far over any cap: 413.
func (h *Handler) parseLength(raw json.RawMessage) (int64, *httpapi.Refusal) {
	invalid := httpapi.BadRequest(CodeInvalidField,
		"contentLength must be a positive integer: the file size in bytes")
	s := string(raw)
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return 0, invalid
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if errors.Is(err, strconv.ErrRange) {
		return 0, h.tooLarge()
	}
	if err != nil || n <= 0 {
		return 0, invalid
	}
	return n, nil
}

func (h *Handler) tooLarge() *httpapi.Refusal {
	return &httpapi.Refusal{Status: http.StatusRequestEntityTooLarge, Code: CodeUploadTooLarge,
		Message: fmt.Sprintf("the file is larger than the %d bytes allowed", h.cfg.MaxBytes)}
}

// isAbsent reports whether a field was left out or set to null.
func isAbsent(raw json.RawMessage) bool {
	return len(raw) == 0 || string(raw) == "null"
}

// presignPut signs the PUT. The SDK signs Content-Length only when
// ContentLength is set, and some versions sign Content-Type only then too;
// the signed-header check afterwards turns any SDK change there into a 500
// instead of URLs that accept any type or size.
func (h *Handler) presignPut(ctx context.Context, key string, upload Request) (Response, error) {
	signed, err := h.presign.PresignPutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(h.cfg.Bucket),
		Key:           aws.String(key),
		ContentType:   aws.String(upload.ContentType),
		ContentLength: aws.Int64(upload.ContentLength),
	}, s3.WithPresignExpires(h.cfg.Expiry))
	if err != nil {
		return Response{}, fmt.Errorf("presign: %w", err)
	}

	u, err := url.Parse(signed.URL)
	if err != nil {
		return Response{}, errors.New("presign: the URL does not parse")
	}
	q := u.Query()
	names := strings.Split(q.Get("X-Amz-SignedHeaders"), ";")
	for _, want := range []string{"content-length", "content-type", "host"} {
		if !slices.Contains(names, want) {
			return Response{}, fmt.Errorf("presign: %s is not a signed header", want)
		}
	}
	expiresAt, err := httpapi.PresignedExpiry(q)
	if err != nil {
		return Response{}, err
	}

	return Response{
		UploadURL: signed.URL,
		Method:    http.MethodPut,
		Headers: map[string]string{
			"Content-Type":   upload.ContentType,
			"Content-Length": strconv.FormatInt(upload.ContentLength, 10),
		},
		ExpiresAt: expiresAt.UTC().Format(time.RFC3339),
	}, nil
}

// logRequest writes the one line a request gets. The claims, the
// Authorization header and the URL stay out: the URL is a bearer credential
// for its lifetime and the claims identify a person beyond the user id.
func (h *Handler) logRequest(ctx context.Context, req events.APIGatewayV2HTTPRequest,
	method string, status int, attrs []slog.Attr) {
	level, msg := slog.LevelInfo, "upload url issued"
	switch {
	case status >= 500:
		level, msg = slog.LevelError, "upload url failed"
	case status >= 400:
		level, msg = slog.LevelWarn, "upload url refused"
	case method != http.MethodPost:
		msg = "upload url preflight"
	}
	attrs = append([]slog.Attr{
		slog.String("method", method),
		slog.Int("status", status),
		slog.String("apiRequestId", req.RequestContext.RequestID),
	}, attrs...)
	h.log.LogAttrs(ctx, level, msg, attrs...)
}

func codeAttrs(e *httpapi.Refusal) []slog.Attr {
	return []slog.Attr{slog.String("code", e.Code)}
}
