package engine

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
)

// A redrive resumes at the state that failed, with its input, and does not
// run the states that succeeded; the Retry counters start again.
func TestRedrive(t *testing.T) {
	const (
		first  = "arn:aws:lambda:us-east-1:123456789012:function:first"
		second = "arn:aws:lambda:us-east-1:123456789012:function:second"
	)
	def := `{"StartAt":"Wrap","States":{
		"Wrap":{"Type":"Pass","Parameters":{"in.$":"$"},"Next":"First"},
		"First":{"Type":"Task","Resource":"` + first + `","ResultPath":"$.first","Next":"Second"},
		"Second":{"Type":"Task","Resource":"` + second + `","ResultPath":"$.second",
			"Retry":[{"ErrorEquals":["Flaky"],"MaxAttempts":1}],"End":true}}}`
	var firstCalls, secondCalls atomic.Int32
	var broken atomic.Bool
	broken.Store(true)
	handlers := map[string]Handler{
		first: func(context.Context, json.RawMessage) (json.RawMessage, error) {
			return json.RawMessage(`{"n":` + string(rune('0'+firstCalls.Add(1))) + `}`), nil
		},
		second: func(_ context.Context, in json.RawMessage) (json.RawMessage, error) {
			n := secondCalls.Add(1)
			// Fails twice in the first run; in the redrive it fails once and
			// then succeeds on its one retry.
			if broken.Load() || n == 3 {
				return nil, &TaskError{Name: "Flaky", Cause: "try again"}
			}
			return in, nil
		},
	}
	m := load(t, def, handlers)
	d := run(t, m, `{"x":1}`)
	if d.Status != StatusFailed || d.Error != "Flaky" || secondCalls.Load() != 2 {
		t.Fatalf("first run: %s %s after %d calls", d.Status, d.Error, secondCalls.Load())
	}
	before := len(eventTypes(t, m, d.ExecutionArn))

	broken.Store(false)
	if err := m.Redrive(t.Context(), d.ExecutionArn); err != nil {
		t.Fatal(err)
	}
	d, err := m.Wait(t.Context(), d.ExecutionArn)
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != StatusSucceeded || d.RedriveCount != 1 || d.Error != "" {
		t.Fatalf("after redrive: %+v", d)
	}
	if firstCalls.Load() != 1 || secondCalls.Load() != 4 {
		t.Errorf("First ran %d times, Second %d; want 1 and 4", firstCalls.Load(),
			secondCalls.Load())
	}
	want := `{"in":{"x":1},"first":{"n":1},"second":{"in":{"x":1},"first":{"n":1}}}`
	jsonEqual(t, "output", string(d.Output), want)

	events, _ := m.History(d.ExecutionArn)
	redriven := events[before]
	if redriven.Type != ExecutionRedriven || redriven.ExecutionRedriven.RedriveCount != 1 ||
		redriven.ID != int64(before+1) {
		t.Errorf("event after the failure: %+v", redriven)
	}
	got := entered(t, m, d.ExecutionArn)
	if !slices.Equal(got, []string{"Wrap", "First", "Second", "Second"}) {
		t.Errorf("states %v", got)
	}
}

func TestRedriveRefused(t *testing.T) {
	g := newGate()
	m := load(t, taskDef(""), map[string]Handler{testResource: g.handle})
	arn, _ := m.Start(t.Context(), "running", []byte(`{}`))
	<-g.entered
	if err := m.Redrive(t.Context(), arn); !errors.Is(err, ErrExecutionNotRedrivable) {
		t.Errorf("redrive of a running execution: %v", err)
	}
	close(g.open)
	if d, _ := m.Wait(t.Context(), arn); d.Status != StatusSucceeded {
		t.Fatalf("status %s", d.Status)
	}
	if err := m.Redrive(t.Context(), arn); !errors.Is(err, ErrExecutionNotRedrivable) {
		t.Errorf("redrive of a succeeded execution: %v", err)
	}
	if err := m.Redrive(t.Context(), arn+"x"); !errors.Is(err, ErrExecutionDoesNotExist) {
		t.Errorf("redrive of nothing: %v", err)
	}
}

// An aborted execution resumes at the task that was running.
func TestRedriveAborted(t *testing.T) {
	g := newGate()
	def := `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"v":1},"Next":"T"},
		"T":{"Type":"Task","Resource":"` + testResource + `","End":true}}}`
	m := load(t, def, map[string]Handler{testResource: g.handle})
	arn, _ := m.Start(t.Context(), "", nil)
	<-g.entered
	_ = m.Stop(arn, "", "")
	close(g.open)
	if err := m.Redrive(t.Context(), arn); err != nil {
		t.Fatal(err)
	}
	d, _ := m.Wait(t.Context(), arn)
	if d.Status != StatusSucceeded || !slices.Equal(entered(t, m, arn), []string{"P", "T", "T"}) {
		t.Errorf("status %s, states %v", d.Status, entered(t, m, arn))
	}
	jsonEqual(t, "output", string(d.Output), `{"v":1}`)
}

// The executions live in the Store, so a machine loaded later over the same
// store (as after a restart) describes and redrives them.
func TestStoreOutlivesMachine(t *testing.T) {
	store := NewMemoryStore()
	h, _ := failing(1, &TaskError{Name: "Down"}, `{"ok":true}`)
	handlers := map[string]Handler{testResource: h}
	first := load(t, taskDef(""), handlers, WithStore(store))
	d := run(t, first, `{}`)
	if d.Status != StatusFailed {
		t.Fatalf("status %s", d.Status)
	}
	_ = first.Close()

	second := load(t, taskDef(""), handlers, WithStore(store))
	if err := second.Redrive(t.Context(), d.ExecutionArn); err != nil {
		t.Fatal(err)
	}
	d, _ = second.Wait(t.Context(), d.ExecutionArn)
	if d.Status != StatusSucceeded || d.RedriveCount != 1 {
		t.Errorf("after redrive %s, redriveCount %d", d.Status, d.RedriveCount)
	}
}
