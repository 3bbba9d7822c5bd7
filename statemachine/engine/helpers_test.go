package engine

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"
)

const testResource = "arn:aws:lambda:us-east-1:123456789012:function:test"

// load loads def with no waiting and closes the machine when the test ends.
func load(t *testing.T, def string, handlers map[string]Handler, opts ...Option) *Machine {
	t.Helper()
	opts = append([]Option{WithTimeScale(0)}, opts...)
	m, err := Load([]byte(def), handlers, opts...)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	t.Cleanup(func() { _ = m.Close() })
	return m
}

func run(t *testing.T, m *Machine, input string) Description {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d, err := m.Run(ctx, "", json.RawMessage(input))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return d
}

// returning is a handler that records its inputs and returns result.
type returning struct {
	mu     sync.Mutex
	inputs []string
	result string
	err    error
}

func (r *returning) handle(_ context.Context, in json.RawMessage) (json.RawMessage, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.inputs = append(r.inputs, string(in))
	if r.err != nil {
		return nil, r.err
	}
	return json.RawMessage(r.result), nil
}

func (r *returning) calls() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.inputs...)
}

// failing fails its first n calls with err, then returns result.
func failing(n int, err error, result string) (Handler, func() int) {
	var mu sync.Mutex
	calls := 0
	h := func(context.Context, json.RawMessage) (json.RawMessage, error) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls <= n {
			return nil, err
		}
		return json.RawMessage(result), nil
	}
	return h, func() int { mu.Lock(); defer mu.Unlock(); return calls }
}

func jsonEqual(t *testing.T, what, got, want string) {
	t.Helper()
	if !sameJSON([]byte(got), []byte(want)) {
		t.Errorf("%s = %s, want %s", what, got, want)
	}
}

// entered lists the states an execution entered, in order.
func entered(t *testing.T, m *Machine, arn string) []string {
	t.Helper()
	events, err := m.History(arn)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range events {
		if e.StateEntered != nil {
			names = append(names, e.StateName())
		}
	}
	return names
}

func eventTypes(t *testing.T, m *Machine, arn string) []EventType {
	t.Helper()
	events, err := m.History(arn)
	if err != nil {
		t.Fatal(err)
	}
	var types []EventType
	for i, e := range events {
		if e.ID != int64(i+1) || e.PreviousEventID != int64(i) {
			t.Errorf("event %d has id %d, previous %d", i, e.ID, e.PreviousEventID)
		}
		types = append(types, e.Type)
	}
	return types
}
