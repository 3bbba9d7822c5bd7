package images

import "net/http"

// Error codes of the JSON error bodies. They are part of the API: clients
// branch on them, so they never change once released; the messages may.
const (
	CodeInvalidCursor      = "invalid_cursor"      // 400
	CodeInvalidLimit       = "invalid_limit"       // 400
	CodeInvalidImageID     = "invalid_image_id"    // 400
	CodeUnauthorized       = "unauthorized"        // 401
	CodeNotFound           = "not_found"           // 404
	CodeMethodNotAllowed   = "method_not_allowed"  // 405
	CodeInternal           = "internal_error"      // 500
	CodeServiceUnavailable = "service_unavailable" // 503
)

// ErrorResponse is the JSON body of every refusal.
type ErrorResponse struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is a stable machine-readable code (one of the Code* constants)
// and a message for people.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// apiError is a refusal on its way to becoming an HTTP response.
type apiError struct {
	status  int
	code    string
	message string
}

// errNotFound is the one answer for an image the caller may not see, whether
// it belongs to someone else or does not exist: one value, so the two can
// never drift apart.
var errNotFound = &apiError{http.StatusNotFound, CodeNotFound,
	"there is no image with this id among yours; a new upload appears once it is processed"}

func unauthorized(msg string) *apiError {
	return &apiError{http.StatusUnauthorized, CodeUnauthorized, msg}
}

func badRequest(code, msg string) *apiError {
	return &apiError{http.StatusBadRequest, code, msg}
}

func internal(msg string) *apiError {
	return &apiError{http.StatusInternalServerError, CodeInternal, msg}
}

func unavailable(msg string) *apiError {
	return &apiError{http.StatusServiceUnavailable, CodeServiceUnavailable, msg}
}
