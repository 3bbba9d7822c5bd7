package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/imagepipe/imagepipe/shared/steperr"
	"github.com/imagepipe/imagepipe/statemachine"
)

// pipelineARNs are fake Lambda ARNs for the project's definition.
var pipelineARNs = map[string]string{
	statemachine.FetchFunction:   "arn:aws:lambda:eu-west-1:123456789012:function:fetch",
	statemachine.ResizeFunction:  "arn:aws:lambda:eu-west-1:123456789012:function:resize",
	statemachine.PersistFunction: "arn:aws:lambda:eu-west-1:123456789012:function:persist",
	statemachine.NotifyFunction:  "arn:aws:lambda:eu-west-1:123456789012:function:notify",
}

const pipeInput = `[{"messageId":"m-1","body":"{\"Records\":[{\"s3\":{\"object\":{\"key\":` +
	`\"user-uploads/u-1/img-1.jpg\"}}}]}"}]`

// stubs are the step Lambdas of the pipeline with injectable failures. A
// step's failure function, when set, is asked on every call whether (and
// how) to fail; calls counts every call.
type stubs struct {
	mu    sync.Mutex
	calls map[string]int
	fail  map[string]func(call int) error
	seen  map[string][]string
}

func newStubs(fail map[string]func(call int) error) *stubs {
	return &stubs{calls: map[string]int{}, fail: fail, seen: map[string][]string{}}
}

func (s *stubs) handlers() map[string]Handler {
	results := map[string]func(in map[string]any) any{
		statemachine.FetchFunction: func(map[string]any) any {
			return map[string]any{"bucket": "originals", "key": "user-uploads/u-1/img-1.jpg",
				"imageId": "img-1", "userId": "u-1", "format": "jpeg"}
		},
		statemachine.ResizeFunction: func(map[string]any) any {
			return map[string]any{"primary": "processed/img-1.jpg"}
		},
		statemachine.PersistFunction: persistResult,
		statemachine.NotifyFunction: func(map[string]any) any {
			return map[string]any{"messageId": "sns-1"}
		},
	}
	out := map[string]Handler{}
	for name, result := range results {
		out[pipelineARNs[name]] = s.stub(name, result)
	}
	return out
}

func (s *stubs) stub(name string, result func(map[string]any) any) Handler {
	return func(_ context.Context, in json.RawMessage) (json.RawMessage, error) {
		s.mu.Lock()
		s.calls[name]++
		call := s.calls[name]
		s.seen[name] = append(s.seen[name], string(in))
		fail := s.fail[name]
		s.mu.Unlock()
		if fail != nil {
			if err := fail(call); err != nil {
				return nil, err
			}
		}
		var input map[string]any
		if err := json.Unmarshal(in, &input); err != nil {
			return nil, err
		}
		return json.Marshal(result(input))
	}
}

// persistResult is the item persist writes: DONE, or FAILED with the
// rejection's message taken from the Catch's error output.
func persistResult(in map[string]any) any {
	item := map[string]any{"imageId": "img-1", "status": in["status"]}
	if e, ok := in["error"].(map[string]any); ok {
		var cause struct{ ErrorMessage string }
		_ = json.Unmarshal([]byte(e["Cause"].(string)), &cause)
		item["reason"] = cause.ErrorMessage
	}
	return item
}

func (s *stubs) count(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[name]
}

func always(err error) func(int) error { return func(int) error { return err } }

func firstN(n int, err error) func(int) error {
	return func(call int) error {
		if call <= n {
			return err
		}
		return nil
	}
}

func loadPipeline(t *testing.T, s *stubs, opts ...Option) *Machine {
	t.Helper()
	def, err := statemachine.Render(pipelineARNs)
	if err != nil {
		t.Fatal(err)
	}
	return load(t, def, s.handlers(), opts...)
}

func TestProjectDefinition(t *testing.T) {
	serviceException := &TaskError{Name: "Lambda.ServiceException", Cause: "503"}
	cases := []struct {
		name       string
		fail       map[string]func(int) error
		wantStatus Status
		wantStates []string
		wantOutput string
		wantError  string
		wantCause  string
		wantCalls  map[string]int
		wantWaits  []float64
	}{{
		name:       "happy",
		wantStatus: StatusSucceeded,
		wantStates: []string{"Receive", "Fetch", "Resize", "Persist", "Notify"},
		wantOutput: `{"imageId":"img-1","status":"DONE"}`,
		wantCalls: map[string]int{statemachine.FetchFunction: 1,
			statemachine.ResizeFunction: 1, statemachine.PersistFunction: 1,
			statemachine.NotifyFunction: 1},
	}, {
		name: "rejected",
		fail: map[string]func(int) error{
			statemachine.FetchFunction: always(steperr.Rejectf("not an image")),
		},
		wantStatus: StatusFailed,
		wantStates: []string{"Receive", "Fetch", "RecordRejection", "NotifyRejection",
			"Rejected"},
		wantError: "ImageRejected",
		wantCause: "not an image",
		wantCalls: map[string]int{statemachine.FetchFunction: 1,
			statemachine.ResizeFunction: 0, statemachine.PersistFunction: 1,
			statemachine.NotifyFunction: 1},
	}, {
		name: "rejected by resize",
		fail: map[string]func(int) error{
			statemachine.ResizeFunction: always(steperr.Rejectf("truncated JPEG")),
		},
		wantStatus: StatusFailed,
		wantStates: []string{"Receive", "Fetch", "Resize", "RecordRejection",
			"NotifyRejection", "Rejected"},
		wantError: "ImageRejected",
		wantCause: "truncated JPEG",
	}, {
		name: "retried",
		fail: map[string]func(int) error{
			statemachine.ResizeFunction: firstN(3, serviceException),
		},
		wantStatus: StatusSucceeded,
		wantStates: []string{"Receive", "Fetch", "Resize", "Persist", "Notify"},
		wantOutput: `{"imageId":"img-1","status":"DONE"}`,
		wantCalls:  map[string]int{statemachine.ResizeFunction: 4},
		// IntervalSeconds 2, BackoffRate 2, FULL jitter at 0.5.
		wantWaits: []float64{1, 2, 4},
	}, {
		name: "exhausted",
		fail: map[string]func(int) error{
			statemachine.PersistFunction: always(steperr.Unavailable("dynamodb", "PutItem",
				context.DeadlineExceeded)),
		},
		wantStatus: StatusFailed,
		wantStates: []string{"Receive", "Fetch", "Resize", "Persist"},
		wantError:  "DependencyUnavailable",
		wantCause: `{"errorMessage":"dynamodb PutItem: context deadline exceeded",` +
			`"errorType":"DependencyUnavailable"}`,
		wantCalls: map[string]int{statemachine.PersistFunction: 7,
			statemachine.NotifyFunction: 0},
		// 2, 4, 8, 16, 32, then capped at MaxDelaySeconds 60; halved by jitter.
		wantWaits: []float64{1, 2, 4, 8, 16, 30},
	}, {
		name: "a wrapped error is not retried",
		fail: map[string]func(int) error{
			statemachine.NotifyFunction: always(wrap(steperr.Unavailable("sns", "Publish",
				context.Canceled))),
		},
		wantStatus: StatusFailed,
		wantStates: []string{"Receive", "Fetch", "Resize", "Persist", "Notify"},
		wantError:  "wrapError",
		wantCalls:  map[string]int{statemachine.NotifyFunction: 1},
	}, {
		name: "panic retried once",
		fail: map[string]func(int) error{
			statemachine.FetchFunction: func(int) error { panic("nil map") },
		},
		wantStatus: StatusFailed,
		wantStates: []string{"Receive", "Fetch"},
		wantError:  ErrorLambdaUnknown,
		wantCalls:  map[string]int{statemachine.FetchFunction: 2},
		wantWaits:  []float64{2.5},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newStubs(c.fail)
			var w sleeps
			m := loadPipeline(t, s, w.option(), WithRandom(func() float64 { return 0.5 }))
			d := run(t, m, pipeInput)
			if d.Status != c.wantStatus || d.Error != c.wantError ||
				(c.wantCause != "" && d.Cause != c.wantCause) {
				t.Errorf("got %s %q %q, want %s %q %q", d.Status, d.Error, d.Cause,
					c.wantStatus, c.wantError, c.wantCause)
			}
			if got := entered(t, m, d.ExecutionArn); !slices.Equal(got, c.wantStates) {
				t.Errorf("states %v, want %v", got, c.wantStates)
			}
			if c.wantOutput != "" {
				jsonEqual(t, "output", string(d.Output), c.wantOutput)
			}
			for name, n := range c.wantCalls {
				if got := s.count(name); got != n {
					t.Errorf("%s called %d times, want %d", name, got, n)
				}
			}
			if got := w.get(); !slices.Equal(got, c.wantWaits) {
				t.Errorf("waits %v, want %v", got, c.wantWaits)
			}
		})
	}
}

func wrap(err error) error { return fmt.Errorf("notify: %w", err) }

func TestProjectDefinitionFetchInput(t *testing.T) {
	s := newStubs(nil)
	m := loadPipeline(t, s)
	d := run(t, m, pipeInput)
	got := s.seen[statemachine.FetchFunction][0]
	jsonEqual(t, "fetch input", got, `{"records":`+pipeInput+`,"executionArn":"`+
		d.ExecutionArn+`"}`)
}

func TestProjectDefinitionTimeout(t *testing.T) {
	s := newStubs(nil)
	handlers := s.handlers()
	handlers[pipelineARNs[statemachine.FetchFunction]] = func(ctx context.Context,
		_ json.RawMessage) (json.RawMessage, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	def, _ := statemachine.Render(pipelineARNs)
	m := load(t, def, handlers, WithTimeoutScale(0.001))
	d := run(t, m, pipeInput)
	if d.Status != StatusFailed || d.Error != ErrorTimeout {
		t.Errorf("got %s %s, want FAILED States.Timeout", d.Status, d.Error)
	}
	timedOut := 0
	for _, ty := range eventTypes(t, m, d.ExecutionArn) {
		if ty == LambdaFunctionTimedOut {
			timedOut++
		}
	}
	if timedOut != 2 {
		t.Errorf("%d timeouts, want 2 (one retry)", timedOut)
	}
}

// After the retries are spent the execution fails at the state, so a
// redrive resumes there and ends DONE without running Fetch and Resize
// again.
func TestProjectDefinitionRedrive(t *testing.T) {
	var mu sync.Mutex
	broken := true
	s := newStubs(map[string]func(int) error{
		statemachine.PersistFunction: func(int) error {
			mu.Lock()
			defer mu.Unlock()
			if broken {
				return steperr.Unavailable("dynamodb", "PutItem", context.DeadlineExceeded)
			}
			return nil
		},
	})
	m := loadPipeline(t, s)
	d := run(t, m, pipeInput)
	if d.Status != StatusFailed {
		t.Fatalf("status %s", d.Status)
	}
	mu.Lock()
	broken = false
	mu.Unlock()
	if err := m.Redrive(t.Context(), d.ExecutionArn); err != nil {
		t.Fatal(err)
	}
	d, _ = m.Wait(t.Context(), d.ExecutionArn)
	if d.Status != StatusSucceeded || d.RedriveCount != 1 {
		t.Fatalf("after redrive %s, redriveCount %d", d.Status, d.RedriveCount)
	}
	jsonEqual(t, "output", string(d.Output), `{"imageId":"img-1","status":"DONE"}`)
	want := []string{"Receive", "Fetch", "Resize", "Persist", "Persist", "Notify"}
	if got := entered(t, m, d.ExecutionArn); !slices.Equal(got, want) {
		t.Errorf("states %v, want %v", got, want)
	}
	if s.count(statemachine.FetchFunction) != 1 || s.count(statemachine.ResizeFunction) != 1 {
		t.Errorf("Fetch ran %d times, Resize %d", s.count(statemachine.FetchFunction),
			s.count(statemachine.ResizeFunction))
	}
}
