// Package steperr holds the error types that the step Lambdas return at their
// handler boundary.
//
// aws-lambda-go reports a returned error to Step Functions under the Go type
// name of the error, and the state machine's Retry and Catch blocks match on
// that name. The type names in this package are therefore a wire contract with
// statemachine/definition.asl.json: renaming a type changes which states retry
// and which are caught.
package steperr

import (
	"context"
	"errors"
	"fmt"
	"reflect"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"
)

// Names of the errors as Step Functions sees them.
const (
	// NameImageRejected is the error name of input that will never succeed.
	NameImageRejected = "ImageRejected"
	// NameDependencyUnavailable is the error name of a transient failure of
	// S3, DynamoDB or SNS that is worth retrying.
	NameDependencyUnavailable = "DependencyUnavailable"
)

// ImageRejected reports an upload that the pipeline will never process: the
// retry of a rejection would fail the same way, so the state machine catches it
// into the rejection branch instead of retrying.
type ImageRejected struct {
	// Reason is a sentence a person understands, stored on the item and sent
	// in the failure notification.
	Reason string
}

// Rejectf returns an [*ImageRejected] whose reason is formatted like fmt.Sprintf.
func Rejectf(format string, args ...any) *ImageRejected {
	return &ImageRejected{Reason: fmt.Sprintf(format, args...)}
}

func (e *ImageRejected) Error() string { return e.Reason }

// DependencyUnavailable reports a failure of an AWS dependency that may pass:
// throttling, a 5xx answer, a timeout or a refused connection. The state
// machine retries it with backoff and, once the retries are spent, fails the
// execution at that state so that a redrive resumes there.
type DependencyUnavailable struct {
	// Service names the dependency, such as "s3" or "dynamodb".
	Service string
	// Op names what was being done, such as "GetObject".
	Op string
	// Err is the underlying error.
	Err error
}

func (e *DependencyUnavailable) Error() string {
	return fmt.Sprintf("%s %s: %v", e.Service, e.Op, e.Err)
}

func (e *DependencyUnavailable) Unwrap() error { return e.Err }

// Unavailable wraps err as a [*DependencyUnavailable] for service and op.
func Unavailable(service, op string, err error) *DependencyUnavailable {
	return &DependencyUnavailable{Service: service, Op: op, Err: err}
}

// Name returns the error name that Step Functions records for err when a
// handler returns it: the name of its Go type, as aws-lambda-go reports it.
func Name(err error) string {
	t := reflect.TypeOf(err)
	if t.Kind() == reflect.Pointer {
		return t.Elem().Name()
	}
	return t.Name()
}

// Boundary returns the error a handler should return for err: an
// [*ImageRejected] or [*DependencyUnavailable] anywhere in err's chain is
// returned itself, so that Step Functions sees its name rather than the name
// of a wrapper; any other error is returned as it is.
func Boundary(err error) error {
	if err == nil {
		return nil
	}
	var rejected *ImageRejected
	if errors.As(err, &rejected) {
		return rejected
	}
	var unavailable *DependencyUnavailable
	if errors.As(err, &unavailable) {
		return unavailable
	}
	var refused *DependencyRefused
	if errors.As(err, &refused) {
		return refused
	}
	return err
}

// NameDependencyRefused is the error name of an AWS dependency's answer that a
// retry would not change, such as AccessDenied or a missing table.
const NameDependencyRefused = "DependencyRefused"

// DependencyRefused reports an AWS dependency's refusal that retrying would
// not change: a permission, a missing resource, a malformed request. The state
// machine does not retry it; the execution fails at that state, and once the
// cause is fixed a redrive resumes there.
type DependencyRefused struct {
	Service string
	Op      string
	Err     error
}

func (e *DependencyRefused) Error() string {
	return fmt.Sprintf("%s %s refused: %v", e.Service, e.Op, e.Err)
}

func (e *DependencyRefused) Unwrap() error { return e.Err }

var (
	retryables = retry.IsErrorRetryables(append([]retry.IsErrorRetryable{
		retry.IsErrorRetryableFunc(func(err error) aws.Ternary {
			var status interface{ HTTPStatusCode() int }
			if errors.As(err, &status) && status.HTTPStatusCode() >= 500 {
				return aws.TrueTernary
			}
			return aws.UnknownTernary
		}),
	}, retry.DefaultRetryables...))
	throttles = retry.IsErrorThrottles(retry.DefaultThrottles)
)

// FromAWS classifies an error returned by an AWS SDK call, after the SDK's own
// retries: throttling, 5xx answers, timeouts and connection failures become a
// [*DependencyUnavailable], which the state machine retries; any other answer
// becomes a [*DependencyRefused]. A cancelled context is returned as it is.
func FromAWS(service, op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	if errors.Is(err, context.DeadlineExceeded) ||
		throttles.IsErrorThrottle(err) == aws.TrueTernary ||
		retryables.IsErrorRetryable(err) == aws.TrueTernary {
		return Unavailable(service, op, err)
	}
	var maxAttempts *retry.MaxAttemptsError
	if errors.As(err, &maxAttempts) {
		return Unavailable(service, op, err)
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return &DependencyRefused{Service: service, Op: op, Err: err}
	}
	// A transport failure the SDK did not classify, such as a refused
	// connection after its retries: worth retrying.
	return Unavailable(service, op, err)
}

// FromS3Object classifies an error of reading an upload from S3. An object
// that is gone (S3 is strongly consistent: it was deleted) or that was
// replaced since the version a read was pinned to with If-Match is rejected,
// since no retry brings that version back; the newer upload has an event of
// its own. Anything else is classified by [FromAWS].
func FromS3Object(op string, err error) error {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode() {
		case "NotFound", "NoSuchKey":
			return Rejectf("the object no longer exists; it was deleted before it " +
				"could be processed")
		case "PreconditionFailed":
			return Rejectf("the upload was replaced by a newer one at the same key " +
				"before it could be processed; the newer one is processed on its own")
		}
	}
	return FromAWS("s3", op, err)
}
