package images

import (
	"net/http"

	"github.com/imagepipe/imagepipe/shared/httpapi"
)

// Error codes of the JSON error bodies. They are part of the API: clients
// branch on them, so they never change once released; the messages may.
const (
	CodeInvalidCursor      = "invalid_cursor"             // 400
	CodeInvalidLimit       = "invalid_limit"              // 400
	CodeInvalidImageID     = "invalid_image_id"           // 400
	CodeUnauthorized       = httpapi.CodeUnauthorized     // 401
	CodeNotFound           = "not_found"                  // 404
	CodeMethodNotAllowed   = httpapi.CodeMethodNotAllowed // 405
	CodeInternal           = httpapi.CodeInternal         // 500
	CodeServiceUnavailable = "service_unavailable"        // 503
)

// ErrorResponse is the JSON body of every refusal.
type ErrorResponse = httpapi.ErrorBody

// ErrorDetail is a stable machine-readable code (one of the Code* constants)
// and a message for people.
type ErrorDetail = httpapi.ErrorDetail

// errNotFound is the one answer for an image the caller may not see, whether
// it belongs to someone else or does not exist: one value, so the two can
// never drift apart.
var errNotFound = &httpapi.Refusal{Status: http.StatusNotFound, Code: CodeNotFound,
	Message: "there is no image with this id among yours; " +
		"a new upload appears once it is processed"}

func unavailable(msg string) *httpapi.Refusal {
	return &httpapi.Refusal{Status: http.StatusServiceUnavailable,
		Code: CodeServiceUnavailable, Message: msg}
}
