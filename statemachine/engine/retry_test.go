package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRetrierDelay(t *testing.T) {
	cases := []struct {
		name   string
		r      retrier
		random float64
		want   []float64
	}{
		{"defaults", retrier{interval: 1, backoffRate: 2}, 0, []float64{1, 2, 4, 8}},
		{"rate 1 keeps the interval", retrier{interval: 3, backoffRate: 1}, 0,
			[]float64{3, 3, 3}},
		{"fractional rate", retrier{interval: 2, backoffRate: 1.5}, 0,
			[]float64{2, 3, 4.5, 6.75}},
		{"MaxDelaySeconds caps", retrier{interval: 2, backoffRate: 2, maxDelay: 60}, 0,
			[]float64{2, 4, 8, 16, 32, 60, 60}},
		{"FULL jitter scales the capped delay",
			retrier{interval: 2, backoffRate: 2, maxDelay: 60, fullJitter: true}, 0.5,
			[]float64{1, 2, 4, 8, 16, 30, 30}},
		{"FULL jitter lower bound", retrier{interval: 5, backoffRate: 2, fullJitter: true}, 0,
			[]float64{0, 0}},
		{"FULL jitter upper bound",
			retrier{interval: 5, backoffRate: 2, maxDelay: 30, fullJitter: true}, 0.999999,
			[]float64{5 * 0.999999, 10 * 0.999999, 20 * 0.999999, 30 * 0.999999}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for i, want := range c.want {
				got := c.r.delay(i, func() float64 { return c.random })
				if diff := got - want; diff > 1e-9 || diff < -1e-9 {
					t.Errorf("delay(%d) = %v, want %v", i, got, want)
				}
			}
		})
	}
}

// sleeps records the waits of a machine, unscaled.
type sleeps struct {
	mu sync.Mutex
	s  []float64
}

func (s *sleeps) option() Option {
	return func(c *config) {
		c.onSleep = func(d float64) { s.mu.Lock(); s.s = append(s.s, d); s.mu.Unlock() }
	}
}

func (s *sleeps) get() []float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.s)
}

// The example of the AWS guide: four failures ErrorA, ErrorB, ErrorC,
// ErrorB. The first two use the first retrier (waits 1 and 2), the third the
// second (5), and the fourth finds the first retrier spent, so the Catch
// takes it although the second retrier has attempts left.
func TestRetriersCountTheirOwnAttempts(t *testing.T) {
	def := `{"StartAt":"X","States":{
		"X":{"Type":"Task","Resource":"` + testResource + `","Next":"Y",
			"Retry":[{"ErrorEquals":["ErrorA","ErrorB"],"IntervalSeconds":1,"BackoffRate":2,
				"MaxAttempts":2},{"ErrorEquals":["ErrorC"],"IntervalSeconds":5}],
			"Catch":[{"ErrorEquals":["States.ALL"],"Next":"Z"}]},
		"Y":{"Type":"Succeed"},
		"Z":{"Type":"Pass","End":true}}}`
	names := []string{"ErrorA", "ErrorB", "ErrorC", "ErrorB", "ErrorA"}
	var mu sync.Mutex
	calls := 0
	h := func(context.Context, json.RawMessage) (json.RawMessage, error) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		return nil, &TaskError{Name: names[calls-1], Cause: "failure"}
	}
	var s sleeps
	m := load(t, def, map[string]Handler{testResource: h}, s.option())
	d := run(t, m, `{}`)
	if d.Status != StatusSucceeded {
		t.Fatalf("status %s %s", d.Status, d.Error)
	}
	if got := entered(t, m, d.ExecutionArn); !slices.Equal(got, []string{"X", "Z"}) {
		t.Errorf("states %v, want [X Z]", got)
	}
	if calls != 4 {
		t.Errorf("%d attempts, want 4", calls)
	}
	if got := s.get(); !slices.Equal(got, []float64{1, 2, 5}) {
		t.Errorf("waits %v, want [1 2 5]", got)
	}
	jsonEqual(t, "output", string(d.Output), `{"Error":"ErrorB","Cause":"failure"}`)
}

func TestRetryFields(t *testing.T) {
	cases := []struct {
		name      string
		retry     string
		failures  int
		random    float64
		wantCalls int
		wantWaits []float64
		want      Status
	}{
		{"defaults: 3 attempts, 1s doubling", `{"ErrorEquals":["States.ALL"]}`, 5, 0,
			4, []float64{1, 2, 4}, StatusFailed},
		{"MaxAttempts 0 never retries", `{"ErrorEquals":["States.ALL"],"MaxAttempts":0}`,
			1, 0, 1, nil, StatusFailed},
		{"recovers within the attempts",
			`{"ErrorEquals":["Boom"],"IntervalSeconds":2,"MaxAttempts":6,"MaxDelaySeconds":5}`,
			4, 0, 5, []float64{2, 4, 5, 5}, StatusSucceeded},
		{"FULL jitter uses the random source",
			`{"ErrorEquals":["Boom"],"IntervalSeconds":4,"JitterStrategy":"FULL"}`,
			2, 0.25, 3, []float64{1, 2}, StatusSucceeded},
		{"JitterStrategy NONE", `{"ErrorEquals":["Boom"],"JitterStrategy":"NONE"}`,
			1, 0.25, 2, []float64{1}, StatusSucceeded},
		{"States.TaskFailed matches a task error",
			`{"ErrorEquals":["States.TaskFailed"],"BackoffRate":1.5,"IntervalSeconds":2}`,
			2, 0, 3, []float64{2, 3}, StatusSucceeded},
		{"another name does not match", `{"ErrorEquals":["Other"]}`, 1, 0, 1, nil,
			StatusFailed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h, calls := failing(c.failures, &TaskError{Name: "Boom"}, `{"done":true}`)
			var s sleeps
			m := load(t, taskDef(`"Retry":[`+c.retry+`]`), map[string]Handler{testResource: h},
				s.option(), WithRandom(func() float64 { return c.random }))
			d := run(t, m, `{}`)
			if d.Status != c.want {
				t.Errorf("status %s (%s), want %s", d.Status, d.Error, c.want)
			}
			if calls() != c.wantCalls {
				t.Errorf("%d calls, want %d", calls(), c.wantCalls)
			}
			if got := s.get(); !slices.Equal(got, c.wantWaits) {
				t.Errorf("waits %v, want %v", got, c.wantWaits)
			}
		})
	}
}

// WithTimeScale makes the waits real but short.
func TestTimeScaleSleeps(t *testing.T) {
	h, _ := failing(2, &TaskError{Name: "Boom"}, `{}`)
	m, err := Load([]byte(taskDef(`"Retry":[{"ErrorEquals":["Boom"],"IntervalSeconds":10}]`)),
		map[string]Handler{testResource: h}, WithTimeScale(0.001))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	start := time.Now()
	d := run(t, m, `{}`)
	if d.Status != StatusSucceeded {
		t.Fatalf("status %s", d.Status)
	}
	// 10 s + 20 s at 1 ms per second.
	if el := time.Since(start); el < 30*time.Millisecond || el > 5*time.Second {
		t.Errorf("took %v, want about 30ms", el)
	}
}

func TestCatch(t *testing.T) {
	cases := []struct {
		name, catch, want string
		wantState         string
	}{
		{"ResultPath defaults to $", `{"ErrorEquals":["Boom"],"Next":"C"}`,
			`{"Error":"Boom","Cause":"it broke"}`, "C"},
		{"ResultPath into the input", `{"ErrorEquals":["Boom"],"ResultPath":"$.error","Next":"C"}`,
			`{"in":1,"error":{"Error":"Boom","Cause":"it broke"}}`, "C"},
		{"ResultPath null keeps the input",
			`{"ErrorEquals":["Boom"],"ResultPath":null,"Next":"C"}`, `{"in":1}`, "C"},
		{"first matching catcher wins",
			`{"ErrorEquals":["Other"],"Next":"D"},{"ErrorEquals":["States.TaskFailed"],"Next":"C"},
			{"ErrorEquals":["States.ALL"],"Next":"D"}`,
			`{"Error":"Boom","Cause":"it broke"}`, "C"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			def := `{"StartAt":"T","States":{
				"T":{"Type":"Task","Resource":"` + testResource + `","End":true,
					"OutputPath":"$.never","Catch":[` + c.catch + `]},
				"C":{"Type":"Pass","End":true},"D":{"Type":"Pass","End":true}}}`
			h := &returning{err: &TaskError{Name: "Boom", Cause: "it broke"}}
			m := load(t, def, map[string]Handler{testResource: h.handle})
			d := run(t, m, `{"in":1}`)
			if d.Status != StatusSucceeded {
				t.Fatalf("status %s %s %s", d.Status, d.Error, d.Cause)
			}
			jsonEqual(t, "output", string(d.Output), c.want)
			if got := entered(t, m, d.ExecutionArn); got[1] != c.wantState {
				t.Errorf("states %v, want %s second", got, c.wantState)
			}
		})
	}
}

type valueError struct{ code int }

func (e valueError) Error() string { return fmt.Sprintf("code %d", e.code) }

type ImageRejected struct{ Reason string }

func (e *ImageRejected) Error() string { return e.Reason }

// Error names follow aws-lambda-go: the Go type name of the returned error.
func TestErrorNames(t *testing.T) {
	cases := []struct {
		name      string
		err       error
		wantError string
		wantCause string
	}{
		{"pointer type", &ImageRejected{Reason: "not an image"}, "ImageRejected",
			`{"errorMessage":"not an image","errorType":"ImageRejected"}`},
		{"value type", valueError{3}, "valueError",
			`{"errorMessage":"code 3","errorType":"valueError"}`},
		{"errors.New", errors.New("plain"), "errorString",
			`{"errorMessage":"plain","errorType":"errorString"}`},
		{"wrapped with %w", fmt.Errorf("ctx: %w", &ImageRejected{Reason: "x"}), "wrapError",
			`{"errorMessage":"ctx: x","errorType":"wrapError"}`},
		{"TaskError", &TaskError{Name: "Lambda.ServiceException", Cause: "503"},
			"Lambda.ServiceException", "503"},
		{"wrapped TaskError", fmt.Errorf("x: %w", &TaskError{Name: "Lambda.SdkClientException"}),
			"Lambda.SdkClientException", ""},
		{"HTML is escaped as Lambda does", errors.New("<b>"), "errorString",
			`{"errorMessage":"\u003cb\u003e","errorType":"errorString"}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := &returning{err: c.err}
			d := run(t, load(t, taskDef(""), map[string]Handler{testResource: h.handle}), `{}`)
			if d.Status != StatusFailed || d.Error != c.wantError || d.Cause != c.wantCause {
				t.Errorf("got %s %q %q, want FAILED %q %q", d.Status, d.Error, d.Cause,
					c.wantError, c.wantCause)
			}
		})
	}
}

func TestPanicIsLambdaUnknown(t *testing.T) {
	calls := 0
	h := func(context.Context, json.RawMessage) (json.RawMessage, error) {
		calls++
		panic("boom")
	}
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + testResource + `",
		"End":true,"Retry":[{"ErrorEquals":["Lambda.Unknown"],"MaxAttempts":1}],
		"Catch":[{"ErrorEquals":["Lambda.Unknown"],"Next":"C"}]},"C":{"Type":"Succeed"}}}`
	d := run(t, load(t, def, map[string]Handler{testResource: h}), `{}`)
	if d.Status != StatusSucceeded || calls != 2 {
		t.Fatalf("status %s after %d calls, want caught after 2", d.Status, calls)
	}
	var out struct{ Error, Cause string }
	_ = json.Unmarshal(d.Output, &out)
	if out.Error != ErrorLambdaUnknown || !strings.Contains(out.Cause, "boom") {
		t.Errorf("error output %s", d.Output)
	}
}

func TestTaskTimeout(t *testing.T) {
	blocking := func(ctx context.Context, _ json.RawMessage) (json.RawMessage, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	// A handler that ignores its context still times out.
	deaf := func(context.Context, json.RawMessage) (json.RawMessage, error) {
		time.Sleep(100 * time.Millisecond)
		return json.RawMessage(`{}`), nil
	}
	cases := []struct {
		name    string
		h       Handler
		catch   string
		want    Status
		wantErr string
	}{
		{"fails with States.Timeout", blocking, "", StatusFailed, ErrorTimeout},
		{"ignored context", deaf, "", StatusFailed, ErrorTimeout},
		{"States.TaskFailed does not catch it", blocking,
			`,"Catch":[{"ErrorEquals":["States.TaskFailed"],"Next":"C"}]`, StatusFailed,
			ErrorTimeout},
		{"States.Timeout catches it", blocking,
			`,"Catch":[{"ErrorEquals":["States.Timeout"],"Next":"C"}]`, StatusSucceeded, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + testResource +
				`","End":true,"TimeoutSeconds":5` + c.catch + `},"C":{"Type":"Succeed"}}}`
			m := load(t, def, map[string]Handler{testResource: c.h}, WithTimeoutScale(0.002))
			d := run(t, m, `{}`)
			if d.Status != c.want || d.Error != c.wantErr {
				t.Errorf("got %s %q, want %s %q", d.Status, d.Error, c.want, c.wantErr)
			}
			types := eventTypes(t, m, d.ExecutionArn)
			if !slices.Contains(types, LambdaFunctionTimedOut) {
				t.Errorf("no LambdaFunctionTimedOut in %v", types)
			}
		})
	}
}

func TestHandlerSeesTaskInfoAndDeadline(t *testing.T) {
	var got TaskInfo
	var hasDeadline bool
	h := func(ctx context.Context, _ json.RawMessage) (json.RawMessage, error) {
		got, _ = TaskInfoFromContext(ctx)
		_, hasDeadline = ctx.Deadline()
		return nil, nil
	}
	m := load(t, taskDef(`"TimeoutSeconds":30`), map[string]Handler{testResource: h})
	d := run(t, m, `{}`)
	if got.ExecutionArn != d.ExecutionArn || got.StateName != "T" || !hasDeadline {
		t.Errorf("task info %+v, deadline %v", got, hasDeadline)
	}
	jsonEqual(t, "a nil result", string(d.Output), `null`)
}

func TestExecutionTimeout(t *testing.T) {
	blocking := func(ctx context.Context, _ json.RawMessage) (json.RawMessage, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	def := `{"StartAt":"T","TimeoutSeconds":10,"States":{"T":{"Type":"Task",
		"Resource":"` + testResource + `","End":true}}}`
	m := load(t, def, map[string]Handler{testResource: blocking}, WithTimeoutScale(0.002))
	d := run(t, m, `{}`)
	if d.Status != StatusTimedOut || d.StopDate.IsZero() {
		t.Errorf("got %s, want TIMED_OUT with a stop date", d.Status)
	}
	types := eventTypes(t, m, d.ExecutionArn)
	if types[len(types)-1] != ExecutionTimedOut {
		t.Errorf("history ends with %s", types[len(types)-1])
	}
	if d.RedriveStatus != Redrivable {
		t.Errorf("redrive status %s", d.RedriveStatus)
	}
}
