package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/aws/aws-lambda-go/events"
)

// Error codes every API built on this package may answer with. They are part
// of the API: clients branch on them, so they never change once released.
const (
	CodeUnauthorized     = "unauthorized"       // 401
	CodeMethodNotAllowed = "method_not_allowed" // 405
	CodeInternal         = "internal_error"     // 500
)

// ErrorBody is the JSON body of every refusal.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is a stable machine-readable code and a message for people.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Refusal is a refused request on its way to becoming a response: the HTTP
// status, the code of the [ErrorDetail] and its message.
type Refusal struct {
	Status  int
	Code    string
	Message string
}

// Unauthorized returns a 401 [CodeUnauthorized] refusal with msg.
func Unauthorized(msg string) *Refusal {
	return &Refusal{Status: http.StatusUnauthorized, Code: CodeUnauthorized, Message: msg}
}

// BadRequest returns a 400 refusal with code and msg.
func BadRequest(code, msg string) *Refusal {
	return &Refusal{Status: http.StatusBadRequest, Code: code, Message: msg}
}

// Internal returns a 500 [CodeInternal] refusal with msg.
func Internal(msg string) *Refusal {
	return &Refusal{Status: http.StatusInternalServerError, Code: CodeInternal, Message: msg}
}

// Response returns the [JSON] response of r, its body an [ErrorBody]. A 401
// also carries WWW-Authenticate: Bearer, since RFC 9110 asks a 401 to name
// the scheme the client should use.
func (r *Refusal) Response() events.APIGatewayV2HTTPResponse {
	// Two strings always encode; there is no error to handle.
	body, _ := Encode(ErrorBody{ErrorDetail{Code: r.Code, Message: r.Message}})
	resp := JSON(r.Status, body)
	if r.Status == http.StatusUnauthorized {
		resp.Headers["WWW-Authenticate"] = "Bearer"
	}
	return resp
}

// MethodNotAllowed returns the 405 [CodeMethodNotAllowed] response to method
// on a route that serves the methods in allow, the value of its Allow header
// (such as "GET, OPTIONS"). Its message names use, the method the client
// should send instead.
func MethodNotAllowed(method, allow, use string) events.APIGatewayV2HTTPResponse {
	r := &Refusal{Status: http.StatusMethodNotAllowed, Code: CodeMethodNotAllowed,
		Message: fmt.Sprintf("method %q is not allowed here; use %s", method, use)}
	resp := r.Response()
	resp.Headers["Allow"] = allow
	return resp
}

// JSON returns a response with status and body and the headers every answer
// carries: Content-Type: application/json, and Cache-Control: no-store,
// because an answer is for the signed-in caller only and may hold presigned
// URLs, which are credentials for their lifetime. A nil body is empty.
func JSON(status int, body []byte) events.APIGatewayV2HTTPResponse {
	return events.APIGatewayV2HTTPResponse{
		StatusCode: status,
		Headers: map[string]string{
			"Content-Type":  "application/json",
			"Cache-Control": "no-store",
		},
		Body: string(body),
	}
}

// Encode marshals v as JSON without HTML escaping, so the '&' of a presigned
// URL stays readable to people and tools (the body is JSON, never HTML), and
// without encoding/json's trailing newline.
func Encode(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
