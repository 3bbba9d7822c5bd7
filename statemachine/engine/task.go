package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Handler runs a Task state's resource in process. It receives the state's
// effective input (after InputPath and Parameters) and returns its result,
// which then goes through ResultSelector, ResultPath and OutputPath. An
// error fails the task under the name Step Functions would give it; see
// [TaskError].
type Handler func(ctx context.Context, input json.RawMessage) (json.RawMessage, error)

// TaskInfo tells a handler which execution and state it runs for.
type TaskInfo struct {
	ExecutionArn string
	StateName    string
	Resource     string
	// RetryCount is $$.State.RetryCount: 0 on the first attempt.
	RetryCount int
}

type taskInfoKey struct{}

// TaskInfoFromContext returns the [TaskInfo] of the task a handler's
// context belongs to.
func TaskInfoFromContext(ctx context.Context) (TaskInfo, bool) {
	info, ok := ctx.Value(taskInfoKey{}).(TaskInfo)
	return info, ok
}

// A resource that is a Lambda function ARN is the "legacy" integration, for
// which AWS records LambdaFunction* history events; any other resource is
// recorded with Task* events.
var lambdaFunctionARN = regexp.MustCompile(
	`^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9_$-]+)?$`)

// resourceNames splits an arn:aws:states:::service:action resource into the
// resourceType and resource that TaskScheduled events record.
func resourceNames(resource string) (resourceType, name string) {
	rest, ok := strings.CutPrefix(resource, "arn:aws:states:::")
	if !ok {
		return "", resource
	}
	service, action, ok := strings.Cut(rest, ":")
	if !ok {
		return "", resource
	}
	return service, action
}

type handlerResult struct {
	out json.RawMessage
	err error
}

// callHandler runs h on its own goroutine so that a timeout or a stop is
// noticed even when h ignores its context; a panic becomes Lambda.Unknown,
// which is how Lambda reports a function that died.
func (m *Machine) callHandler(ctx context.Context, h Handler, input json.RawMessage) (
	json.RawMessage, error) {
	results := make(chan handlerResult, 1)
	m.handlers.Add(1)
	go func() {
		defer m.handlers.Done()
		defer func() {
			if p := recover(); p != nil {
				results <- handlerResult{err: &TaskError{Name: ErrorLambdaUnknown,
					Cause: fmt.Sprintf("the handler panicked: %v", p)}}
			}
		}()
		out, err := h(ctx, input)
		results <- handlerResult{out, err}
	}()
	select {
	case r := <-results:
		if ctx.Err() != nil {
			return nil, errTaskDone
		}
		return r.out, r.err
	case <-ctx.Done():
		return nil, errTaskDone
	}
}

// errTaskDone reports that the task's context ended before the handler
// returned: the task timed out, or the execution was stopped.
var errTaskDone = errors.New("engine: the task's context is done")

// taskResult checks what a handler returned: nothing is null, as from a Go
// Lambda that returns no value.
func taskResult(out json.RawMessage) (any, *stateError) {
	if len(out) == 0 {
		return nil, nil
	}
	if len(out) > payloadLimit {
		return nil, &stateError{name: ErrorDataLimitExceeded, cause: fmt.Sprintf(
			"The task result has a size of %d bytes, over the limit of %d", len(out), payloadLimit)}
	}
	v, err := decodeValue(out)
	if err != nil {
		return nil, runtimeError("the handler returned a result that is not JSON: %v", err)
	}
	return v, nil
}

// handlerFailure turns what callHandler returned into the task's error,
// telling a task timeout from a failure.
func handlerFailure(err error) *stateError {
	if err == errTaskDone {
		return &stateError{name: ErrorTimeout}
	}
	te := taskFailure(err)
	return &stateError{name: te.Name, cause: te.Cause}
}
