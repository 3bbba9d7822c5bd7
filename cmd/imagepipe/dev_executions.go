package main

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/imagepipe/imagepipe/shared/objectkey"
	"github.com/imagepipe/imagepipe/shared/s3event"
	"github.com/imagepipe/imagepipe/statemachine/engine"
)

// The executions API is the page's Step Functions console, backed by the
// engine: list, one execution's states from its history, Redrive, and a new
// execution with the same input. Every signed-in dev user sees every
// execution, as everyone with console access does.

// execView is one execution as the page shows it.
type execView struct {
	Name          string    `json:"name"`
	ExecutionArn  string    `json:"executionArn"`
	Status        string    `json:"status"`
	StartDate     time.Time `json:"startDate"`
	StopDate      time.Time `json:"stopDate,omitzero"`
	ImageID       string    `json:"imageId,omitempty"`
	UserID        string    `json:"userId,omitempty"`
	Error         string    `json:"error,omitempty"`
	Cause         string    `json:"cause,omitempty"`
	RedriveCount  int       `json:"redriveCount"`
	RedriveStatus string    `json:"redriveStatus"`
	// CurrentState is the state running now, for a RUNNING execution.
	CurrentState string `json:"currentState,omitempty"`
}

// stateView is one state of an execution's history. A redriven execution
// lists a state again for each run of it.
type stateView struct {
	Name      string          `json:"name"`
	Type      string          `json:"type"`
	Status    string          `json:"status"`
	EnteredAt time.Time       `json:"enteredAt"`
	ExitedAt  time.Time       `json:"exitedAt,omitzero"`
	Input     json.RawMessage `json:"input,omitempty"`
	Output    json.RawMessage `json:"output,omitempty"`
	Error     string          `json:"error,omitempty"`
	Cause     string          `json:"cause,omitempty"`
	// Attempts are the task's invocations; Retries is len(Attempts)-1.
	Attempts []attemptView `json:"attempts,omitempty"`
	Retries  int           `json:"retries"`
	// Redrive is set on the first state after a redrive: its number.
	Redrive int `json:"redrive,omitempty"`
}

type attemptView struct {
	StartedAt time.Time       `json:"startedAt"`
	EndedAt   time.Time       `json:"endedAt,omitzero"`
	Input     json.RawMessage `json:"input,omitempty"`
	Error     string          `json:"error,omitempty"`
	Cause     string          `json:"cause,omitempty"`
}

// Statuses of a stateView beside the execution statuses: CAUGHT is a
// state whose error a Catch handled.
const (
	stateRunning   = "RUNNING"
	stateSucceeded = "SUCCEEDED"
	stateFailed    = "FAILED"
	stateCaught    = "CAUGHT"
)

// execIndex remembers which image each execution is about: the input never
// changes, so it is parsed once.
type execIndex struct {
	mu   sync.Mutex
	keys map[string]objectkey.Original
}

func (x *execIndex) image(d engine.Description) objectkey.Original {
	x.mu.Lock()
	defer x.mu.Unlock()
	if o, ok := x.keys[d.ExecutionArn]; ok {
		return o
	}
	var o objectkey.Original
	if obj, err := s3event.Decode(d.Input); err == nil {
		o, _ = objectkey.ParseOriginal(obj.Key)
	}
	if x.keys == nil {
		x.keys = map[string]objectkey.Original{}
	}
	x.keys[d.ExecutionArn] = o
	return o
}

func (s *devServer) view(d engine.Description) execView {
	img := s.index.image(d)
	v := execView{
		Name: d.Name, ExecutionArn: d.ExecutionArn, Status: string(d.Status),
		StartDate: d.StartDate, StopDate: d.StopDate, ImageID: img.ImageID,
		UserID: img.UserID, Error: d.Error, Cause: d.Cause, RedriveCount: d.RedriveCount,
		RedriveStatus: string(d.RedriveStatus),
	}
	if d.Status == engine.StatusRunning {
		if h, err := s.p.Machine.History(d.ExecutionArn); err == nil {
			states := statesOf(h)
			if n := len(states); n > 0 && states[n-1].Status == stateRunning {
				v.CurrentState = states[n-1].Name
			}
		}
	}
	return v
}

// listExecutions answers GET /dev/executions[?imageId=&status=&limit=].
func (s *devServer) listExecutions(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	all, err := s.p.Machine.List(engine.ListFilter{Status: engine.Status(q.Get("status"))})
	if err != nil {
		devError(w, http.StatusInternalServerError, "internal_error", err.Error())
		return
	}
	limit := 200
	if n, err := strconv.Atoi(q.Get("limit")); err == nil && n > 0 && n < 10000 {
		limit = n
	}
	imageID := q.Get("imageId")
	out := []execView{}
	for _, d := range all {
		if imageID != "" && s.index.image(d).ImageID != imageID {
			continue
		}
		out = append(out, s.view(d))
		if len(out) == limit {
			break
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"executions": out, "total": len(all)})
}

// getExecution answers GET /dev/executions/{name}: the execution, its states
// and its raw history in the GetExecutionHistory shape.
func (s *devServer) getExecution(w http.ResponseWriter, r *http.Request) {
	arn, d, ok := s.execution(w, r)
	if !ok {
		return
	}
	h, err := s.p.Machine.History(arn)
	if err != nil {
		devError(w, http.StatusInternalServerError, "internal_error", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"execution": s.view(d), "input": rawJSON(string(d.Input)),
		"output": rawJSON(string(d.Output)), "states": statesOf(h), "events": h,
	})
}

// redriveExecution answers POST /dev/executions/{name}/redrive.
func (s *devServer) redriveExecution(w http.ResponseWriter, r *http.Request) {
	arn, _, ok := s.execution(w, r)
	if !ok {
		return
	}
	if err := s.p.Machine.Redrive(r.Context(), arn); err != nil {
		engineError(w, err)
		return
	}
	s.log.Info("execution redriven from the page", "executionArn", arn)
	d, _ := s.p.Machine.Describe(arn)
	writeJSON(w, http.StatusOK, map[string]any{"execution": s.view(d)})
}

// restartExecution answers POST /dev/executions/{name}/restart: a new
// execution with the same input, what the console's "New execution" with
// the old input does.
func (s *devServer) restartExecution(w http.ResponseWriter, r *http.Request) {
	arn, d, ok := s.execution(w, r)
	if !ok {
		return
	}
	newArn, err := s.p.Machine.Start(r.Context(), "", d.Input)
	if err != nil {
		engineError(w, err)
		return
	}
	s.log.Info("execution started again from the page", "executionArn", newArn,
		"from", arn)
	nd, _ := s.p.Machine.Describe(newArn)
	writeJSON(w, http.StatusCreated, map[string]any{"execution": s.view(nd)})
}

// execution resolves the {name} of a route to an execution, answering 404
// itself when there is none.
func (s *devServer) execution(w http.ResponseWriter, r *http.Request) (
	string, engine.Description, bool) {
	// An execution's ARN is its state machine's with ":execution:" and the
	// name appended, as Step Functions builds it.
	arn := strings.Replace(s.p.Machine.ARN(), ":stateMachine:", ":execution:", 1) + ":" +
		r.PathValue("name")
	d, err := s.p.Machine.Describe(arn)
	if err != nil {
		engineError(w, err)
		return "", engine.Description{}, false
	}
	return arn, d, true
}

func engineError(w http.ResponseWriter, err error) {
	var api *engine.APIError
	if !errors.As(err, &api) {
		devError(w, http.StatusInternalServerError, "internal_error", err.Error())
		return
	}
	status := http.StatusBadRequest
	switch {
	case errors.Is(err, engine.ErrExecutionDoesNotExist):
		status = http.StatusNotFound
	case errors.Is(err, engine.ErrExecutionNotRedrivable),
		errors.Is(err, engine.ErrExecutionAlreadyExists):
		status = http.StatusConflict
	case errors.Is(err, engine.ErrMachineClosed):
		status = http.StatusServiceUnavailable
	}
	devError(w, status, api.Code, api.Message)
}

// rawJSON returns s as raw JSON when it is JSON, else as a JSON string.
func rawJSON(s string) json.RawMessage {
	if s == "" {
		return nil
	}
	if json.Valid([]byte(s)) {
		return json.RawMessage(s)
	}
	raw, _ := json.Marshal(s)
	return raw
}

// statesOf folds a history into its states, in the order they ran.
func statesOf(history []engine.Event) []stateView {
	var states []stateView
	var cur *stateView
	redrive := 0
	for _, e := range history {
		t := string(e.Type)
		switch {
		case e.StateEntered != nil:
			states = append(states, stateView{
				Name: e.StateEntered.Name, Type: strings.TrimSuffix(t, "StateEntered"),
				Status: stateRunning, EnteredAt: e.Timestamp,
				Input: rawJSON(e.StateEntered.Input), Redrive: redrive,
			})
			redrive = 0
			cur = &states[len(states)-1]
			if e.Type == engine.FailStateEntered {
				cur.Status = stateFailed
			}
		case e.StateExited != nil && cur != nil:
			cur.ExitedAt, cur.Output = e.Timestamp, rawJSON(e.StateExited.Output)
			if cur.Status == stateRunning {
				cur.Status = stateSucceeded
			}
		case e.Type == engine.ExecutionRedriven && e.ExecutionRedriven != nil:
			redrive = e.ExecutionRedriven.RedriveCount
		case cur != nil:
			foldTaskEvent(cur, e)
		}
	}
	for i := range states {
		states[i].Retries = max(len(states[i].Attempts)-1, 0)
	}
	return states
}

// foldTaskEvent adds a task event, or the execution's end, to the state
// that is running.
func foldTaskEvent(cur *stateView, e engine.Event) {
	last := func() *attemptView {
		if len(cur.Attempts) == 0 {
			cur.Attempts = append(cur.Attempts, attemptView{StartedAt: e.Timestamp})
		}
		return &cur.Attempts[len(cur.Attempts)-1]
	}
	fail := func(name, cause string) {
		a := last()
		a.EndedAt, a.Error, a.Cause = e.Timestamp, name, cause
		// A Catch that handles it exits the state next; until then the
		// error is the state's.
		cur.Error, cur.Cause, cur.Status = name, cause, stateCaught
	}
	switch {
	case e.LambdaScheduled != nil:
		cur.Attempts = append(cur.Attempts, attemptView{StartedAt: e.Timestamp,
			Input: rawJSON(e.LambdaScheduled.Input)})
		cur.Status, cur.Error, cur.Cause = stateRunning, "", ""
	case e.TaskScheduled != nil:
		cur.Attempts = append(cur.Attempts, attemptView{StartedAt: e.Timestamp,
			Input: rawJSON(e.TaskScheduled.Parameters)})
		cur.Status, cur.Error, cur.Cause = stateRunning, "", ""
	case e.Type == engine.LambdaFunctionSucceeded || e.TaskSucceeded != nil:
		last().EndedAt = e.Timestamp
	case e.LambdaFailed != nil:
		fail(e.LambdaFailed.Error, e.LambdaFailed.Cause)
	case e.LambdaTimedOut != nil:
		fail(e.LambdaTimedOut.Error, e.LambdaTimedOut.Cause)
	case e.TaskFailed != nil:
		fail(e.TaskFailed.Error, e.TaskFailed.Cause)
	case e.TaskTimedOut != nil:
		fail(e.TaskTimedOut.Error, e.TaskTimedOut.Cause)
	case e.ExecutionFailed != nil, e.ExecutionAborted != nil, e.ExecutionTimedOut != nil:
		if !cur.ExitedAt.IsZero() {
			return
		}
		d := e.ExecutionFailed
		if d == nil {
			d = e.ExecutionAborted
		}
		if d == nil {
			d = e.ExecutionTimedOut
		}
		cur.Status = stateFailed
		// A Fail state, or a stop while the task ran, has no error of its
		// own: the execution's is the state's.
		if cur.Error == "" {
			cur.Error, cur.Cause = d.Error, d.Cause
		}
	}
}
