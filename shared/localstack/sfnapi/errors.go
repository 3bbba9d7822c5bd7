package sfnapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/imagepipe/imagepipe/statemachine/engine"
)

// ErrorNamespace prefixes the __type of every error answered.
const ErrorNamespace = "com.amazonaws.states#"

// Error is an API error as the server answers it: an HTTP status and the
// code that the SDK maps to its typed error.
type Error struct {
	Status  int
	Code    string
	Message string
}

func (e *Error) Error() string { return "sfnapi: " + e.Code + ": " + e.Message }

// badRequest returns a 400 error with code and a formatted message.
func badRequest(code, format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Code: code,
		Message: fmt.Sprintf(format, args...)}
}

func validation(format string, args ...any) *Error {
	return badRequest("ValidationException", format, args...)
}

// asError turns an error of the engine or of the server into what is
// answered; an unknown error is an internal error.
func asError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var api *engine.APIError
	if errors.As(err, &api) {
		if errors.Is(api, engine.ErrMachineClosed) {
			return &Error{Status: http.StatusServiceUnavailable, Code: "ServiceUnavailable",
				Message: api.Message}
		}
		return badRequest(api.Code, "%s", api.Message)
	}
	return &Error{Status: http.StatusInternalServerError, Code: "InternalServerError",
		Message: err.Error()}
}

// writeError answers e in the AWS JSON 1.0 error shape. The code travels in
// the body's __type alone, which is what the SDK reads when no
// X-Amzn-ErrorType header is set.
func writeError(w http.ResponseWriter, e *Error) {
	body, _ := json.Marshal(struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}{ErrorNamespace + e.Code, e.Message})
	w.Header().Set("Content-Type", ContentType)
	w.WriteHeader(e.Status)
	w.Write(body)
}
