package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/imagepipe/imagepipe/shared/httpapi"
)

// checkResponse compares what a client receives: the status, the body to the
// byte, and exactly the headers in want.
func checkResponse(t *testing.T, got events.APIGatewayV2HTTPResponse, status int,
	body string, want map[string]string) {
	t.Helper()
	if got.StatusCode != status {
		t.Errorf("status = %d, want %d", got.StatusCode, status)
	}
	if got.Body != body {
		t.Errorf("body = %s, want %s", got.Body, body)
	}
	if len(got.Headers) != len(want) {
		t.Errorf("headers = %v, want %v", got.Headers, want)
	}
	for k, v := range want {
		if got.Headers[k] != v {
			t.Errorf("%s = %q, want %q", k, got.Headers[k], v)
		}
	}
}

// jsonHeaders are the headers of every response, plus extra.
func jsonHeaders(extra ...string) map[string]string {
	h := map[string]string{"Content-Type": "application/json", "Cache-Control": "no-store"}
	for i := 0; i+1 < len(extra); i += 2 {
		h[extra[i]] = extra[i+1]
	}
	return h
}

func TestRefusalResponse(t *testing.T) {
	cases := []struct {
		name    string
		refusal *httpapi.Refusal
		status  int
		body    string
		headers map[string]string
	}{
		{"bad request", httpapi.BadRequest("invalid_limit", "limit must be 1 to 100"),
			400, `{"error":{"code":"invalid_limit","message":"limit must be 1 to 100"}}`,
			jsonHeaders()},
		{"unauthorized names the scheme", httpapi.Unauthorized("a signed-in user is required"),
			401, `{"error":{"code":"unauthorized","message":"a signed-in user is required"}}`,
			jsonHeaders("WWW-Authenticate", "Bearer")},
		{"internal", httpapi.Internal("the images could not be read"),
			500, `{"error":{"code":"internal_error","message":"the images could not be read"}}`,
			jsonHeaders()},
		{"another status as built", &httpapi.Refusal{Status: http.StatusServiceUnavailable,
			Code: "service_unavailable", Message: "try again"},
			503, `{"error":{"code":"service_unavailable","message":"try again"}}`,
			jsonHeaders()},
		{"message not HTML-escaped", httpapi.BadRequest("invalid_field", `a & b <c> "d"`),
			400, `{"error":{"code":"invalid_field","message":"a & b <c> \"d\""}}`,
			jsonHeaders()},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			checkResponse(t, c.refusal.Response(), c.status, c.body, c.headers)
		})
	}
}

func TestMethodNotAllowed(t *testing.T) {
	cases := []struct {
		name, method, allow, use string
		body                     string
	}{
		{"GET on a POST route", "GET", "OPTIONS, POST", "POST",
			`{"error":{"code":"method_not_allowed",` +
				`"message":"method \"GET\" is not allowed here; use POST"}}`},
		{"DELETE on a GET route", "DELETE", "GET, OPTIONS", "GET",
			`{"error":{"code":"method_not_allowed",` +
				`"message":"method \"DELETE\" is not allowed here; use GET"}}`},
		{"empty method", "", "GET, OPTIONS", "GET",
			`{"error":{"code":"method_not_allowed",` +
				`"message":"method \"\" is not allowed here; use GET"}}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := httpapi.MethodNotAllowed(c.method, c.allow, c.use)
			checkResponse(t, got, http.StatusMethodNotAllowed, c.body,
				jsonHeaders("Allow", c.allow))
		})
	}
}

func TestJSON(t *testing.T) {
	cases := []struct {
		name   string
		status int
		body   []byte
		want   string
	}{
		{"created", http.StatusCreated, []byte(`{"a":1}`), `{"a":1}`},
		{"no content", http.StatusNoContent, nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			checkResponse(t, httpapi.JSON(c.status, c.body), c.status, c.want, jsonHeaders())
		})
	}
}

func TestEncode(t *testing.T) {
	type page struct {
		URL  string `json:"url"`
		Next string `json:"next,omitempty"`
	}
	cases := []struct {
		name    string
		v       any
		want    string
		wantErr bool
	}{
		{"presigned URL keeps its ampersands",
			page{URL: "https://b.s3/k?X-Amz-Date=1&X-Amz-Expires=300"},
			`{"url":"https://b.s3/k?X-Amz-Date=1&X-Amz-Expires=300"}`, false},
		{"angle brackets stay as they are", page{URL: "<a>", Next: "n"},
			`{"url":"<a>","next":"n"}`, false},
		{"no trailing newline", []int{1, 2}, `[1,2]`, false},
		{"unencodable value", make(chan int), "", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := httpapi.Encode(c.v)
			if (err != nil) != c.wantErr {
				t.Fatalf("err = %v, want error %v", err, c.wantErr)
			}
			if string(got) != c.want {
				t.Errorf("Encode = %s, want %s", got, c.want)
			}
		})
	}
}
