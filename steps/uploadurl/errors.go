package uploadurl

import (
	"errors"
	"fmt"

	"github.com/imagepipe/imagepipe/shared/httpapi"
)

// Errors wrapped by a [*ConfigError]; match them with [errors.Is].
var (
	ErrBucketMissing      = errors.New("uploadurl: the originals bucket is required")
	ErrExpiryInvalid      = errors.New("uploadurl: the expiry must be a duration > 0 and ≤ 1h")
	ErrMaxBytesInvalid    = errors.New("uploadurl: the size cap must be an integer in 1..5 GiB")
	ErrContentTypeInvalid = errors.New("uploadurl: an allowed content type has no key extension")
	ErrCORSOriginInvalid  = errors.New("uploadurl: a CORS origin is not scheme://host[:port] or *")
)

// ConfigError reports one bad configuration value: the environment variable
// it came from (also for a [Config] built in code, so operators and callers
// see one name), the value, and which rule it broke.
type ConfigError struct {
	Name  string
	Value string
	Err   error
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("%v (%s=%q)", e.Err, e.Name, e.Value)
}

// Unwrap returns the rule that was broken, one of the Err* values.
func (e *ConfigError) Unwrap() error { return e.Err }

// Error codes of the JSON error bodies. They are part of the API: clients
// branch on them, so they never change once released; the messages may.
const (
	CodeUnauthorized     = httpapi.CodeUnauthorized     // 401
	CodeMethodNotAllowed = httpapi.CodeMethodNotAllowed // 405
	CodeInvalidJSON      = "invalid_json"               // 400
	CodeMissingField     = "missing_field"              // 400
	CodeInvalidField     = "invalid_field"              // 400
	CodeUnsupportedType  = "unsupported_content_type"   // 415
	CodeUploadTooLarge   = "upload_too_large"           // 413
	CodeRequestTooLarge  = "request_too_large"          // 413
	CodeInternal         = httpapi.CodeInternal         // 500
)

// ErrorResponse is the JSON body of every refusal.
type ErrorResponse = httpapi.ErrorBody

// ErrorDetail is a stable machine-readable code (one of the Code* constants)
// and a message for people.
type ErrorDetail = httpapi.ErrorDetail
