package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/imagepipe/imagepipe/shared/httpapi"
)

func TestHeader(t *testing.T) {
	headers := map[string]string{"origin": "https://app.example.com", "X-Trace": "t1"}
	cases := []struct{ name, header, want string }{
		{"as API Gateway sends it", "origin", "https://app.example.com"},
		{"asked in another case", "Origin", "https://app.example.com"},
		{"sent in another case", "x-trace", "t1"},
		{"absent", "authorization", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := httpapi.Header(headers, c.header); got != c.want {
				t.Errorf("Header(%q) = %q, want %q", c.header, got, c.want)
			}
		})
	}
	if got := httpapi.Header(nil, "origin"); got != "" {
		t.Errorf("Header of no headers = %q, want empty", got)
	}
}

// withClaims is a request whose JWT authorizer verified claims.
func withClaims(claims map[string]string) events.APIGatewayV2HTTPRequest {
	var req events.APIGatewayV2HTTPRequest
	req.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
		JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: claims},
	}
	return req
}

func TestSubject(t *testing.T) {
	const sub = "5f3a9c1e-8b2d-4e6f-a1c7-3d9e0b4f2a18"
	noJWT := withClaims(nil)
	noJWT.RequestContext.Authorizer.JWT = nil
	cases := []struct {
		name    string
		req     events.APIGatewayV2HTTPRequest
		want    string
		message string // of the 401; "" when the subject is accepted
	}{
		{"valid sub", withClaims(map[string]string{"sub": sub, "email": "a@b.c"}), sub, ""},
		{"no authorizer", events.APIGatewayV2HTTPRequest{}, "", "a signed-in user is required"},
		{"authorizer without JWT", noJWT, "", "a signed-in user is required"},
		{"no sub claim", withClaims(map[string]string{"email": "a@b.c"}), "",
			"the token has no subject"},
		{"empty sub", withClaims(map[string]string{"sub": ""}), "",
			"the token has no subject"},
		{"sub with a slash", withClaims(map[string]string{"sub": "a/b"}), "",
			"the token's subject is not a valid user id"},
		{"sub too long", withClaims(map[string]string{"sub": strings.Repeat("a", 129)}), "",
			"the token's subject is not a valid user id"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, refusal := httpapi.Subject(c.req)
			if got != c.want {
				t.Errorf("Subject = %q, want %q", got, c.want)
			}
			if c.message == "" {
				if refusal != nil {
					t.Errorf("refused: %+v", refusal)
				}
				return
			}
			want := httpapi.Refusal{Status: http.StatusUnauthorized,
				Code: httpapi.CodeUnauthorized, Message: c.message}
			if refusal == nil || *refusal != want {
				t.Errorf("refusal = %+v, want %+v", refusal, want)
			}
		})
	}
}
