// Package sfnapi serves the AWS Step Functions API over the local engine of
// package statemachine/engine, so that the real aws-sdk-go-v2 sfn client —
// and any command built on it — works against the local stack.
//
// It speaks the AWS JSON 1.0 protocol as Step Functions does: every call is a
// POST to / with the header X-Amz-Target: AWSStepFunctions.<Operation>, a
// JSON body and the content type application/x-amz-json-1.0; timestamps are
// epoch seconds. A refused call is answered with HTTP 400 and a body
// {"__type": "com.amazonaws.states#<Code>", "message": ...}, so the SDK
// returns the same typed error AWS would cause, such as
// *types.ExecutionNotRedrivable. A [Server] is an [http.Handler]; point the
// SDK at it with AWS_ENDPOINT_URL_SFN.
//
// Operations: ListStateMachines, DescribeStateMachine,
// DescribeStateMachineForExecution, ListExecutions (statusFilter,
// redriveFilter, paginated), DescribeExecution, GetExecutionHistory
// (paginated, reverseOrder, includeExecutionData), StartExecution,
// StopExecution and RedriveExecution (idempotent per clientToken).
//
// As in AWS, a FAILED, TIMED_OUT or ABORTED execution stops being redrivable
// [RedrivePeriod] after it stopped; [Server.SetClock] moves the server's clock
// so that this can be seen without waiting.
//
// Not served: versions, aliases, Map Runs, activities, tags, EXPRESS
// workflows, CreateStateMachine and UpdateStateMachine (the engine runs the
// definition it was loaded with; [Server.SetDefinition] only records what
// DescribeStateMachine reports).
package sfnapi

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/imagepipe/imagepipe/statemachine/engine"
)

// TargetPrefix starts the X-Amz-Target header of every operation.
const TargetPrefix = "AWSStepFunctions."

// ContentType is the content type of requests and responses.
const ContentType = "application/x-amz-json-1.0"

// RedrivePeriod is how long after it stopped an execution can be redriven.
const RedrivePeriod = 14 * 24 * time.Hour

// maxBodyBytes bounds a request body; StartExecution's input is at most
// 256 KiB.
const maxBodyBytes = 1 << 20

// Server serves the Step Functions API over engine machines. The zero value
// is not ready; use [New]. Its methods are safe for concurrent use.
type Server struct {
	mu       sync.Mutex
	now      func() time.Time
	machines map[string]*stateMachine
	order    []string // ARNs in the order added
	// redrives remembers each RedriveExecution's answer by client token, so
	// that an SDK retry of the same call succeeds as it does in AWS.
	redrives map[string]time.Time
}

// stateMachine is one machine served and its recorded definitions.
type stateMachine struct {
	machine   *engine.Machine
	arn       string
	name      string
	created   time.Time
	revisions []revision // oldest first
}

// revision is a definition and when it became current.
type revision struct {
	definition string
	id         string
	since      time.Time
}

// New returns a Server for machines, each served under its own ARN.
func New(machines ...*engine.Machine) *Server {
	s := &Server{now: time.Now, machines: map[string]*stateMachine{},
		redrives: map[string]time.Time{}}
	created := time.Now().UTC()
	for _, m := range machines {
		arn := m.ARN()
		if _, dup := s.machines[arn]; dup {
			continue
		}
		name := arn[strings.LastIndex(arn, ":")+1:]
		s.machines[arn] = &stateMachine{machine: m, arn: arn, name: name, created: created,
			revisions: []revision{{id: revisionID(""), since: created}}}
		s.order = append(s.order, arn)
	}
	return s
}

// SetClock sets the clock that decides whether an execution is still within
// its [RedrivePeriod]; nil restores time.Now.
func (s *Server) SetClock(now func() time.Time) {
	if now == nil {
		now = time.Now
	}
	s.mu.Lock()
	s.now = now
	s.mu.Unlock()
}

// SetDefinition records definition as the current definition of the state
// machine arn, as CreateStateMachine or UpdateStateMachine would:
// DescribeStateMachine reports it, with a revisionId that changes with the
// text, and DescribeStateMachineForExecution reports it for the executions
// started from now on while earlier executions keep the revision they
// started under. The engine keeps running the definition it was loaded with.
func (s *Server) SetDefinition(arn, definition string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sm := s.machines[arn]
	if sm == nil {
		return errors.New("sfnapi: no state machine " + arn)
	}
	now := s.now().UTC()
	if len(sm.revisions) == 1 && sm.revisions[0].definition == "" {
		// The first definition is the one the machine was created with.
		now = sm.created
		sm.revisions = nil
	}
	sm.revisions = append(sm.revisions,
		revision{definition: definition, id: revisionID(definition), since: now})
	return nil
}

func revisionID(definition string) string {
	sum := sha256.Sum256([]byte(definition))
	return hex.EncodeToString(sum[:16])
}

// current returns the newest revision; s.mu is held.
func (sm *stateMachine) current() revision { return sm.revisions[len(sm.revisions)-1] }

// revisionAt returns the revision that was current at t; s.mu is held.
func (sm *stateMachine) revisionAt(t time.Time) revision {
	r := sm.revisions[0]
	for _, next := range sm.revisions[1:] {
		if next.since.After(t) {
			break
		}
		r = next
	}
	return r
}

// operation answers one call: it decodes body and returns the response.
type operation func(s *Server, ctx context.Context, body []byte) (any, error)

var operations = map[string]operation{
	"ListStateMachines":                (*Server).listStateMachines,
	"DescribeStateMachine":             (*Server).describeStateMachine,
	"DescribeStateMachineForExecution": (*Server).describeStateMachineForExecution,
	"ListExecutions":                   (*Server).listExecutions,
	"DescribeExecution":                (*Server).describeExecution,
	"GetExecutionHistory":              (*Server).getExecutionHistory,
	"StartExecution":                   (*Server).startExecution,
	"StopExecution":                    (*Server).stopExecution,
	"RedriveExecution":                 (*Server).redriveExecution,
}

// ServeHTTP answers one AWS JSON 1.0 call.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("x-amzn-RequestId", requestID())
	if r.Method != http.MethodPost {
		writeError(w, &Error{Status: http.StatusMethodNotAllowed,
			Code: "UnknownOperationException", Message: "only POST is served"})
		return
	}
	name, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), TargetPrefix)
	op := operations[name]
	if !ok || op == nil {
		writeError(w, &Error{Status: http.StatusBadRequest, Code: "UnknownOperationException",
			Message: "unknown operation " + r.Header.Get("X-Amz-Target")})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		writeError(w, &Error{Status: http.StatusRequestEntityTooLarge,
			Code: "SerializationException", Message: err.Error()})
		return
	}
	out, err := op(s, r.Context(), body)
	if err != nil {
		writeError(w, asError(err))
		return
	}
	data, err := json.Marshal(out)
	if err != nil {
		writeError(w, &Error{Status: http.StatusInternalServerError,
			Code: "InternalServerError", Message: err.Error()})
		return
	}
	w.Header().Set("Content-Type", ContentType)
	w.Write(data)
}

func requestID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// decode reads a request body; an empty body is an empty request.
func decode(body []byte, v any) error {
	if len(body) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return &Error{Status: http.StatusBadRequest, Code: "SerializationException",
			Message: err.Error()}
	}
	return nil
}
