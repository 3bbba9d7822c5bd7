package sfnapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go"

	"github.com/imagepipe/imagepipe/shared/localstack/sfnapi"
	"github.com/imagepipe/imagepipe/statemachine/engine"
)

const (
	workArn    = "arn:aws:lambda:us-east-1:123456789012:function:work"
	definition = `{"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": "` +
		workArn + `", "End": true}}}`
)

// fixture is a machine whose one Task fails with DependencyUnavailable while
// down is set and blocks while its input has "block", served by a Server
// behind the real sfn client.
type fixture struct {
	ctx     context.Context
	machine *engine.Machine
	server  *sfnapi.Server
	client  *sfn.Client
	down    atomic.Bool
}

func newFixture(t *testing.T, names ...string) *fixture {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	f := &fixture{ctx: ctx}
	work := func(ctx context.Context, in json.RawMessage) (json.RawMessage, error) {
		if strings.Contains(string(in), `"block"`) {
			<-ctx.Done()
			return nil, ctx.Err()
		}
		if f.down.Load() {
			return nil, &engine.TaskError{Name: "DependencyUnavailable", Cause: "S3 is down"}
		}
		return json.RawMessage(`{"done":true}`), nil
	}
	if len(names) == 0 {
		names = []string{"images"}
	}
	var machines []*engine.Machine
	for _, name := range names {
		m, err := engine.Load([]byte(definition), map[string]engine.Handler{workArn: work},
			engine.WithName(name))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { m.Close() })
		machines = append(machines, m)
	}
	f.machine = machines[0]
	f.server = sfnapi.New(machines...)
	srv := httptest.NewServer(f.server)
	t.Cleanup(srv.Close)

	t.Setenv("AWS_ENDPOINT_URL_SFN", srv.URL)
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_MAX_ATTEMPTS", "1")
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f.client = sfn.NewFromConfig(cfg)
	return f
}

// run starts an execution through the API and waits for it to end.
func (f *fixture) run(t *testing.T, name, input string) string {
	t.Helper()
	out, err := f.client.StartExecution(f.ctx, &sfn.StartExecutionInput{
		StateMachineArn: aws.String(f.machine.ARN()), Name: aws.String(name),
		Input: aws.String(input)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.machine.Wait(f.ctx, aws.ToString(out.ExecutionArn)); err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.ExecutionArn)
}

func (f *fixture) describe(t *testing.T, arn string) *sfn.DescribeExecutionOutput {
	t.Helper()
	out, err := f.client.DescribeExecution(f.ctx,
		&sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestExecutionLifecycle(t *testing.T) {
	f := newFixture(t)
	f.down.Store(true)
	arn := f.run(t, "upload-1", `{"key":"a.jpg"}`)

	d := f.describe(t, arn)
	if d.Status != types.ExecutionStatusFailed ||
		aws.ToString(d.Error) != "DependencyUnavailable" ||
		aws.ToString(d.Cause) != "S3 is down" || aws.ToString(d.Input) != `{"key":"a.jpg"}` ||
		d.RedriveStatus != types.ExecutionRedriveStatusRedrivable ||
		aws.ToString(d.Name) != "upload-1" || d.StartDate == nil || d.StopDate == nil {
		t.Fatalf("failed execution described as %+v", d)
	}
	if got := d.StartDate.Sub(time.Now()); got > time.Second || got < -time.Minute {
		t.Errorf("startDate %v is not about now", d.StartDate)
	}

	f.down.Store(false)
	out, err := f.client.RedriveExecution(f.ctx, &sfn.RedriveExecutionInput{
		ExecutionArn: aws.String(arn), ClientToken: aws.String("token-1")})
	if err != nil {
		t.Fatal(err)
	}
	end, err := f.machine.Wait(f.ctx, arn)
	if err != nil || end.Status != engine.StatusSucceeded {
		t.Fatalf("after the redrive: %+v %v", end, err)
	}
	// An SDK retry of the same call (same client token) gets the same answer.
	again, err := f.client.RedriveExecution(f.ctx, &sfn.RedriveExecutionInput{
		ExecutionArn: aws.String(arn), ClientToken: aws.String("token-1")})
	if err != nil || !again.RedriveDate.Equal(*out.RedriveDate) {
		t.Errorf("repeated redrive: %v %v, want the first answer %v",
			again, err, out.RedriveDate)
	}

	d = f.describe(t, arn)
	if d.Status != types.ExecutionStatusSucceeded || aws.ToString(d.Output) != `{"done":true}` ||
		aws.ToInt32(d.RedriveCount) != 1 ||
		d.RedriveStatus != types.ExecutionRedriveStatusNotRedrivable ||
		!strings.Contains(aws.ToString(d.RedriveStatusReason), "SUCCEEDED") {
		t.Errorf("redriven execution described as %+v", d)
	}
}

func TestStopExecution(t *testing.T) {
	f := newFixture(t)
	out, err := f.client.StartExecution(f.ctx, &sfn.StartExecutionInput{
		StateMachineArn: aws.String(f.machine.ARN()), Input: aws.String(`{"block":true}`)})
	if err != nil {
		t.Fatal(err)
	}
	stop, err := f.client.StopExecution(f.ctx, &sfn.StopExecutionInput{
		ExecutionArn: out.ExecutionArn, Error: aws.String("Operator"),
		Cause: aws.String("stopped by hand")})
	if err != nil || stop.StopDate == nil {
		t.Fatalf("stop: %+v %v", stop, err)
	}
	d := f.describe(t, aws.ToString(out.ExecutionArn))
	if d.Status != types.ExecutionStatusAborted || aws.ToString(d.Error) != "Operator" ||
		d.RedriveStatus != types.ExecutionRedriveStatusRedrivable {
		t.Errorf("stopped execution described as %+v", d)
	}
}

// The errors come back as the SDK's typed errors, as from AWS.
func TestErrorsAreTyped(t *testing.T) {
	f := newFixture(t)
	done := f.run(t, "done", `{}`)
	missing := strings.Replace(done, ":done", ":missing", 1)
	cases := []struct {
		name string
		call func() error
		want any // a pointer to the typed error
		code string
	}{
		{"describe a missing execution", func() error {
			_, err := f.client.DescribeExecution(f.ctx,
				&sfn.DescribeExecutionInput{ExecutionArn: aws.String(missing)})
			return err
		}, new(*types.ExecutionDoesNotExist), "ExecutionDoesNotExist"},
		{"history of a missing execution", func() error {
			_, err := f.client.GetExecutionHistory(f.ctx,
				&sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(missing)})
			return err
		}, new(*types.ExecutionDoesNotExist), "ExecutionDoesNotExist"},
		{"redrive a succeeded execution", func() error {
			_, err := f.client.RedriveExecution(f.ctx,
				&sfn.RedriveExecutionInput{ExecutionArn: aws.String(done)})
			return err
		}, new(*types.ExecutionNotRedrivable), "ExecutionNotRedrivable"},
		{"reuse a name with another input", func() error {
			_, err := f.client.StartExecution(f.ctx, &sfn.StartExecutionInput{
				StateMachineArn: aws.String(f.machine.ARN()), Name: aws.String("done"),
				Input: aws.String(`{"other":1}`)})
			return err
		}, new(*types.ExecutionAlreadyExists), "ExecutionAlreadyExists"},
		{"a name with a slash", func() error {
			_, err := f.client.StartExecution(f.ctx, &sfn.StartExecutionInput{
				StateMachineArn: aws.String(f.machine.ARN()), Name: aws.String("a/b")})
			return err
		}, new(*types.InvalidName), "InvalidName"},
		{"input that is not JSON", func() error {
			_, err := f.client.StartExecution(f.ctx, &sfn.StartExecutionInput{
				StateMachineArn: aws.String(f.machine.ARN()), Input: aws.String("{")})
			return err
		}, new(*types.InvalidExecutionInput), "InvalidExecutionInput"},
		{"an ARN that is no execution's", func() error {
			_, err := f.client.DescribeExecution(f.ctx,
				&sfn.DescribeExecutionInput{ExecutionArn: aws.String("arn:aws:s3:::bucket")})
			return err
		}, new(*types.InvalidArn), "InvalidArn"},
		{"a state machine that does not exist", func() error {
			_, err := f.client.DescribeStateMachine(f.ctx, &sfn.DescribeStateMachineInput{
				StateMachineArn: aws.String(f.machine.ARN() + "-gone")})
			return err
		}, new(*types.StateMachineDoesNotExist), "StateMachineDoesNotExist"},
		{"a page of more than 1000", func() error {
			_, err := f.client.ListExecutions(f.ctx, &sfn.ListExecutionsInput{
				StateMachineArn: aws.String(f.machine.ARN()), MaxResults: 1001})
			return err
		}, new(*types.ValidationException), "ValidationException"},
		{"an unknown status filter", func() error {
			_, err := f.client.ListExecutions(f.ctx, &sfn.ListExecutionsInput{
				StateMachineArn: aws.String(f.machine.ARN()), StatusFilter: "BROKEN"})
			return err
		}, new(*types.ValidationException), "ValidationException"},
		{"a token that is not ours", func() error {
			_, err := f.client.ListExecutions(f.ctx, &sfn.ListExecutionsInput{
				StateMachineArn: aws.String(f.machine.ARN()), NextToken: aws.String("bogus")})
			return err
		}, new(*types.InvalidToken), "InvalidToken"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.call()
			if err == nil || !errors.As(err, c.want) {
				t.Fatalf("error %v (%T), want %T", err, err, c.want)
			}
			var api smithy.APIError
			if !errors.As(err, &api) || api.ErrorCode() != c.code || api.ErrorMessage() == "" {
				t.Errorf("API error %v, want code %s with a message", api, c.code)
			}
		})
	}
}

func TestUnknownOperation(t *testing.T) {
	f := newFixture(t)
	srv := httptest.NewServer(f.server)
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader("{}"))
	req.Header.Set("X-Amz-Target", "AWSStepFunctions.DeleteStateMachine")
	req.Header.Set("Content-Type", sfnapi.ContentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]string
	json.NewDecoder(resp.Body).Decode(&body)
	if resp.StatusCode != http.StatusBadRequest ||
		body["__type"] != sfnapi.ErrorNamespace+"UnknownOperationException" {
		t.Errorf("%d %v, want 400 UnknownOperationException", resp.StatusCode, body)
	}
}

// Pages follow each other without gaps or repeats, newest first, even when
// executions start between two pages; filters apply.
func TestListExecutionsPages(t *testing.T) {
	f := newFixture(t)
	f.down.Store(true)
	for i := range 5 {
		f.run(t, fmt.Sprintf("failed-%d", i), `{}`)
	}
	f.down.Store(false)
	f.run(t, "succeeded", `{}`)

	var names []string
	var token *string
	for page := 0; ; page++ {
		out, err := f.client.ListExecutions(f.ctx, &sfn.ListExecutionsInput{
			StateMachineArn: aws.String(f.machine.ARN()), StatusFilter: types.ExecutionStatusFailed,
			MaxResults: 2, NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range out.Executions {
			names = append(names, aws.ToString(e.Name))
		}
		if page == 0 {
			f.down.Store(true)
			f.run(t, "failed-late", `{}`)
		}
		if token = out.NextToken; token == nil {
			break
		}
	}
	want := "failed-4 failed-3 failed-2 failed-1 failed-0"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("pages listed %s, want %s", got, want)
	}

	redriven := f.run(t, "to-redrive", `{}`)
	if _, err := f.client.RedriveExecution(f.ctx,
		&sfn.RedriveExecutionInput{ExecutionArn: aws.String(redriven)}); err != nil {
		t.Fatal(err)
	}
	f.machine.Wait(f.ctx, redriven)
	filters := []struct {
		filter types.ExecutionRedriveFilter
		want   int
	}{{types.ExecutionRedriveFilterRedriven, 1}, {types.ExecutionRedriveFilterNotRedriven, 6}}
	for _, c := range filters {
		p := sfn.NewListExecutionsPaginator(f.client, &sfn.ListExecutionsInput{
			StateMachineArn: aws.String(f.machine.ARN()), StatusFilter: types.ExecutionStatusFailed,
			RedriveFilter: c.filter})
		n := 0
		for p.HasMorePages() {
			out, err := p.NextPage(f.ctx)
			if err != nil {
				t.Fatal(err)
			}
			n += len(out.Executions)
		}
		if n != c.want {
			t.Errorf("%s: %d FAILED executions, want %d", c.filter, n, c.want)
		}
	}
}

func TestExecutionHistory(t *testing.T) {
	f := newFixture(t)
	f.down.Store(true)
	arn := f.run(t, "history", `{"secret":"input"}`)
	all, err := f.machine.History(arn)
	if err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name    string
		reverse bool
		data    *bool
	}{
		{"oldest first", false, nil},
		{"newest first", true, nil},
		{"without execution data", true, aws.Bool(false)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var events []types.HistoryEvent
			p := sfn.NewGetExecutionHistoryPaginator(f.client, &sfn.GetExecutionHistoryInput{
				ExecutionArn: aws.String(arn), MaxResults: 2, ReverseOrder: c.reverse,
				IncludeExecutionData: c.data})
			for p.HasMorePages() {
				out, err := p.NextPage(f.ctx)
				if err != nil {
					t.Fatal(err)
				}
				events = append(events, out.Events...)
			}
			if len(events) != len(all) {
				t.Fatalf("%d events, want %d", len(events), len(all))
			}
			first, last := events[0], events[len(events)-1]
			if c.reverse {
				first, last = last, first
			}
			if first.Type != types.HistoryEventTypeExecutionStarted ||
				last.Type != types.HistoryEventTypeExecutionFailed ||
				aws.ToString(last.ExecutionFailedEventDetails.Error) != "DependencyUnavailable" {
				t.Errorf("events from %s to %s %+v", first.Type, last.Type,
					last.ExecutionFailedEventDetails)
			}
			// The wire carries milliseconds.
			if !first.Timestamp.Equal(all[0].Timestamp.Truncate(time.Millisecond)) {
				t.Errorf("timestamp %v, want %v", first.Timestamp, all[0].Timestamp)
			}
			input := first.ExecutionStartedEventDetails.Input
			if withData := c.data == nil; withData != (input != nil) {
				t.Errorf("input %v with includeExecutionData %v", aws.ToString(input), c.data)
			}
		})
	}
}

// After 14 days an execution is no longer redrivable, as in AWS.
func TestRedrivablePeriod(t *testing.T) {
	f := newFixture(t)
	f.down.Store(true)
	arn := f.run(t, "old", `{}`)
	f.server.SetClock(func() time.Time { return time.Now().Add(sfnapi.RedrivePeriod + time.Hour) })

	d := f.describe(t, arn)
	if d.RedriveStatus != types.ExecutionRedriveStatusNotRedrivable ||
		aws.ToString(d.RedriveStatusReason) != "Execution redrivable period exceeded" {
		t.Errorf("redrive status %s %q", d.RedriveStatus, aws.ToString(d.RedriveStatusReason))
	}
	_, err := f.client.RedriveExecution(f.ctx,
		&sfn.RedriveExecutionInput{ExecutionArn: aws.String(arn)})
	var notRedrivable *types.ExecutionNotRedrivable
	if !errors.As(err, &notRedrivable) {
		t.Errorf("redrive after 15 days: %v, want ExecutionNotRedrivable", err)
	}
}

func TestStateMachines(t *testing.T) {
	f := newFixture(t, "images", "thumbnails")
	arn := f.machine.ARN()
	if err := f.server.SetDefinition(arn, definition); err != nil {
		t.Fatal(err)
	}
	before := f.run(t, "before", `{}`)
	changed := strings.Replace(definition, "Work", "Job", 2)
	if err := f.server.SetDefinition(arn, changed); err != nil {
		t.Fatal(err)
	}
	after := f.run(t, "after", `{}`)

	var names []string
	p := sfn.NewListStateMachinesPaginator(f.client, &sfn.ListStateMachinesInput{MaxResults: 1})
	for p.HasMorePages() {
		out, err := p.NextPage(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, sm := range out.StateMachines {
			names = append(names, aws.ToString(sm.Name)+" "+string(sm.Type))
		}
	}
	if got := strings.Join(names, ", "); got != "images STANDARD, thumbnails STANDARD" {
		t.Errorf("state machines %s", got)
	}

	sm, err := f.client.DescribeStateMachine(f.ctx,
		&sfn.DescribeStateMachineInput{StateMachineArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(aws.ToString(sm.Definition), `"Job"`) ||
		sm.Status != types.StateMachineStatusActive || aws.ToString(sm.RevisionId) == "" {
		t.Errorf("state machine %+v", sm)
	}
	cases := []struct {
		execution string
		changed   bool
	}{{before, true}, {after, false}}
	for _, c := range cases {
		ran, err := f.client.DescribeStateMachineForExecution(f.ctx,
			&sfn.DescribeStateMachineForExecutionInput{ExecutionArn: aws.String(c.execution)})
		if err != nil {
			t.Fatal(err)
		}
		changed := aws.ToString(ran.RevisionId) != aws.ToString(sm.RevisionId)
		if changed != c.changed {
			t.Errorf("%s: revision %s against the current %s, want changed=%v", c.execution,
				aws.ToString(ran.RevisionId), aws.ToString(sm.RevisionId), c.changed)
		}
	}
}
