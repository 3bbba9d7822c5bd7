package engine

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

const historyDef = `{"StartAt":"Wrap","States":{
	"Wrap":{"Type":"Pass","Parameters":{"records.$":"$"},"Next":"Work"},
	"Work":{"Type":"Task","Resource":"RESOURCE","ResultPath":"$.result","TimeoutSeconds":30,
		"Retry":[{"ErrorEquals":["Lambda.ServiceException"],"MaxAttempts":1}],"Next":"Check"},
	"Check":{"Type":"Choice","Choices":[{"Variable":"$.result.ok","BooleanEquals":true,
		"Next":"Done"}]},
	"Done":{"Type":"Succeed"}}}`

func historyMachine(t *testing.T, resource string, h Handler) *Machine {
	def := strings.ReplaceAll(historyDef, "RESOURCE", resource)
	return load(t, def, map[string]Handler{resource: h})
}

func TestHistorySequence(t *testing.T) {
	head := []EventType{ExecutionStarted, PassStateEntered, PassStateExited, TaskStateEntered}
	tail := []EventType{TaskStateExited, ChoiceStateEntered, ChoiceStateExited,
		SucceedStateEntered, SucceedStateExited, ExecutionSucceeded}
	lambdaOK := []EventType{LambdaFunctionScheduled, LambdaFunctionStarted,
		LambdaFunctionSucceeded}
	lambdaFailed := []EventType{LambdaFunctionScheduled, LambdaFunctionStarted,
		LambdaFunctionFailed}
	cases := []struct {
		name     string
		resource string
		failures int
		want     []EventType
	}{
		{"success", testResource, 0, concat(head, lambdaOK, tail)},
		{"one retry", testResource, 1, concat(head, lambdaFailed, lambdaOK, tail)},
		{"failure", testResource, 2, concat(head, lambdaFailed, lambdaFailed,
			[]EventType{ExecutionFailed})},
		{"service integration", "arn:aws:states:::lambda:invoke", 1, concat(head,
			[]EventType{TaskScheduled, TaskStarted, TaskFailed, TaskScheduled, TaskStarted,
				TaskSucceeded}, tail)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h, _ := failing(c.failures, &TaskError{Name: "Lambda.ServiceException",
				Cause: "Rate exceeded"}, `{"ok":true}`)
			m := historyMachine(t, c.resource, h)
			d := run(t, m, `[{"body":"b"}]`)
			if got := eventTypes(t, m, d.ExecutionArn); !slices.Equal(got, c.want) {
				t.Errorf("history\n got %v\nwant %v", got, c.want)
			}
		})
	}
}

func concat(parts ...[]EventType) []EventType {
	var out []EventType
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// The history's JSON is read back by the real SDK's deserializer, the way a
// GetExecutionHistory answer would be: every field name must be AWS's.
func TestHistoryDecodesWithTheSDK(t *testing.T) {
	for _, resource := range []string{testResource, "arn:aws:states:::lambda:invoke"} {
		t.Run(resource, func(t *testing.T) {
			h, _ := failing(1, &TaskError{Name: "Lambda.ServiceException", Cause: "503"},
				`{"ok":true}`)
			m := historyMachine(t, resource, h)
			d := run(t, m, `[{"body":"b"}]`)
			mine, _ := m.History(d.ExecutionArn)
			theirs := sdkHistory(t, mine)
			if len(theirs) != len(mine) {
				t.Fatalf("SDK read %d events, want %d", len(theirs), len(mine))
			}
			for i, e := range theirs {
				checkSDKEvent(t, mine[i], e)
			}
		})
	}
}

func sdkHistory(t *testing.T, events []Event) []types.HistoryEvent {
	t.Helper()
	body, err := json.Marshal(map[string]any{"events": events})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Amz-Target") != "AWSStepFunctions.GetExecutionHistory" {
			http.Error(w, "unexpected "+r.Header.Get("X-Amz-Target"), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		_, _ = w.Write(body)
	}))
	defer srv.Close()
	client := sfn.New(sfn.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: aws.AnonymousCredentials{}})
	out, err := client.GetExecutionHistory(context.Background(),
		&sfn.GetExecutionHistoryInput{ExecutionArn: aws.String("arn")})
	if err != nil {
		t.Fatal(err)
	}
	return out.Events
}

func checkSDKEvent(t *testing.T, mine Event, e types.HistoryEvent) {
	t.Helper()
	if e.Id != mine.ID || e.PreviousEventId != mine.PreviousEventID ||
		string(e.Type) != string(mine.Type) || e.Timestamp == nil ||
		e.Timestamp.UnixMilli() != mine.Timestamp.UnixMilli() {
		t.Errorf("event %d: SDK read %+v", mine.ID, e)
	}
	want, got := detailsOf(mine), sdkDetails(e)
	if want != got {
		t.Errorf("event %d %s: SDK details %q, want %q", mine.ID, mine.Type, got, want)
	}
}

// detailsOf and sdkDetails reduce an event to its key detail fields.
func detailsOf(e Event) string {
	switch {
	case e.ExecutionStarted != nil:
		return e.ExecutionStarted.Input + "|" + e.ExecutionStarted.RoleArn
	case e.ExecutionSucceeded != nil:
		return e.ExecutionSucceeded.Output
	case e.StateEntered != nil:
		return e.StateEntered.Name + "|" + e.StateEntered.Input
	case e.StateExited != nil:
		return e.StateExited.Name + "|" + e.StateExited.Output
	case e.LambdaScheduled != nil:
		return e.LambdaScheduled.Resource + "|" + e.LambdaScheduled.Input + "|30"
	case e.LambdaSucceeded != nil:
		return e.LambdaSucceeded.Output
	case e.LambdaFailed != nil:
		return e.LambdaFailed.Error + "|" + e.LambdaFailed.Cause
	case e.TaskScheduled != nil:
		d := e.TaskScheduled
		return d.ResourceType + "|" + d.Resource + "|" + d.Region + "|" + d.Parameters + "|30"
	case e.TaskStarted != nil:
		return e.TaskStarted.ResourceType + "|" + e.TaskStarted.Resource
	case e.TaskSucceeded != nil:
		return e.TaskSucceeded.Resource + "|" + e.TaskSucceeded.Output
	case e.TaskFailed != nil:
		return e.TaskFailed.Resource + "|" + e.TaskFailed.Error + "|" + e.TaskFailed.Cause
	}
	return ""
}

func sdkDetails(e types.HistoryEvent) string {
	s := aws.ToString
	switch {
	case e.ExecutionStartedEventDetails != nil:
		d := e.ExecutionStartedEventDetails
		return s(d.Input) + "|" + s(d.RoleArn)
	case e.ExecutionSucceededEventDetails != nil:
		return s(e.ExecutionSucceededEventDetails.Output)
	case e.StateEnteredEventDetails != nil:
		return s(e.StateEnteredEventDetails.Name) + "|" + s(e.StateEnteredEventDetails.Input)
	case e.StateExitedEventDetails != nil:
		return s(e.StateExitedEventDetails.Name) + "|" + s(e.StateExitedEventDetails.Output)
	case e.LambdaFunctionScheduledEventDetails != nil:
		d := e.LambdaFunctionScheduledEventDetails
		return s(d.Resource) + "|" + s(d.Input) + "|" + itoa(d.TimeoutInSeconds)
	case e.LambdaFunctionSucceededEventDetails != nil:
		return s(e.LambdaFunctionSucceededEventDetails.Output)
	case e.LambdaFunctionFailedEventDetails != nil:
		d := e.LambdaFunctionFailedEventDetails
		return s(d.Error) + "|" + s(d.Cause)
	case e.TaskScheduledEventDetails != nil:
		d := e.TaskScheduledEventDetails
		return s(d.ResourceType) + "|" + s(d.Resource) + "|" + s(d.Region) + "|" +
			s(d.Parameters) + "|" + itoa(d.TimeoutInSeconds)
	case e.TaskStartedEventDetails != nil:
		return s(e.TaskStartedEventDetails.ResourceType) + "|" +
			s(e.TaskStartedEventDetails.Resource)
	case e.TaskSucceededEventDetails != nil:
		return s(e.TaskSucceededEventDetails.Resource) + "|" +
			s(e.TaskSucceededEventDetails.Output)
	case e.TaskFailedEventDetails != nil:
		d := e.TaskFailedEventDetails
		return s(d.Resource) + "|" + s(d.Error) + "|" + s(d.Cause)
	}
	return ""
}

func itoa(p *int64) string {
	if p == nil {
		return "nil"
	}
	b, _ := json.Marshal(*p)
	return string(b)
}

func TestEventJSONRoundTrip(t *testing.T) {
	h := &returning{result: `{"ok":true}`}
	m := historyMachine(t, testResource, h.handle)
	d := run(t, m, `[]`)
	events, _ := m.History(d.ExecutionArn)
	b, err := json.Marshal(events)
	if err != nil {
		t.Fatal(err)
	}
	var back []Event
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	b2, _ := json.Marshal(back)
	if string(b) != string(b2) {
		t.Errorf("round trip changed the history:\n%s\n%s", b, b2)
	}
}
