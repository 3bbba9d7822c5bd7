package localstack

import "errors"

// Errors of the local stack.
var (
	// ErrGoawsInUse reports a Start whose region or account differs from the
	// Stacks already running in the process: they share one goaws, whose
	// region and account are global.
	ErrGoawsInUse = errors.New("localstack: goaws already runs with another region or account")
	// ErrPipeStopped reports a wait on a pipe that was stopped.
	ErrPipeStopped = errors.New("localstack: the pipe was stopped")
	// ErrClosed reports a use of a closed Stack.
	ErrClosed = errors.New("localstack: the stack is closed")
)

// ErrPattern reports an event pattern that the local pipe cannot evaluate.
type ErrPattern struct{ Reason string }

func (e *ErrPattern) Error() string { return "localstack: event pattern: " + e.Reason }
