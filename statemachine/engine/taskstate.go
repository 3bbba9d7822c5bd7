package engine

import (
	"context"
	"time"
)

// task runs a Task state: each attempt, the retries its Retry allows, and
// its Catch.
func (x *execution) task(ctx context.Context, st *state, raw any, entered time.Time) (
	any, string, *stateError) {
	effective, serr := selectPath(st.inputPath, raw, x.contextObject(st, entered, 0))
	if serr != nil {
		return nil, "", serr
	}
	// Each retrier counts its own attempts, as in AWS.
	attempts := make([]int, len(st.retry))
	for retries := 0; ; retries++ {
		co := x.contextObject(st, entered, retries)
		out, serr := x.attempt(ctx, st, raw, effective, co, retries)
		if serr == nil {
			return out, st.next, nil
		}
		if ctx.Err() != nil || serr.terminal() {
			return nil, "", serr
		}
		if i := retrierFor(st.retry, serr.name); i >= 0 && attempts[i] < st.retry[i].maxAttempts {
			d := st.retry[i].delay(attempts[i], x.m.cfg.random)
			attempts[i]++
			if x.m.sleep(ctx, d) != nil {
				return nil, "", errInterrupted
			}
			continue
		}
		return x.catch(st, raw, serr)
	}
}

// retrierFor returns the first retrier that matches the error, or -1. A
// retrier whose attempts are spent still takes the error: a later one is
// not tried.
func retrierFor(retry []retrier, name string) int {
	for i := range retry {
		if matches(retry[i].errorEquals, name) {
			return i
		}
	}
	return -1
}

func (x *execution) catch(st *state, raw any, serr *stateError) (any, string, *stateError) {
	for _, c := range st.catch {
		if !matches(c.errorEquals, serr.name) {
			continue
		}
		errorOutput := map[string]any{"Error": serr.name, "Cause": serr.cause}
		out, err := c.resultPath.apply(raw, errorOutput)
		if err != nil {
			return nil, "", asStateError(err)
		}
		return out, c.next, nil
	}
	return nil, "", serr
}

// attempt invokes the handler once and processes its result.
func (x *execution) attempt(ctx context.Context, st *state, raw, effective, co any,
	retries int) (any, *stateError) {
	params, serr := evalTemplate(st.parameters, effective, co)
	if serr != nil {
		return nil, serr
	}
	input := compact(params)
	if len(input) > payloadLimit {
		return nil, &stateError{name: ErrorDataLimitExceeded,
			cause: "The task input is over the payload limit"}
	}
	x.emitScheduled(st, input)

	tctx := context.WithValue(ctx, taskInfoKey{}, TaskInfo{ExecutionArn: x.rec.ExecutionArn,
		StateName: st.name, Resource: st.resource, RetryCount: retries})
	if st.timeout > 0 && x.m.cfg.timeoutScale > 0 {
		var cancel context.CancelFunc
		tctx, cancel = context.WithTimeout(tctx, scaled(float64(st.timeout), x.m.cfg.timeoutScale))
		defer cancel()
	}
	out, err := x.m.callHandler(tctx, st.handler, []byte(input))
	if ctx.Err() != nil {
		return nil, errInterrupted
	}
	if err != nil {
		serr = handlerFailure(err)
		x.emitTaskFailure(st, serr)
		return nil, serr
	}
	result, serr := taskResult(out)
	if serr != nil {
		x.emitTaskFailure(st, serr)
		return nil, serr
	}
	x.emitTaskSucceeded(st, compact(result))
	return x.taskOutput(st, raw, result, co)
}

// taskOutput applies ResultSelector, ResultPath and OutputPath.
func (x *execution) taskOutput(st *state, raw, result, co any) (any, *stateError) {
	selected, serr := evalTemplate(st.resultSelector, result, co)
	if serr != nil {
		return nil, serr
	}
	out, err := st.resultPath.apply(raw, selected)
	if err != nil {
		return nil, asStateError(err)
	}
	return selectPath(st.outputPath, out, co)
}

func (st *state) timeoutPtr() *int64 {
	if st.timeout == 0 {
		return nil
	}
	t := st.timeout
	return &t
}

func (x *execution) emitScheduled(st *state, input string) {
	if st.lambda {
		x.emit(Event{Type: LambdaFunctionScheduled, LambdaScheduled: &LambdaScheduledDetails{
			Resource: st.resource, Input: input, InputDetails: &DataDetails{},
			TimeoutInSeconds: st.timeoutPtr()}})
		x.emit(Event{Type: LambdaFunctionStarted})
		return
	}
	rt, name := resourceNames(st.resource)
	d := &TaskScheduledDetails{Resource: name, ResourceType: rt, Region: x.m.cfg.region,
		Parameters: input, TimeoutInSeconds: st.timeoutPtr()}
	if st.heartbeat > 0 {
		h := st.heartbeat
		d.HeartbeatInSeconds = &h
	}
	x.emit(Event{Type: TaskScheduled, TaskScheduled: d})
	x.emit(Event{Type: TaskStarted, TaskStarted: &TaskResourceDetails{Resource: name,
		ResourceType: rt}})
}

func (x *execution) emitTaskSucceeded(st *state, output string) {
	if st.lambda {
		x.emit(Event{Type: LambdaFunctionSucceeded, LambdaSucceeded: &OutputDetails{
			Output: output, OutputDetails: &DataDetails{}}})
		return
	}
	rt, name := resourceNames(st.resource)
	x.emit(Event{Type: TaskSucceeded, TaskSucceeded: &TaskSucceededDetails{Resource: name,
		ResourceType: rt, Output: output, OutputDetails: &DataDetails{}}})
}

func (x *execution) emitTaskFailure(st *state, serr *stateError) {
	timedOut := serr.name == ErrorTimeout
	if st.lambda {
		d := &FailureDetails{Error: serr.name, Cause: serr.cause}
		if timedOut {
			x.emit(Event{Type: LambdaFunctionTimedOut, LambdaTimedOut: d})
		} else {
			x.emit(Event{Type: LambdaFunctionFailed, LambdaFailed: d})
		}
		return
	}
	rt, name := resourceNames(st.resource)
	d := &TaskFailureDetails{Resource: name, ResourceType: rt, Error: serr.name,
		Cause: serr.cause}
	if timedOut {
		x.emit(Event{Type: TaskTimedOut, TaskTimedOut: d})
	} else {
		x.emit(Event{Type: TaskFailed, TaskFailed: d})
	}
}
