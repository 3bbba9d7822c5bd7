package engine

import (
	"context"
	"encoding/json"
	"errors"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// gate is a handler that blocks until it is opened or its context ends.
type gate struct {
	entered chan struct{}
	open    chan struct{}
}

func newGate() *gate { return &gate{entered: make(chan struct{}, 10), open: make(chan struct{})} }

func (g *gate) handle(ctx context.Context, in json.RawMessage) (json.RawMessage, error) {
	g.entered <- struct{}{}
	select {
	case <-g.open:
		return in, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func TestStartNames(t *testing.T) {
	g := newGate()
	m := load(t, taskDef(""), map[string]Handler{testResource: g.handle})
	ctx := t.Context()

	arn, err := m.Start(ctx, "job-1", []byte(`{"a":1}`))
	if err != nil {
		t.Fatal(err)
	}
	<-g.entered
	cases := []struct {
		name, exec, input string
		want              error
	}{
		{"same name and input while running", "job-1", `{ "a" : 1 }`, nil},
		{"same name, other input", "job-1", `{"a":2}`, ErrExecutionAlreadyExists},
		{"bad name", "a/b", `{}`, ErrInvalidName},
		{"long name", strings.Repeat("x", 81), `{}`, ErrInvalidName},
		{"bad input", "job-2", `{`, ErrInvalidExecutionInput},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := m.Start(ctx, c.exec, []byte(c.input))
			if !errors.Is(err, c.want) {
				t.Fatalf("Start error %v, want %v", err, c.want)
			}
			if c.want == nil && got != arn {
				t.Errorf("Start = %s, want the running %s", got, arn)
			}
		})
	}
	close(g.open)
	if d, _ := m.Wait(ctx, arn); d.Status != StatusSucceeded {
		t.Fatalf("status %s", d.Status)
	}
	// Once it has ended, even the same input is refused, as for STANDARD.
	if _, err := m.Start(ctx, "job-1", []byte(`{"a":1}`)); !errors.Is(err,
		ErrExecutionAlreadyExists) {
		t.Errorf("restart of an ended execution: %v", err)
	}
}

func TestGeneratedNameAndEmptyInput(t *testing.T) {
	m := load(t, `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`, nil)
	d, err := m.Run(t.Context(), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Name) != 36 || !strings.HasSuffix(d.ExecutionArn, ":execution:local:"+d.Name) {
		t.Errorf("name %q, ARN %s", d.Name, d.ExecutionArn)
	}
	jsonEqual(t, "output", string(d.Output), `{}`)
}

func TestStop(t *testing.T) {
	g := newGate()
	m := load(t, taskDef(""), map[string]Handler{testResource: g.handle})
	arn, _ := m.Start(t.Context(), "stopped", []byte(`{}`))
	<-g.entered
	if err := m.Stop(arn, "Operator", "changed my mind"); err != nil {
		t.Fatal(err)
	}
	d, _ := m.Describe(arn)
	if d.Status != StatusAborted || d.Error != "Operator" || d.Cause != "changed my mind" {
		t.Errorf("got %s %s %s", d.Status, d.Error, d.Cause)
	}
	types := eventTypes(t, m, arn)
	if types[len(types)-1] != ExecutionAborted {
		t.Errorf("history ends with %s", types[len(types)-1])
	}
	if err := m.Stop(arn, "", ""); err != nil {
		t.Errorf("stopping an ended execution: %v", err)
	}
	if err := m.Stop(arn+"x", "", ""); !errors.Is(err, ErrExecutionDoesNotExist) {
		t.Errorf("stopping a missing execution: %v", err)
	}
}

func TestListAndDescribe(t *testing.T) {
	h := func(_ context.Context, in json.RawMessage) (json.RawMessage, error) {
		if string(in) == `"fail"` {
			return nil, &TaskError{Name: "Nope"}
		}
		return in, nil
	}
	m := load(t, taskDef(""), map[string]Handler{testResource: h})
	for _, c := range []struct{ name, input string }{
		{"a", `"ok"`}, {"b", `"fail"`}, {"c", `"ok"`}, {"d", `"fail"`},
	} {
		if _, err := m.Run(t.Context(), c.name, []byte(c.input)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond) // distinct start dates
	}
	if err := m.Redrive(t.Context(), m.executionArn("b")); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Wait(t.Context(), m.executionArn("b")); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		filter ListFilter
		want   []string
	}{
		{"all, newest first", ListFilter{}, []string{"d", "c", "b", "a"}},
		{"succeeded", ListFilter{Status: StatusSucceeded}, []string{"c", "a"}},
		{"failed", ListFilter{Status: StatusFailed}, []string{"d", "b"}},
		{"redriven", ListFilter{Redrive: Redriven}, []string{"b"}},
		{"failed, not redriven", ListFilter{Status: StatusFailed, Redrive: NotRedriven},
			[]string{"d"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			list, err := m.List(c.filter)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, d := range list {
				names = append(names, d.Name)
			}
			if !slices.Equal(names, c.want) {
				t.Errorf("List = %v, want %v", names, c.want)
			}
		})
	}
	d, _ := m.Describe(m.executionArn("c"))
	if d.RedriveStatus != NotRedrivable || d.RedriveStatusReason == "" || d.StopDate.IsZero() ||
		d.StateMachineArn != m.ARN() || string(d.Input) != `"ok"` {
		t.Errorf("Describe = %+v", d)
	}
	d, _ = m.Describe(m.executionArn("b"))
	if d.RedriveCount != 1 || d.RedriveDate.IsZero() || d.Status != StatusFailed {
		t.Errorf("redriven Describe = %+v", d)
	}
	if _, err := m.Describe("arn:nope"); !errors.Is(err, ErrExecutionDoesNotExist) {
		t.Errorf("Describe of nothing: %v", err)
	}
}

func TestStatusChanges(t *testing.T) {
	var mu sync.Mutex
	var changes []StatusChange
	listen := WithStatusChange(func(c StatusChange) {
		mu.Lock()
		defer mu.Unlock()
		changes = append(changes, c)
	})
	h := &returning{err: &TaskError{Name: "Lambda.TooManyRequestsException", Cause: "slow down"}}
	m := load(t, taskDef(""), map[string]Handler{testResource: h.handle}, listen,
		WithRegion("eu-west-1"), WithAccount("111122223333"))
	d := run(t, m, `{"k":"v"}`)

	mu.Lock()
	defer mu.Unlock()
	if len(changes) != 2 || changes[0].Status != StatusRunning ||
		changes[1].Status != StatusFailed {
		t.Fatalf("changes %+v", changes)
	}
	raw, err := changes[1].EventBridgeEvent()
	if err != nil {
		t.Fatal(err)
	}
	var ev events.CloudWatchEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatalf("not a CloudWatchEvent: %v\n%s", err, raw)
	}
	if ev.Source != "aws.states" || ev.DetailType != "Step Functions Execution Status Change" ||
		ev.Region != "eu-west-1" || ev.AccountID != "111122223333" || ev.Version != "0" ||
		ev.ID == "" || !slices.Equal(ev.Resources, []string{d.ExecutionArn}) ||
		ev.Time.Unix() != d.StopDate.Unix() {
		t.Errorf("envelope %+v", ev)
	}
	var detail map[string]any
	if err := json.Unmarshal(ev.Detail, &detail); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"executionArn": d.ExecutionArn, "stateMachineArn": m.ARN(), "name": d.Name,
		"status": "FAILED", "input": `{"k":"v"}`, "output": nil,
		"error": "Lambda.TooManyRequestsException", "cause": "slow down",
		"startDate": float64(d.StartDate.UnixMilli()), "stopDate": float64(d.StopDate.UnixMilli()),
		"redriveCount": float64(0), "redriveStatus": "REDRIVABLE", "redriveDate": nil,
	}
	for k, v := range want {
		if got, ok := detail[k]; !ok || got != v {
			t.Errorf("detail %s = %v (present %v), want %v", k, got, ok, v)
		}
	}
}

func TestCloseAbortsRunningExecutions(t *testing.T) {
	g := newGate()
	m, err := Load([]byte(taskDef("")), map[string]Handler{testResource: g.handle})
	if err != nil {
		t.Fatal(err)
	}
	arn, _ := m.Start(t.Context(), "", nil)
	<-g.entered
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if d, _ := m.Describe(arn); d.Status != StatusAborted {
		t.Errorf("status after Close %s", d.Status)
	}
	if _, err := m.Start(t.Context(), "", nil); !errors.Is(err, ErrMachineClosed) {
		t.Errorf("Start after Close: %v", err)
	}
}

// Many executions at once, for the race detector.
func TestConcurrentExecutions(t *testing.T) {
	h, _ := failing(0, nil, `{"ok":true}`)
	m := load(t, strings.ReplaceAll(historyDef, "RESOURCE", testResource),
		map[string]Handler{testResource: h})
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := m.Run(t.Context(), "", []byte(`[]`))
			if err != nil || d.Status != StatusSucceeded {
				t.Errorf("Run = %v %v", d.Status, err)
			}
			_, _ = m.List(ListFilter{})
			_, _ = m.History(d.ExecutionArn)
		}()
	}
	wg.Wait()
}

// Executions, stopped ones and timed-out handlers included, leave no
// goroutine behind once the machine is closed.
func TestNoGoroutineLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	deaf := func(context.Context, json.RawMessage) (json.RawMessage, error) {
		time.Sleep(20 * time.Millisecond)
		return nil, nil
	}
	g := newGate()
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + testResource + `",
		"TimeoutSeconds":1,"Next":"G"},"G":{"Type":"Task","Resource":"gate","End":true}}}`
	m, err := Load([]byte(def), map[string]Handler{testResource: deaf, "gate": g.handle},
		WithTimeoutScale(0.001))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		if _, err := m.Run(t.Context(), "", nil); err != nil {
			t.Fatal(err)
		}
	}
	m.Close()
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after Close, %d before", n, before)
	}
}
