package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// execution is one run of an execution's goroutine: from Start or a
// Redrive to its end. Only that goroutine touches it after launch.
type execution struct {
	m      *Machine
	rec    Record
	live   *liveExecution
	lastID int64
	input  any // $$.Execution.Input

	// TODO: a Store error while running is dropped after the first one is
	// kept here; the memory store never fails, a disk store will need to
	// surface it.
	storeErr error
}

// ending is how an execution ends.
type ending struct {
	status Status
	// output is the final output, already encoded as JSON.
	output       string
	error, cause string
}

// errInterrupted marks a step cut short because the execution was stopped
// or timed out; the loop then reads why from the context.
var errInterrupted = &stateError{name: "engine.Interrupted"}

// begin records a new execution; m.mu is held.
func (x *execution) begin() error {
	if err := x.m.cfg.store.Put(x.rec); err != nil {
		return err
	}
	x.emit(Event{Type: ExecutionStarted, ExecutionStarted: &ExecutionStartedDetails{
		Input: string(x.rec.Input), InputDetails: &DataDetails{}, RoleArn: x.m.cfg.roleArn}})
	return x.takeStoreErr()
}

// beginRedrive records a redrive in the same history; m.mu is held.
func (x *execution) beginRedrive() error {
	events, err := x.m.cfg.store.History(x.rec.ExecutionArn)
	if err != nil {
		return err
	}
	if n := len(events); n > 0 {
		x.lastID = events[n-1].ID
	}
	r := &x.rec
	r.RedriveCount++
	r.RedriveDate = time.Now().UTC()
	r.Status, r.StopDate, r.Output, r.Error, r.Cause = StatusRunning, time.Time{}, nil, "", ""
	if err := x.m.cfg.store.Put(x.rec); err != nil {
		return err
	}
	x.emit(Event{Type: ExecutionRedriven,
		ExecutionRedriven: &RedrivenDetails{RedriveCount: r.RedriveCount}})
	return x.takeStoreErr()
}

func (x *execution) takeStoreErr() error {
	err := x.storeErr
	x.storeErr = nil
	return err
}

func (x *execution) keep(err error) {
	if x.storeErr == nil {
		x.storeErr = err
	}
}

func (x *execution) emit(ev Event) {
	x.lastID++
	ev.ID, ev.PreviousEventID, ev.Timestamp = x.lastID, x.lastID-1, time.Now().UTC()
	x.keep(x.m.cfg.store.Append(x.rec.ExecutionArn, ev))
}

func (x *execution) notify() {
	if fn := x.m.cfg.onStatusChange; fn != nil {
		fn(StatusChange{Description: describe(x.rec)})
	}
}

// run executes from state until the execution ends; input was validated by
// Start or recorded by a previous run.
func (x *execution) run(ctx context.Context, state string, input []byte) {
	x.input, _ = decodeValue(x.rec.Input)
	data, _ := decodeValue(input)
	x.notify()
	x.end(x.loop(ctx, state, data))
}

// loop runs states from name on. Each state's output is encoded to JSON
// once, and that encoding serves as the next state's resume point, its
// entered event and the size check alike.
func (x *execution) loop(ctx context.Context, name string, data any) ending {
	encoded := compact(data)
	for {
		if ctx.Err() != nil {
			return interrupted(ctx)
		}
		st := x.m.def.states[name]
		x.rec.ResumeState, x.rec.ResumeInput = name, json.RawMessage(encoded)
		x.keep(x.m.cfg.store.Put(x.rec))
		out, outEncoded, next, serr := x.step(ctx, st, data, encoded)
		switch {
		case ctx.Err() != nil:
			return interrupted(ctx)
		case serr != nil:
			return ending{status: StatusFailed, error: serr.name, cause: serr.cause}
		case next == "":
			return ending{status: StatusSucceeded, output: outEncoded}
		}
		name, data, encoded = next, out, outEncoded
	}
}

func interrupted(ctx context.Context) ending {
	var stop *stopRequest
	if errors.As(context.Cause(ctx), &stop) {
		return ending{status: StatusAborted, error: stop.error, cause: stop.cause}
	}
	return ending{status: StatusTimedOut, error: ErrorTimeout,
		cause: "The execution ran longer than the state machine's TimeoutSeconds"}
}

func (x *execution) end(e ending) {
	r := &x.rec
	r.Status, r.StopDate = e.status, time.Now().UTC()
	failure := &FailureDetails{Error: e.error, Cause: e.cause}
	switch e.status {
	case StatusSucceeded:
		r.Output = json.RawMessage(e.output)
		x.emit(Event{Type: ExecutionSucceeded, ExecutionSucceeded: &OutputDetails{
			Output: string(r.Output), OutputDetails: &DataDetails{}}})
	case StatusFailed:
		x.emit(Event{Type: ExecutionFailed, ExecutionFailed: failure})
	case StatusTimedOut:
		x.emit(Event{Type: ExecutionTimedOut, ExecutionTimedOut: failure})
	case StatusAborted:
		x.emit(Event{Type: ExecutionAborted, ExecutionAborted: failure})
	}
	r.Error, r.Cause = e.error, e.cause
	x.keep(x.m.cfg.store.Put(x.rec))
	x.notify()

	x.m.mu.Lock()
	delete(x.m.live, r.ExecutionArn)
	x.m.mu.Unlock()
	close(x.live.done)
}

// step runs one state, whose input is raw and encoded as rawJSON: it records
// entering and leaving it and returns its output, that output encoded, and
// the next state ("" when the execution ends there).
func (x *execution) step(ctx context.Context, st *state, raw any, rawJSON string) (
	any, string, string, *stateError) {
	entered := time.Now().UTC()
	x.emit(Event{Type: EventType(st.typ + "StateEntered"), StateEntered: &StateEnteredDetails{
		Name: st.name, Input: rawJSON, InputDetails: &DataDetails{}}})
	enteredID := x.lastID
	out, next, serr := x.dispatch(ctx, st, raw, entered)
	var outJSON string
	if serr == nil {
		outJSON = compact(out)
		serr = checkSize(outJSON)
	}
	if serr != nil {
		if serr.engine {
			serr.cause = fmt.Sprintf("An error occurred while executing the state '%s' "+
				"(entered at the event id #%d). %s", st.name, enteredID, serr.cause)
			serr.engine = false
		}
		return nil, "", "", serr
	}
	x.emit(Event{Type: EventType(st.typ + "StateExited"), StateExited: &StateExitedDetails{
		Name: st.name, Output: outJSON, OutputDetails: &DataDetails{}}})
	return out, outJSON, next, nil
}

func (x *execution) dispatch(ctx context.Context, st *state, raw any, entered time.Time) (
	any, string, *stateError) {
	switch st.typ {
	case "Task":
		return x.task(ctx, st, raw, entered)
	case "Choice":
		return x.choice(st, raw, entered)
	case "Fail":
		return nil, "", x.fail(st, raw, entered)
	}
	var out any
	var serr *stateError
	switch st.typ {
	case "Pass":
		out, serr = x.pass(st, raw, entered)
	case "Wait":
		out, serr = x.wait(ctx, st, raw, entered)
	case "Succeed":
		out, serr = x.succeed(st, raw, entered)
	}
	return out, st.next, serr
}

func checkSize(encoded string) *stateError {
	if n := len(encoded); n > payloadLimit {
		return &stateError{name: ErrorDataLimitExceeded, cause: fmt.Sprintf(
			"The state output has a size of %d bytes, over the limit of %d", n, payloadLimit)}
	}
	return nil
}

const isoMillis = "2006-01-02T15:04:05.000Z"

// contextObject builds $$ for a state.
func (x *execution) contextObject(st *state, entered time.Time, retries int) any {
	r := x.rec
	exe := map[string]any{
		"Id":           r.ExecutionArn,
		"Input":        x.input,
		"Name":         r.Name,
		"RoleArn":      x.m.cfg.roleArn,
		"StartTime":    r.StartDate.Format(isoMillis),
		"RedriveCount": json.Number(strconv.Itoa(r.RedriveCount)),
	}
	if r.RedriveCount > 0 {
		exe["RedriveTime"] = r.RedriveDate.Format(isoMillis)
	}
	return map[string]any{
		"Execution": exe,
		"State": map[string]any{
			"EnteredTime": entered.Format(isoMillis),
			"Name":        st.name,
			"RetryCount":  json.Number(strconv.Itoa(retries)),
		},
		"StateMachine": map[string]any{"Id": x.m.arn, "Name": x.m.cfg.name},
	}
}

// selectPath applies InputPath or OutputPath: null gives {}, a path that
// selects nothing is a States.Runtime error.
func selectPath(p *path, data, contextObject any) (any, *stateError) {
	if p == nil {
		return map[string]any{}, nil
	}
	v, ok := p.get(data, contextObject)
	if !ok {
		return nil, runtimeError("Invalid path '%s' : No results for path: %s", p.src, p.norm())
	}
	return v, nil
}

// norm renders p the way AWS quotes it in a path error.
func (p *path) norm() string {
	var b strings.Builder
	b.WriteString("$")
	if p.context {
		b.WriteString("$")
	}
	for _, s := range p.steps {
		b.WriteString(s.String())
	}
	return b.String()
}

// asStateError returns err as the *stateError that evaluation produces.
func asStateError(err error) *stateError {
	var serr *stateError
	if errors.As(err, &serr) {
		return serr
	}
	return runtimeError("%v", err)
}

func evalTemplate(t template, data, contextObject any) (any, *stateError) {
	if t == nil {
		return data, nil
	}
	v, err := t.eval(data, contextObject)
	if err != nil {
		return nil, asStateError(err)
	}
	return v, nil
}

func (x *execution) pass(st *state, raw any, entered time.Time) (any, *stateError) {
	co := x.contextObject(st, entered, 0)
	effective, serr := selectPath(st.inputPath, raw, co)
	if serr != nil {
		return nil, serr
	}
	if effective, serr = evalTemplate(st.parameters, effective, co); serr != nil {
		return nil, serr
	}
	if st.hasResult {
		effective = st.result
	}
	out, err := st.resultPath.apply(raw, effective)
	if err != nil {
		return nil, asStateError(err)
	}
	return selectPath(st.outputPath, out, co)
}

func (x *execution) succeed(st *state, raw any, entered time.Time) (any, *stateError) {
	co := x.contextObject(st, entered, 0)
	effective, serr := selectPath(st.inputPath, raw, co)
	if serr != nil {
		return nil, serr
	}
	return selectPath(st.outputPath, effective, co)
}

func (x *execution) choice(st *state, raw any, entered time.Time) (any, string, *stateError) {
	co := x.contextObject(st, entered, 0)
	effective, serr := selectPath(st.inputPath, raw, co)
	if serr != nil {
		return nil, "", serr
	}
	next := st.defaultNext
	for _, r := range st.choices {
		ok, err := r.match(effective, co)
		if err != nil {
			return nil, "", asStateError(err)
		}
		if ok {
			next = r.next
			break
		}
	}
	if next == "" {
		return nil, "", &stateError{name: ErrorNoChoiceMatched, cause: "No Matches!"}
	}
	out, serr := selectPath(st.outputPath, effective, co)
	return out, next, serr
}

func (x *execution) wait(ctx context.Context, st *state, raw any, entered time.Time) (
	any, *stateError) {
	co := x.contextObject(st, entered, 0)
	effective, serr := selectPath(st.inputPath, raw, co)
	if serr != nil {
		return nil, serr
	}
	seconds, serr := waitSeconds(st, effective, co)
	if serr != nil {
		return nil, serr
	}
	if x.m.sleep(ctx, seconds) != nil {
		return nil, errInterrupted
	}
	return selectPath(st.outputPath, effective, co)
}

func waitSeconds(st *state, data, contextObject any) (float64, *stateError) {
	switch st.waitKind {
	case "Seconds":
		return float64(st.seconds), nil
	case "Timestamp":
		return time.Until(st.timestamp).Seconds(), nil
	case "SecondsPath":
		v, ok := st.secondsPath.get(data, contextObject)
		n, isNumber := v.(json.Number)
		f, err := n.Float64()
		if !ok || !isNumber || err != nil || f < 0 {
			return 0, runtimeError("The SecondsPath parameter does not reference a "+
				"non-negative number: %s", st.secondsPath.src)
		}
		return f, nil
	}
	v, ok := st.timestampPath.get(data, contextObject)
	s, isString := v.(string)
	ts, err := parseTimestamp(s)
	if !ok || !isString || err != nil {
		return 0, runtimeError("The TimestampPath parameter does not reference a valid "+
			"ISO-8601 timestamp: %s", st.timestampPath.src)
	}
	return time.Until(ts).Seconds(), nil
}

func (x *execution) fail(st *state, raw any, entered time.Time) *stateError {
	co := x.contextObject(st, entered, 0)
	out := &stateError{name: st.errorName, cause: st.cause}
	for _, f := range []struct {
		e    *expr
		into *string
	}{{st.errorExpr, &out.name}, {st.causeExpr, &out.cause}} {
		if f.e == nil {
			continue
		}
		v, err := f.e.eval(raw, co)
		if err != nil {
			return asStateError(err)
		}
		s, ok := v.(string)
		if !ok {
			return runtimeError("The value of %s is not a string: %s", f.e.field, compact(v))
		}
		*f.into = s
	}
	return out
}

// sleep waits seconds, scaled by the time scale, unless ctx ends first.
func (m *Machine) sleep(ctx context.Context, seconds float64) error {
	if m.cfg.onSleep != nil {
		m.cfg.onSleep(seconds)
	}
	if m.cfg.timeScale == 0 || seconds <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(scaled(seconds, m.cfg.timeScale))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
