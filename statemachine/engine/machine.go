package engine

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"
)

// payloadLimit is the Step Functions cap on inputs, outputs and results.
const payloadLimit = 256 * 1024

// Status is the status of an execution.
type Status string

// Execution statuses.
const (
	StatusRunning   Status = "RUNNING"
	StatusSucceeded Status = "SUCCEEDED"
	StatusFailed    Status = "FAILED"
	StatusTimedOut  Status = "TIMED_OUT"
	StatusAborted   Status = "ABORTED"
)

// RedriveStatus tells whether an execution can be redriven.
type RedriveStatus string

// Redrive statuses.
const (
	Redrivable    RedriveStatus = "REDRIVABLE"
	NotRedrivable RedriveStatus = "NOT_REDRIVABLE"
)

// RedriveFilter selects executions by whether they were ever redriven, as
// ListExecutions' redriveFilter does.
type RedriveFilter string

// Redrive filters.
const (
	Redriven    RedriveFilter = "REDRIVEN"
	NotRedriven RedriveFilter = "NOT_REDRIVEN"
)

// Description is what DescribeExecution reports. StopDate is zero while the
// execution runs; Output is set only when it succeeded.
type Description struct {
	ExecutionArn        string
	StateMachineArn     string
	Name                string
	Status              Status
	StartDate           time.Time
	StopDate            time.Time
	Input               json.RawMessage
	Output              json.RawMessage
	Error               string
	Cause               string
	RedriveCount        int
	RedriveDate         time.Time
	RedriveStatus       RedriveStatus
	RedriveStatusReason string
}

// ListFilter selects executions for [Machine.List]; zero fields select all.
type ListFilter struct {
	Status  Status
	Redrive RedriveFilter
}

// Option configures a [Machine].
type Option func(*config)

type config struct {
	name, region, account, roleArn string
	timeScale, timeoutScale        float64
	random                         func() float64
	onStatusChange                 func(StatusChange)
	store                          Store
	// onSleep, when set, sees every wait in unscaled seconds; tests use it
	// to check retry delays without sleeping.
	onSleep func(seconds float64)
}

// WithName sets the state machine's name, part of every ARN. The default
// is "local".
func WithName(name string) Option { return func(c *config) { c.name = name } }

// WithRegion sets the region in ARNs and events; the default is us-east-1.
func WithRegion(region string) Option { return func(c *config) { c.region = region } }

// WithAccount sets the account in ARNs and events; the default is
// 123456789012.
func WithAccount(account string) Option { return func(c *config) { c.account = account } }

// WithRoleArn sets $$.Execution.RoleArn and the role recorded in
// ExecutionStarted.
func WithRoleArn(arn string) Option { return func(c *config) { c.roleArn = arn } }

// WithTimeScale sets how long a second of waiting lasts, in seconds: the
// delays between retries and Wait states are multiplied by scale, so 0 does
// not wait at all and 0.001 waits a millisecond per second. The default is 1.
func WithTimeScale(scale float64) Option { return func(c *config) { c.timeScale = scale } }

// WithTimeoutScale does for TimeoutSeconds (of a Task and of the whole
// definition) what [WithTimeScale] does for waits, except that 0 disables
// the timeouts rather than making them expire at once. The default is 1.
func WithTimeoutScale(scale float64) Option {
	return func(c *config) { c.timeoutScale = scale }
}

// WithRandom sets the source of FULL jitter: a function returning values in
// [0, 1). The default is math/rand/v2's Float64.
func WithRandom(random func() float64) Option { return func(c *config) { c.random = random } }

// WithStatusChange sets a function called when an execution starts running
// (also after a redrive) and when it ends, with what EventBridge's "Step
// Functions Execution Status Change" event carries. It runs on the
// execution's goroutine before [Machine.Wait] returns, so it must not wait
// for the same execution.
func WithStatusChange(fn func(StatusChange)) Option {
	return func(c *config) { c.onStatusChange = fn }
}

// WithStore sets where executions and histories are kept; the default is a
// new [MemoryStore].
func WithStore(s Store) Option { return func(c *config) { c.store = s } }

// Machine is a loaded state machine that runs executions. Its methods are
// safe for concurrent use.
type Machine struct {
	def *definition
	cfg config
	arn string

	mu       sync.Mutex
	live     map[string]*liveExecution
	closed   bool
	runs     sync.WaitGroup // execution goroutines
	handlers sync.WaitGroup // handler goroutines, which may outlive a stopped task
}

// liveExecution is an execution whose goroutine runs.
type liveExecution struct {
	cancel context.CancelCauseFunc
	done   chan struct{}
}

// Load parses and validates an Amazon States Language definition. handlers
// maps each Task's Resource string to the function that runs it; a Resource
// without a handler is a load error, and so is every field, state type or
// intrinsic function the engine does not support.
func Load(definition []byte, handlers map[string]Handler, opts ...Option) (*Machine, error) {
	def, err := parseDefinition(definition, handlers)
	if err != nil {
		return nil, err
	}
	cfg := config{name: "local", region: "us-east-1", account: "123456789012",
		timeScale: 1, timeoutScale: 1, random: rand.Float64}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.store == nil {
		cfg.store = NewMemoryStore()
	}
	if cfg.roleArn == "" {
		cfg.roleArn = "arn:aws:iam::" + cfg.account + ":role/" + cfg.name
	}
	m := &Machine{def: def, cfg: cfg, live: map[string]*liveExecution{}}
	m.arn = "arn:aws:states:" + cfg.region + ":" + cfg.account + ":stateMachine:" + cfg.name
	return m, nil
}

// ARN returns the state machine's ARN.
func (m *Machine) ARN() string { return m.arn }

func (m *Machine) executionArn(name string) string {
	return "arn:aws:states:" + m.cfg.region + ":" + m.cfg.account + ":execution:" +
		m.cfg.name + ":" + name
}

// Start starts an execution and returns its ARN without waiting for it. An
// empty name is replaced by a UUID, empty input by {}. As for a STANDARD
// workflow, starting a name that is running with the same input returns the
// running execution, and any other reuse of a name fails with
// [ErrExecutionAlreadyExists]. ctx's values reach the handlers; its
// cancellation does not stop the execution (use [Machine.Stop]).
func (m *Machine) Start(ctx context.Context, name string, input json.RawMessage) (
	string, error) {
	if name == "" {
		name = newUUID()
	}
	if err := checkName(name); err != nil {
		return "", err
	}
	input, err := checkInput(input)
	if err != nil {
		return "", err
	}
	arn := m.executionArn(name)

	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return "", apiError(ErrMachineClosed, "the state machine is closed")
	}
	if old, err := m.cfg.store.Get(arn); err == nil {
		if old.Status == StatusRunning && sameJSON(old.Input, input) {
			return arn, nil
		}
		return "", apiError(ErrExecutionAlreadyExists, "execution already exists: %s", arn)
	}
	rec := Record{Description: Description{ExecutionArn: arn, StateMachineArn: m.arn,
		Name: name, Status: StatusRunning, StartDate: time.Now().UTC(), Input: input}}
	x := &execution{m: m, rec: rec}
	if err := x.begin(); err != nil {
		return "", err
	}
	m.launch(ctx, x, m.def.startAt, input)
	return arn, nil
}

// Run starts an execution and waits for it to end.
func (m *Machine) Run(ctx context.Context, name string, input json.RawMessage) (
	Description, error) {
	arn, err := m.Start(ctx, name, input)
	if err != nil {
		return Description{}, err
	}
	return m.Wait(ctx, arn)
}

// launch runs x from state on its own goroutine; m.mu is held.
func (m *Machine) launch(ctx context.Context, x *execution, state string, input []byte) {
	runCtx, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	stopTimer := func() bool { return false }
	if m.def.timeout > 0 && m.cfg.timeoutScale > 0 {
		d := scaled(float64(m.def.timeout), m.cfg.timeoutScale)
		timer := time.AfterFunc(d, func() { cancel(errExecutionTimedOut) })
		stopTimer = timer.Stop
	}
	x.live = &liveExecution{cancel: cancel, done: make(chan struct{})}
	m.live[x.rec.ExecutionArn] = x.live
	m.runs.Add(1)
	go func() {
		defer m.runs.Done()
		defer cancel(nil)
		defer stopTimer()
		x.run(runCtx, state, input)
	}()
}

// Wait blocks until the execution ends, or ctx does, and describes it.
func (m *Machine) Wait(ctx context.Context, arn string) (Description, error) {
	m.mu.Lock()
	l := m.live[arn]
	m.mu.Unlock()
	if l != nil {
		select {
		case <-l.done:
		case <-ctx.Done():
			return Description{}, ctx.Err()
		}
	}
	return m.Describe(arn)
}

// Describe returns the current state of an execution.
func (m *Machine) Describe(arn string) (Description, error) {
	rec, err := m.cfg.store.Get(arn)
	if err != nil {
		return Description{}, err
	}
	return describe(rec), nil
}

func describe(rec Record) Description {
	d := rec.Description
	switch d.Status {
	case StatusRunning, StatusSucceeded:
		d.RedriveStatus = NotRedrivable
		d.RedriveStatusReason = "Execution is " + string(d.Status) + " and cannot be redriven"
	default:
		d.RedriveStatus = Redrivable
	}
	return d
}

// List returns the executions that match f, the most recently started
// first.
func (m *Machine) List(f ListFilter) ([]Description, error) {
	recs, err := m.cfg.store.List()
	if err != nil {
		return nil, err
	}
	var out []Description
	for _, r := range recs {
		redriven := r.RedriveCount > 0
		switch {
		case f.Status != "" && r.Status != f.Status,
			f.Redrive == Redriven && !redriven,
			f.Redrive == NotRedriven && redriven:
			continue
		}
		out = append(out, describe(r))
	}
	slices.SortFunc(out, func(a, b Description) int {
		if c := b.StartDate.Compare(a.StartDate); c != 0 {
			return c
		}
		return strings.Compare(b.ExecutionArn, a.ExecutionArn)
	})
	return out, nil
}

// History returns the events of an execution, oldest first.
func (m *Machine) History(arn string) ([]Event, error) {
	return m.cfg.store.History(arn)
}

// stopRequest is the cancellation cause of a stopped execution.
type stopRequest struct{ error, cause string }

func (s *stopRequest) Error() string { return "engine: execution stopped" }

var errExecutionTimedOut = errors.New("engine: execution timed out")

// Stop aborts a running execution with the given error and cause and waits
// until it has ended. Stopping an execution that has ended does nothing, as
// in AWS.
func (m *Machine) Stop(arn, errorName, cause string) error {
	if _, err := m.cfg.store.Get(arn); err != nil {
		return err
	}
	m.mu.Lock()
	l := m.live[arn]
	m.mu.Unlock()
	if l != nil {
		l.cancel(&stopRequest{error: errorName, cause: cause})
		<-l.done
	}
	return nil
}

// Redrive restarts a FAILED, TIMED_OUT or ABORTED execution at the state
// that did not finish, with the input that state had, so the states that
// succeeded are not run again. It fails with [ErrExecutionNotRedrivable]
// for an execution that is running or succeeded.
func (m *Machine) Redrive(ctx context.Context, arn string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for {
		if m.closed {
			return apiError(ErrMachineClosed, "the state machine is closed")
		}
		rec, err := m.cfg.store.Get(arn)
		if err != nil {
			return err
		}
		if rec.Status == StatusRunning || rec.Status == StatusSucceeded {
			return apiError(ErrExecutionNotRedrivable, "execution is %s: %s", rec.Status, arn)
		}
		l := m.live[arn]
		if l == nil {
			return m.redrive(ctx, rec)
		}
		// The execution has recorded its end but its goroutine has not
		// finished: let it, then look again.
		m.mu.Unlock()
		<-l.done
		m.mu.Lock()
	}
}

// redrive launches rec again; m.mu is held.
func (m *Machine) redrive(ctx context.Context, rec Record) error {
	x := &execution{m: m, rec: rec}
	state, input := rec.ResumeState, rec.ResumeInput
	if state == "" {
		state, input = m.def.startAt, rec.Input
	}
	if err := x.beginRedrive(); err != nil {
		return err
	}
	m.launch(ctx, x, state, input)
	return nil
}

// Close aborts every running execution and waits for their goroutines and
// for the handlers they started. A handler that ignores its context delays
// Close until it returns.
func (m *Machine) Close() error {
	m.mu.Lock()
	m.closed = true
	lives := make([]*liveExecution, 0, len(m.live))
	for _, l := range m.live {
		lives = append(lives, l)
	}
	m.mu.Unlock()
	for _, l := range lives {
		l.cancel(&stopRequest{cause: "the state machine was closed"})
	}
	m.runs.Wait()
	m.handlers.Wait()
	return nil
}

func scaled(seconds, scale float64) time.Duration {
	return time.Duration(seconds * scale * float64(time.Second))
}

// badNameChars may not appear in an execution name.
const badNameChars = "<>{}[]?*\"#%\\^|~`$&,;:/"

// checkName applies the StartExecution rules for execution names.
func checkName(name string) error {
	if len(name) > 80 {
		return apiError(ErrInvalidName, "the name is longer than 80 characters: %q", name)
	}
	for _, r := range name {
		if r <= 0x20 || (r >= 0x7f && r <= 0x9f) || strings.ContainsRune(badNameChars, r) {
			return apiError(ErrInvalidName, "the name has a character that is not allowed: %q",
				name)
		}
	}
	return nil
}

func checkInput(input json.RawMessage) (json.RawMessage, error) {
	if len(input) == 0 {
		return json.RawMessage("{}"), nil
	}
	if len(input) > payloadLimit {
		return nil, apiError(ErrInvalidExecutionInput, "the input is over %d bytes", payloadLimit)
	}
	if _, err := decodeValue(input); err != nil {
		return nil, apiError(ErrInvalidExecutionInput, "the input is not JSON: %v", err)
	}
	return slices.Clone(input), nil
}
