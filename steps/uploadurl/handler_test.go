package uploadurl

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/uuid"

	"github.com/imagepipe/imagepipe/shared/objectkey"
)

const (
	testBucket  = "imagepipe-originals"
	fixtureSub  = "5f3a9c1e-8b2d-4e6f-a1c7-3d9e0b4f2a18"
	allowedSite = "https://app.example.com"
)

// loadEvent reads a payload 2.0 fixture. Unknown fields fail the test, so a
// fixture cannot drift from the shape aws-lambda-go decodes.
func loadEvent(t *testing.T, name string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var ev events.APIGatewayV2HTTPRequest
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ev); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return ev
}

// testPresigner is a real SDK presign client with fixed dummy credentials;
// presigning is local computation, so no request leaves the process.
func testPresigner() *s3.PresignClient {
	creds := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "not-a-secret"}, nil
	})
	return s3.NewPresignClient(s3.New(s3.Options{Region: "eu-west-1", Credentials: creds}))
}

func newHandler(t *testing.T, cfg Config, p Presigner, logs *bytes.Buffer) *Handler {
	t.Helper()
	if cfg.Bucket == "" {
		cfg.Bucket = testBucket
	}
	if p == nil {
		p = testPresigner()
	}
	var logger *slog.Logger
	if logs != nil {
		logger = slog.New(slog.NewJSONHandler(logs, nil))
	} else {
		logger = slog.New(slog.DiscardHandler)
	}
	h, err := New(cfg, p, logger)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// handle runs one request and checks the headers every response must carry.
func handle(t *testing.T, h *Handler,
	ev events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	t.Helper()
	resp, err := h.Handle(context.Background(), ev)
	if err != nil {
		t.Fatalf("Handle returned an error: %v", err)
	}
	if got := resp.Headers["Content-Type"]; got != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", got)
	}
	if got := resp.Headers["Cache-Control"]; got != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", got)
	}
	return resp
}

// errorCode decodes a refusal, insisting on exactly {"error":{"code","message"}}.
func errorCode(t *testing.T, resp events.APIGatewayV2HTTPResponse) string {
	t.Helper()
	var body ErrorResponse
	dec := json.NewDecoder(strings.NewReader(resp.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		t.Fatalf("error body %q: %v", resp.Body, err)
	}
	if body.Error.Message == "" {
		t.Errorf("error body %q has no message", resp.Body)
	}
	return body.Error.Code
}

// issued decodes a 201 and checks everything a client relies on: the key
// layout for sub, the headers to send, the expiry and the signature's scope.
func issued(t *testing.T, resp events.APIGatewayV2HTTPResponse, sub, contentType string,
	length int64, expiry time.Duration) Response {
	t.Helper()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("status = %d, want 201; body %s", resp.StatusCode, resp.Body)
	}
	var out Response
	dec := json.NewDecoder(strings.NewReader(resp.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&out); err != nil {
		t.Fatalf("body %q: %v", resp.Body, err)
	}

	if _, err := uuid.Parse(out.ImageID); err != nil || !objectkey.ValidID(out.ImageID) {
		t.Errorf("image_id %q is not a UUID usable in a key", out.ImageID)
	}
	parsed, err := objectkey.ParseOriginal(out.FilePath)
	if err != nil {
		t.Fatalf("file_path: %v", err)
	}
	if parsed.UserID != sub || parsed.ImageID != out.ImageID ||
		objectkey.Extensions[parsed.Ext] != contentType {
		t.Errorf("file_path %q does not belong to user %q, image %q, type %s",
			out.FilePath, sub, out.ImageID, contentType)
	}
	if out.Method != http.MethodPut {
		t.Errorf("method = %q, want PUT", out.Method)
	}
	wantHeaders := map[string]string{
		"Content-Type":   contentType,
		"Content-Length": strconv.FormatInt(length, 10),
	}
	if !mapsEqual(out.Headers, wantHeaders) {
		t.Errorf("headers = %v, want %v", out.Headers, wantHeaders)
	}

	u, err := url.Parse(out.UploadURL)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(u.Path, "/"+out.FilePath) ||
		!strings.Contains(u.Host+u.Path, testBucket) {
		t.Errorf("upload_url %s does not point at %s in %s", u.Redacted(), out.FilePath,
			testBucket)
	}
	q := u.Query()
	if got, want := q.Get("X-Amz-Expires"), strconv.Itoa(int(expiry/time.Second)); got != want {
		t.Errorf("X-Amz-Expires = %q, want %q", got, want)
	}
	signed := strings.Split(q.Get("X-Amz-SignedHeaders"), ";")
	for _, h := range []string{"content-length", "content-type", "host"} {
		if !slices.Contains(signed, h) {
			t.Errorf("X-Amz-SignedHeaders = %v, missing %s", signed, h)
		}
	}
	// A checksum signed over an empty body would make S3 refuse every real
	// upload; the SDK must leave it out of presigned PUTs.
	for name := range q {
		if strings.HasPrefix(strings.ToLower(name), "x-amz-checksum") ||
			strings.EqualFold(name, "x-amz-sdk-checksum-algorithm") {
			t.Errorf("upload_url carries %s", name)
		}
	}

	expiresAt, err := time.Parse(time.RFC3339, out.ExpiresAt)
	if err != nil || !strings.HasSuffix(out.ExpiresAt, "Z") {
		t.Fatalf("expires_at %q is not RFC 3339 UTC", out.ExpiresAt)
	}
	signedAt, err := time.Parse("20060102T150405Z", q.Get("X-Amz-Date"))
	if err != nil {
		t.Fatal(err)
	}
	if !expiresAt.Equal(signedAt.Add(expiry)) {
		t.Errorf("expires_at = %s, want X-Amz-Date %s + %s", expiresAt, signedAt, expiry)
	}
	if d := time.Until(expiresAt); d <= expiry-time.Minute || d > expiry {
		t.Errorf("expires_at is %s from now, want about %s", d, expiry)
	}
	return out
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func setSub(sub string) func(*events.APIGatewayV2HTTPRequest) {
	return func(ev *events.APIGatewayV2HTTPRequest) {
		ev.RequestContext.Authorizer.JWT.Claims["sub"] = sub
	}
}

func setBody(body string) func(*events.APIGatewayV2HTTPRequest) {
	return func(ev *events.APIGatewayV2HTTPRequest) { ev.Body = body }
}

func setMethod(m string) func(*events.APIGatewayV2HTTPRequest) {
	return func(ev *events.APIGatewayV2HTTPRequest) { ev.RequestContext.HTTP.Method = m }
}

// TestHandle runs every fixture, and variants of the valid one, through the
// handler and checks what the client gets back.
func TestHandle(t *testing.T) {
	tests := []struct {
		name    string
		fixture string
		mutate  func(*events.APIGatewayV2HTTPRequest)
		status  int
		code    string
		// For a 201: the type and size the URL must be signed for.
		contentType string
		length      int64
	}{
		{name: "jwt authorizer, jpeg", fixture: "post-jwt.json",
			status: 201, contentType: "image/jpeg", length: 348160},
		{name: "base64 body", fixture: "post-base64-body.json",
			status: 201, contentType: "image/png", length: 1024},
		{name: "media type in capitals with a parameter", fixture: "post-jwt.json",
			mutate: setBody(`{"contentType":"IMAGE/PNG; charset=binary","contentLength":7}`),
			status: 201, contentType: "image/png", length: 7},
		{name: "exactly the size cap", fixture: "post-jwt.json",
			mutate: setBody(`{"contentType":"image/webp","contentLength":52428800}`),
			status: 201, contentType: "image/webp", length: 52428800},
		{name: "unknown fields are ignored", fixture: "post-jwt.json",
			mutate: setBody(`{"contentType":"image/gif","contentLength":1,"fileName":"a.gif"}`),
			status: 201, contentType: "image/gif", length: 1},

		{name: "no authorizer", fixture: "post-no-authorizer.json",
			status: 401, code: CodeUnauthorized},
		{name: "empty sub", fixture: "post-empty-sub.json",
			status: 401, code: CodeUnauthorized},
		{name: "sub with slash", fixture: "post-sub-with-slash.json",
			status: 401, code: CodeUnauthorized},
		{name: "claims without sub", fixture: "post-jwt.json",
			mutate: func(ev *events.APIGatewayV2HTTPRequest) {
				delete(ev.RequestContext.Authorizer.JWT.Claims, "sub")
			},
			status: 401, code: CodeUnauthorized},
		{name: "sub is dot-dot", fixture: "post-jwt.json", mutate: setSub(".."),
			status: 401, code: CodeUnauthorized},
		{name: "sub with a space", fixture: "post-jwt.json", mutate: setSub("a b"),
			status: 401, code: CodeUnauthorized},
		{name: "sub longer than an id", fixture: "post-jwt.json",
			mutate: setSub(strings.Repeat("a", 129)), status: 401, code: CodeUnauthorized},
		{name: "only a lambda authorizer's context", fixture: "post-no-authorizer.json",
			mutate: func(ev *events.APIGatewayV2HTTPRequest) {
				type authorizer = events.APIGatewayV2HTTPRequestContextAuthorizerDescription
				ev.RequestContext.Authorizer = &authorizer{
					Lambda: map[string]any{"sub": fixtureSub},
				}
			},
			status: 401, code: CodeUnauthorized},
		{name: "no authorizer beats a bad body", fixture: "post-no-authorizer.json",
			mutate: setBody("{"), status: 401, code: CodeUnauthorized},

		{name: "bad json", fixture: "post-bad-json.json", status: 400, code: CodeInvalidJSON},
		{name: "empty body", fixture: "post-jwt.json", mutate: setBody(""),
			status: 400, code: CodeInvalidJSON},
		{name: "array body", fixture: "post-jwt.json", mutate: setBody(`[]`),
			status: 400, code: CodeInvalidJSON},
		{name: "data after the object", fixture: "post-jwt.json",
			mutate: setBody(`{"contentType":"image/jpeg","contentLength":1} {}`),
			status: 400, code: CodeInvalidJSON},
		{name: "bad base64", fixture: "post-base64-body.json", mutate: setBody("not base64!"),
			status: 400, code: CodeInvalidJSON},
		{name: "missing contentLength", fixture: "post-missing-fields.json",
			status: 400, code: CodeMissingField},
		{name: "missing contentType", fixture: "post-jwt.json",
			mutate: setBody(`{"contentLength":1}`), status: 400, code: CodeMissingField},
		{name: "null contentLength", fixture: "post-jwt.json",
			mutate: setBody(`{"contentType":"image/png","contentLength":null}`),
			status: 400, code: CodeMissingField},
		{name: "json null body", fixture: "post-jwt.json", mutate: setBody(`null`),
			status: 400, code: CodeMissingField},
		{name: "contentType not a string", fixture: "post-jwt.json",
			mutate: setBody(`{"contentType":42,"contentLength":1}`),
			status: 400, code: CodeInvalidField},
		{name: "contentType empty", fixture: "post-jwt.json",
			mutate: setBody(`{"contentType":"","contentLength":1}`),
			status: 400, code: CodeInvalidField},
		{name: "contentType not a media type", fixture: "post-jwt.json",
			mutate: setBody(`{"contentType":"jpeg please","contentLength":1}`),
			status: 400, code: CodeInvalidField},
		{name: "contentLength zero", fixture: "post-jwt.json",
			mutate: setBody(`{"contentType":"image/png","contentLength":0}`),
			status: 400, code: CodeInvalidField},
		{name: "contentLength negative", fixture: "post-jwt.json",
			mutate: setBody(`{"contentType":"image/png","contentLength":-1}`),
			status: 400, code: CodeInvalidField},
		{name: "contentLength fraction", fixture: "post-jwt.json",
			mutate: setBody(`{"contentType":"image/png","contentLength":1.5}`),
			status: 400, code: CodeInvalidField},
		{name: "contentLength exponent", fixture: "post-jwt.json",
			mutate: setBody(`{"contentType":"image/png","contentLength":1e3}`),
			status: 400, code: CodeInvalidField},
		{name: "contentLength quoted", fixture: "post-jwt.json",
			mutate: setBody(`{"contentType":"image/png","contentLength":"123"}`),
			status: 400, code: CodeInvalidField},
		{name: "contentLength bool", fixture: "post-jwt.json",
			mutate: setBody(`{"contentType":"image/png","contentLength":true}`),
			status: 400, code: CodeInvalidField},
		{name: "bad length beats a bad type", fixture: "post-jwt.json",
			mutate: setBody(`{"contentType":"text/html","contentLength":-1}`),
			status: 400, code: CodeInvalidField},

		{name: "svg", fixture: "post-unsupported-type.json",
			status: 415, code: CodeUnsupportedType},
		{name: "image/jpg is not a media type we know", fixture: "post-jwt.json",
			mutate: setBody(`{"contentType":"image/jpg","contentLength":1}`),
			status: 415, code: CodeUnsupportedType},
		{name: "text/html", fixture: "post-jwt.json",
			mutate: setBody(`{"contentType":"text/html","contentLength":1}`),
			status: 415, code: CodeUnsupportedType},
		{name: "type beats size", fixture: "post-jwt.json",
			mutate: setBody(`{"contentType":"video/mp4","contentLength":99999999999}`),
			status: 415, code: CodeUnsupportedType},

		{name: "one byte over the cap", fixture: "post-too-large.json",
			status: 413, code: CodeUploadTooLarge},
		{name: "length beyond int64", fixture: "post-jwt.json",
			mutate: setBody(`{"contentType":"image/png","contentLength":99999999999999999999}`),
			status: 413, code: CodeUploadTooLarge},
		{name: "request body over 4 KiB", fixture: "post-jwt.json",
			mutate: setBody(`{"contentType":"image/png","contentLength":1,"x":"` +
				strings.Repeat("x", 5000) + `"}`),
			status: 413, code: CodeRequestTooLarge},
		{name: "request body far over 4 KiB", fixture: "post-jwt.json",
			mutate: setBody(strings.Repeat(" ", 1<<20) + `{}`),
			status: 413, code: CodeRequestTooLarge},

		{name: "GET", fixture: "get.json", status: 405, code: CodeMethodNotAllowed},
		{name: "PUT", fixture: "post-jwt.json", mutate: setMethod("PUT"),
			status: 405, code: CodeMethodNotAllowed},
		{name: "DELETE without a token", fixture: "post-no-authorizer.json",
			mutate: setMethod("DELETE"), status: 405, code: CodeMethodNotAllowed},
	}
	h := newHandler(t, Config{}, nil, nil)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev := loadEvent(t, tc.fixture)
			if tc.mutate != nil {
				tc.mutate(&ev)
			}
			resp := handle(t, h, ev)

			if resp.StatusCode != tc.status {
				t.Fatalf("status = %d, want %d; body %s", resp.StatusCode, tc.status, resp.Body)
			}
			if tc.status == http.StatusCreated {
				issued(t, resp, fixtureSub, tc.contentType, tc.length, DefaultExpiry)
				return
			}
			if got := errorCode(t, resp); got != tc.code {
				t.Errorf("code = %q, want %q", got, tc.code)
			}
			if tc.status == http.StatusUnauthorized {
				if got := resp.Headers["WWW-Authenticate"]; got != "Bearer" {
					t.Errorf("WWW-Authenticate = %q, want Bearer", got)
				}
			}
			if tc.status == http.StatusMethodNotAllowed {
				if got := resp.Headers["Allow"]; got != "OPTIONS, POST" {
					t.Errorf("Allow = %q, want OPTIONS, POST", got)
				}
			}
		})
	}
}

// TestExtensionFromContentType checks the key's extension for each default
// type: the pipeline reads the format from the key before sniffing it.
func TestExtensionFromContentType(t *testing.T) {
	want := map[string]string{
		"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp",
	}
	h := newHandler(t, Config{}, nil, nil)
	for ct, ext := range want {
		ev := loadEvent(t, "post-jwt.json")
		ev.Body = `{"contentType":"` + ct + `","contentLength":10}`
		out := issued(t, handle(t, h, ev), fixtureSub, ct, 10, DefaultExpiry)
		if !strings.HasSuffix(out.FilePath, "."+ext) {
			t.Errorf("%s: file_path %q, want extension .%s", ct, out.FilePath, ext)
		}
	}
}

// TestUsersNeverSharePrefix issues URLs for pairs of users whose ids are
// prefixes of each other or differ only in case, and checks that neither key
// (nor URL path) falls under the other's folder.
func TestUsersNeverSharePrefix(t *testing.T) {
	pairs := [][2]string{
		{"abc", "abcd"},
		{"user_1", "user_10"},
		{"A", "a"},
		{fixtureSub, "5f3a9c1e-8b2d-4e6f-a1c7-3d9e0b4f2a19"},
	}
	h := newHandler(t, Config{}, nil, nil)
	upload := func(sub string) Response {
		ev := loadEvent(t, "post-jwt.json")
		setSub(sub)(&ev)
		return issued(t, handle(t, h, ev), sub, "image/jpeg", 348160, DefaultExpiry)
	}
	for _, p := range pairs {
		a, b := upload(p[0]), upload(p[1])
		prefixA := objectkey.UploadsPrefix + p[0] + "/"
		prefixB := objectkey.UploadsPrefix + p[1] + "/"
		if !strings.HasPrefix(a.FilePath, prefixA) || !strings.HasPrefix(b.FilePath, prefixB) {
			t.Fatalf("%q, %q: keys %q, %q are not under their users' folders",
				p[0], p[1], a.FilePath, b.FilePath)
		}
		if strings.HasPrefix(b.FilePath, prefixA) || strings.HasPrefix(a.FilePath, prefixB) {
			t.Errorf("%q and %q share a folder: %q, %q", p[0], p[1], a.FilePath, b.FilePath)
		}
		pathA, pathB := urlPath(t, a.UploadURL), urlPath(t, b.UploadURL)
		if strings.Contains(pathB, "/"+prefixA) || strings.Contains(pathA, "/"+prefixB) {
			t.Errorf("%q and %q: URL paths %q, %q overlap", p[0], p[1], pathA, pathB)
		}
	}

	first, second := upload(fixtureSub), upload(fixtureSub)
	if first.ImageID == second.ImageID || first.FilePath == second.FilePath {
		t.Errorf("two uploads of one user got the same key %q", first.FilePath)
	}
}

func urlPath(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Path
}

// TestExpiry checks the URL's lifetime for the default and configured values.
func TestExpiry(t *testing.T) {
	for _, expiry := range []time.Duration{0, time.Minute, 15 * time.Minute, time.Hour} {
		want := expiry
		if want == 0 {
			want = DefaultExpiry
		}
		h := newHandler(t, Config{Expiry: expiry}, nil, nil)
		issued(t, handle(t, h, loadEvent(t, "post-jwt.json")), fixtureSub, "image/jpeg",
			348160, want)
	}
}

// TestConfiguredLimits checks that MaxBytes and AllowedContentTypes given in
// Config replace the defaults rather than add to them.
func TestConfiguredLimits(t *testing.T) {
	h := newHandler(t, Config{MaxBytes: 1000, AllowedContentTypes: []string{"image/png"}},
		nil, nil)
	tests := []struct {
		body   string
		status int
	}{
		{`{"contentType":"image/png","contentLength":1000}`, 201},
		{`{"contentType":"image/png","contentLength":1001}`, 413},
		{`{"contentType":"image/jpeg","contentLength":10}`, 415},
	}
	for _, tc := range tests {
		ev := loadEvent(t, "post-jwt.json")
		ev.Body = tc.body
		if resp := handle(t, h, ev); resp.StatusCode != tc.status {
			t.Errorf("%s: status = %d, want %d", tc.body, resp.StatusCode, tc.status)
		}
	}
}

// TestCORS checks which responses carry CORS headers for which origins.
func TestCORS(t *testing.T) {
	const evil = "https://evil.example"
	preflight := []string{"Access-Control-Allow-Methods", "Access-Control-Allow-Headers",
		"Access-Control-Max-Age"}
	tests := []struct {
		name        string
		origins     []string
		fixture     string
		origin      string // "" keeps the fixture's
		status      int
		allowOrigin string // "" means the header must be absent
		preflight   bool   // the preflight headers must be present
		vary        bool
	}{
		{name: "no CORS configured, preflight", fixture: "options-preflight.json",
			status: 204},
		{name: "no CORS configured, post", fixture: "post-jwt.json", status: 201},
		{name: "allowed origin, preflight", origins: []string{allowedSite},
			fixture: "options-preflight.json", status: 204, allowOrigin: allowedSite,
			preflight: true, vary: true},
		{name: "second allowed origin", origins: []string{evil + ".net", allowedSite},
			fixture: "options-preflight.json", status: 204, allowOrigin: allowedSite,
			preflight: true, vary: true},
		{name: "other origin, preflight", origins: []string{allowedSite},
			fixture: "options-preflight.json", origin: evil, status: 204, vary: true},
		{name: "allowed origin, post", origins: []string{allowedSite},
			fixture: "post-jwt.json", status: 201, allowOrigin: allowedSite, vary: true},
		{name: "allowed origin sees the refusal", origins: []string{allowedSite},
			fixture: "post-no-authorizer.json", status: 401, allowOrigin: allowedSite,
			vary: true},
		{name: "other origin, post", origins: []string{allowedSite},
			fixture: "post-jwt.json", origin: evil, status: 201, vary: true},
		{name: "wildcard", origins: []string{"*"}, fixture: "options-preflight.json",
			origin: evil, status: 204, allowOrigin: "*", preflight: true},
		{name: "wildcard, 405", origins: []string{"*"}, fixture: "get.json",
			status: 405, allowOrigin: "*"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHandler(t, Config{CORSOrigins: tc.origins}, nil, nil)
			ev := loadEvent(t, tc.fixture)
			if tc.origin != "" {
				ev.Headers["origin"] = tc.origin
			}
			resp := handle(t, h, ev)

			if resp.StatusCode != tc.status {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tc.status)
			}
			if got := resp.Headers["Access-Control-Allow-Origin"]; got != tc.allowOrigin {
				t.Errorf("Access-Control-Allow-Origin = %q, want %q", got, tc.allowOrigin)
			}
			for _, name := range preflight {
				if _, ok := resp.Headers[name]; ok != tc.preflight {
					t.Errorf("%s present = %v, want %v", name, ok, tc.preflight)
				}
			}
			if got := resp.Headers["Vary"] == "Origin"; got != tc.vary {
				t.Errorf("Vary: Origin present = %v, want %v", got, tc.vary)
			}
			if tc.status == http.StatusNoContent && resp.Body != "" {
				t.Errorf("preflight body = %q, want none", resp.Body)
			}
		})
	}
}

// TestOriginHeaderAnyCase covers a caller (the local stack) that builds the
// event with canonical header names instead of API Gateway's lower case.
func TestOriginHeaderAnyCase(t *testing.T) {
	h := newHandler(t, Config{CORSOrigins: []string{allowedSite}}, nil, nil)
	ev := loadEvent(t, "options-preflight.json")
	delete(ev.Headers, "origin")
	ev.Headers["Origin"] = allowedSite
	if got := handle(t, h, ev).Headers["Access-Control-Allow-Origin"]; got != allowedSite {
		t.Errorf("Access-Control-Allow-Origin = %q, want %q", got, allowedSite)
	}
}

// fakePresigner stands in for the SDK where the SDK cannot be made to fail.
type fakePresigner struct {
	url string
	err error
}

func (f fakePresigner) PresignPutObject(context.Context, *s3.PutObjectInput,
	...func(*s3.PresignOptions)) (*v4.PresignedHTTPRequest, error) {
	if f.err != nil {
		return nil, f.err
	}
	return &v4.PresignedHTTPRequest{URL: f.url, Method: http.MethodPut}, nil
}

// TestPresignFailures checks that a failed or under-signed presign reaches
// the client as a 500 with a JSON body, never as a usable URL.
func TestPresignFailures(t *testing.T) {
	const base = "https://b.s3.amazonaws.com/k?X-Amz-Date=20260102T130000Z&X-Amz-Expires=300"
	tests := []struct {
		name string
		p    fakePresigner
	}{
		{"sdk error", fakePresigner{err: errors.New("failed to retrieve credentials")}},
		{"content-type not signed",
			fakePresigner{url: base + "&X-Amz-SignedHeaders=content-length%3Bhost"}},
		{"content-length not signed",
			fakePresigner{url: base + "&X-Amz-SignedHeaders=content-type%3Bhost"}},
		{"no date", fakePresigner{url: "https://b.s3.amazonaws.com/k?X-Amz-Expires=300" +
			"&X-Amz-SignedHeaders=content-length%3Bcontent-type%3Bhost"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			h := newHandler(t, Config{}, tc.p, &logs)
			resp := handle(t, h, loadEvent(t, "post-jwt.json"))
			if resp.StatusCode != http.StatusInternalServerError {
				t.Fatalf("status = %d, want 500", resp.StatusCode)
			}
			if got := errorCode(t, resp); got != CodeInternal {
				t.Errorf("code = %q, want %q", got, CodeInternal)
			}
			if strings.Contains(resp.Body, "amazonaws") {
				t.Errorf("the body leaks the URL: %s", resp.Body)
			}
			if !strings.Contains(logs.String(), `"level":"ERROR"`) {
				t.Errorf("no ERROR log line: %s", logs.String())
			}
		})
	}
}

// TestLogs checks that each request writes one JSON line with the ids, and
// that no line carries the URL, the token or claims other than sub.
func TestLogs(t *testing.T) {
	var logs bytes.Buffer
	h := newHandler(t, Config{CORSOrigins: []string{allowedSite}}, nil, &logs)
	fixtures := []string{"post-jwt.json", "post-no-authorizer.json",
		"post-unsupported-type.json", "get.json", "options-preflight.json"}
	var out Response
	for _, name := range fixtures {
		ev := loadEvent(t, name)
		resp := handle(t, h, ev)
		if resp.StatusCode == http.StatusCreated {
			if err := json.Unmarshal([]byte(resp.Body), &out); err != nil {
				t.Fatal(err)
			}
		}
	}

	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != len(fixtures) {
		t.Fatalf("%d log lines for %d requests:\n%s", len(lines), len(fixtures), logs.String())
	}
	var first map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatalf("log line is not JSON: %v", err)
	}
	if first["userId"] != fixtureSub || first["imageId"] != out.ImageID || out.ImageID == "" {
		t.Errorf("issued line has userId %v, imageId %v; want %s, %s",
			first["userId"], first["imageId"], fixtureSub, out.ImageID)
	}
	var unsupported map[string]any
	if err := json.Unmarshal([]byte(lines[2]), &unsupported); err != nil {
		t.Fatal(err)
	}
	if unsupported["code"] != CodeUnsupportedType || unsupported["userId"] != fixtureSub {
		t.Errorf("refusal line = %v, want code %s and userId", unsupported, CodeUnsupportedType)
	}

	ev := loadEvent(t, "post-jwt.json")
	secret := []string{out.UploadURL, "X-Amz-Signature", "X-Amz-Credential",
		ev.Headers["authorization"], strings.TrimPrefix(ev.Headers["authorization"], "Bearer ")}
	for k, v := range ev.RequestContext.Authorizer.JWT.Claims {
		if k != "sub" {
			secret = append(secret, v)
		}
	}
	for _, s := range secret {
		if strings.Contains(logs.String(), s) {
			t.Errorf("the logs contain %q", s)
		}
	}
}

// TestNew checks the constructor's defaults and refusals, so the local stack
// can build a Handler from a partial Config.
func TestNew(t *testing.T) {
	h := newHandler(t, Config{}, nil, nil)
	cfg := h.Config()
	if cfg.Expiry != DefaultExpiry || cfg.MaxBytes != DefaultMaxBytes ||
		!slices.Equal(cfg.AllowedContentTypes, DefaultContentTypes) || len(cfg.CORSOrigins) != 0 {
		t.Errorf("defaults = %+v", cfg)
	}

	tests := []struct {
		name string
		cfg  Config
		want error
	}{
		{"no bucket", Config{}, ErrBucketMissing},
		{"negative expiry", Config{Bucket: "b", Expiry: -time.Second}, ErrExpiryInvalid},
		{"expiry over an hour", Config{Bucket: "b", Expiry: time.Hour + time.Second},
			ErrExpiryInvalid},
		{"negative cap", Config{Bucket: "b", MaxBytes: -1}, ErrMaxBytesInvalid},
		{"cap over 5 GiB", Config{Bucket: "b", MaxBytes: MaxPutBytes + 1}, ErrMaxBytesInvalid},
		{"type without an extension",
			Config{Bucket: "b", AllowedContentTypes: []string{"image/bmp"}},
			ErrContentTypeInvalid},
		{"origin with a path", Config{Bucket: "b", CORSOrigins: []string{allowedSite + "/"}},
			ErrCORSOriginInvalid},
	}
	for _, tc := range tests {
		_, err := New(tc.cfg, testPresigner(), nil)
		var cerr *ConfigError
		if !errors.Is(err, tc.want) || !errors.As(err, &cerr) {
			t.Errorf("%s: New = %v, want a *ConfigError wrapping %v", tc.name, err, tc.want)
		}
	}

	if _, err := New(Config{Bucket: "b"}, nil, nil); err == nil {
		t.Error("New without a presigner succeeded")
	}
}

// TestNewCopiesSlices checks that a caller changing its slices after New
// cannot change what the Handler allows.
func TestNewCopiesSlices(t *testing.T) {
	types := []string{"image/png"}
	h := newHandler(t, Config{AllowedContentTypes: types}, nil, nil)
	types[0] = "image/jpeg"
	ev := loadEvent(t, "post-jwt.json")
	if resp := handle(t, h, ev); resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("status = %d after the caller's slice changed, want 415", resp.StatusCode)
	}
}
