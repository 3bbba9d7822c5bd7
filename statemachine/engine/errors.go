package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
)

// Error names that the States Language reserves, as Retry, Catch and the
// execution's error report them.
const (
	ErrorAll               = "States.ALL"
	ErrorTaskFailed        = "States.TaskFailed"
	ErrorTimeout           = "States.Timeout"
	ErrorRuntime           = "States.Runtime"
	ErrorNoChoiceMatched   = "States.NoChoiceMatched"
	ErrorResultPathFailure = "States.ResultPathMatchFailure"
	ErrorDataLimitExceeded = "States.DataLimitExceeded"
	// ErrorLambdaUnknown is what a handler panic is reported as, the name
	// Lambda gives a function that died without returning an error type.
	ErrorLambdaUnknown = "Lambda.Unknown"
)

// LoadError reports a definition that [Load] refuses. State is empty for a
// top-level problem; Field is empty when the state as a whole is at fault.
type LoadError struct {
	State string
	Field string
	Msg   string
}

// Error names the state and field at fault.
func (e *LoadError) Error() string {
	switch {
	case e.State != "" && e.Field != "":
		return fmt.Sprintf("engine: state %q: field %s: %s", e.State, e.Field, e.Msg)
	case e.State != "":
		return fmt.Sprintf("engine: state %q: %s", e.State, e.Msg)
	case e.Field != "":
		return fmt.Sprintf("engine: field %s: %s", e.Field, e.Msg)
	}
	return "engine: " + e.Msg
}

// TaskError is an error with an explicit Step Functions name and cause. A
// handler returns one (possibly wrapped) to fail its task with exactly that
// name, for example Lambda.ServiceException or Lambda.TooManyRequestsException,
// which a real Lambda reports without the function's code being involved.
type TaskError struct {
	// Name is the error name that ErrorEquals matches.
	Name string
	// Cause is the free-form cause, recorded as it is.
	Cause string
}

// Error returns the name and the cause.
func (e *TaskError) Error() string {
	if e.Cause == "" {
		return e.Name
	}
	return e.Name + ": " + e.Cause
}

// lambdaError is the body that the Go Lambda runtime reports for a returned
// error; Step Functions records it as the task's cause.
type lambdaError struct {
	Message string `json:"errorMessage"`
	Type    string `json:"errorType"`
}

// taskFailure names err the way Step Functions would see it come back from
// a Go Lambda: a [*TaskError] anywhere in the chain speaks for itself,
// anything else is named for its Go type, as aws-lambda-go does.
func taskFailure(err error) *TaskError {
	var te *TaskError
	if errors.As(err, &te) {
		return &TaskError{Name: te.Name, Cause: te.Cause}
	}
	name := errorTypeName(err)
	// json.Marshal of two strings cannot fail.
	cause, _ := json.Marshal(lambdaError{Message: err.Error(), Type: name})
	return &TaskError{Name: name, Cause: string(cause)}
}

// errorTypeName mirrors aws-lambda-go's getErrorType: the reflected type
// name, with one pointer dereferenced.
func errorTypeName(err any) string {
	t := reflect.TypeOf(err)
	if t.Kind() == reflect.Pointer {
		return t.Elem().Name()
	}
	return t.Name()
}

// APIError is an error of the execution API, named like the Step Functions
// API exception it stands for, so that a server speaking the AWS protocol can
// send Code as the error type. Compare with errors.Is against the Err values.
type APIError struct {
	Code    string
	Message string
}

// Error returns the code and the message.
func (e *APIError) Error() string { return "engine: " + e.Code + ": " + e.Message }

// Is reports whether target is an *APIError with the same Code.
func (e *APIError) Is(target error) bool {
	t, ok := target.(*APIError)
	return ok && t.Code == e.Code
}

// Values to match API errors with errors.Is.
var (
	ErrExecutionAlreadyExists = &APIError{Code: "ExecutionAlreadyExists"}
	ErrExecutionDoesNotExist  = &APIError{Code: "ExecutionDoesNotExist"}
	ErrExecutionNotRedrivable = &APIError{Code: "ExecutionNotRedrivable"}
	ErrInvalidName            = &APIError{Code: "InvalidName"}
	ErrInvalidExecutionInput  = &APIError{Code: "InvalidExecutionInput"}
	ErrMachineClosed          = &APIError{Code: "MachineClosed"}
)

func apiError(kind *APIError, format string, args ...any) *APIError {
	return &APIError{Code: kind.Code, Message: fmt.Sprintf(format, args...)}
}

// stateError is a failure inside an execution: the error name and cause that
// Retry and Catch see and that the execution reports if nothing handles it.
type stateError struct {
	name  string
	cause string
	// engine marks an error of the engine's own evaluation, whose cause
	// gets the "An error occurred while executing the state" preamble.
	engine bool
}

func (e *stateError) Error() string { return e.name + ": " + e.cause }

func runtimeError(format string, args ...any) *stateError {
	return &stateError{name: ErrorRuntime, cause: fmt.Sprintf(format, args...), engine: true}
}

// terminal reports whether no Retry or Catch may handle the error: AWS fails
// the execution on these whatever the state says.
func (e *stateError) terminal() bool {
	return e.name == ErrorRuntime || e.name == ErrorDataLimitExceeded
}
