package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imagepipe/imagepipe/shared/steperr"
	"github.com/imagepipe/imagepipe/shared/stepio"
	"github.com/imagepipe/imagepipe/statemachine/engine"
)

// scenario is one execution as run-scenarios.mjs reads it: the rendered
// definition, the execution input, the context object and, per Task state, the
// responses its handler gives in order (the last one repeats).
type scenario struct {
	Name       string                `json:"name"`
	Definition json.RawMessage       `json:"definition"`
	Input      json.RawMessage       `json:"input"`
	Context    json.RawMessage       `json:"context"`
	Responses  map[string][]response `json:"responses"`
}

// response is one scripted answer of a Task handler: an output, or an error
// name that ErrorEquals matches with its cause, given after DelayMs.
type response struct {
	Output  json.RawMessage `json:"output,omitempty"`
	Error   string          `json:"error,omitempty"`
	Cause   string          `json:"cause,omitempty"`
	DelayMs int             `json:"delayMs,omitempty"`
	// goErr, when set, is what the engine's handler returns instead of a
	// [*engine.TaskError]: the error a step Lambda returns, which the engine
	// must name and describe as Lambda does (Error and Cause above).
	goErr error
}

// outcome is what one execution did, as run-scenarios.mjs prints it and as
// engineOutcome reads it from the engine's history.
type outcome struct {
	Name    string                       `json:"name"`
	States  []string                     `json:"states"`
	Exited  []exited                     `json:"exited"`
	Retries map[string]int               `json:"retries"`
	Calls   map[string]int               `json:"calls"`
	Inputs  map[string][]json.RawMessage `json:"inputs"`
	Status  string                       `json:"status"`
	Output  json.RawMessage              `json:"output"`
	Error   string                       `json:"error"`
	Cause   string                       `json:"cause"`
}

// exited is a state's output as it left the state.
type exited struct {
	Name   string          `json:"name"`
	Output json.RawMessage `json:"output"`
}

// unscripted is what a Task without scripted responses fails with, on both
// sides; no scenario expects it.
const unscripted = "Conformance.Unscripted"

// engineTimeoutScale shortens the engine's task timeouts: a second of
// TimeoutSeconds lasts 100 ms, and the longest (Resize's 300 s) lasts 30 s.
const engineTimeoutScale = 0.1

// testRoleArn is the execution role in $$.Execution.RoleArn.
const testRoleArn = "arn:aws:iam::" + testAccount + ":role/imagepipe-statemachine-2c4e6a8"

// executionARN is the ARN that AWS gives execution name of the test machine.
func executionARN(name string) string {
	return "arn:aws:states:" + testRegion + ":" + testAccount + ":execution:" +
		testMachine + ":" + name
}

// stateMachineARN is the ARN of the test machine.
func stateMachineARN() string {
	return "arn:aws:states:" + testRegion + ":" + testAccount + ":stateMachine:" + testMachine
}

// conformanceCase is a scenario's script and the outcome that AWS's documented
// semantics give it.
type conformanceCase struct {
	name       string
	responses  map[string][]response
	wantStates []string
	wantCalls  map[string]int
	wantStatus string
	wantError  string
	wantCause  string
	// wantOutput is the execution's output when it succeeds.
	wantOutput any
	// definition, when set, changes the rendered definition for this case.
	definition func(d map[string]any)
	// causeDiffers, when set, says why the cause is neither checked nor
	// compared.
	causeDiffers string
}

// Test data shaped like what the step Lambdas return (shared/stepio).
const (
	imageID     = "0c6f5e3a-2b1d-4e8f-9a7c-5d4e3f2a1b0c"
	userID      = "u-7f3a9c"
	originalKey = "user-uploads/" + userID + "/" + imageID + ".jpg"
	primaryKey  = "processed/" + imageID + ".jpg"
	rejectedMsg = originalKey + " is not a JPEG, PNG, GIF or WebP image"
	tooLargeMsg = originalKey + " is 12000×9000 pixels, more than the 50 megapixels allowed"
)

func original(execution string) stepio.Original {
	return stepio.Original{
		Bucket: "imagepipe-originals-4f1d2b7", Key: originalKey, UserID: userID,
		ImageID: imageID, Format: "jpeg", Width: 4000, Height: 3000, Bytes: 2345678,
		Orientation: 6, ETag: `"9b2cf535f27731c974343645a3985328"`,
		Sequencer: "0062E99A88DC407460", ExecutionArn: executionARN(execution),
	}
}

var variants = []stepio.Variant{
	{Name: "large", Key: primaryKey, Width: 1536, Height: 2048, Bytes: 412345,
		ContentType: "image/jpeg"},
	{Name: "thumb", Key: "processed/" + imageID + "-thumb.jpg", Width: 240, Height: 320,
		Bytes: 18234, ContentType: "image/jpeg"},
}

var processed = stepio.Processed{
	Bucket: "imagepipe-processed-9a8b7c6", PrimaryKey: primaryKey, Variants: variants,
}

var doneRecord = stepio.Record{
	ImageID: imageID, UserID: userID, Status: stepio.StatusDone, OriginalS3Key: originalKey,
	ProcessedS3Key: primaryKey, Variants: variants, Changed: true,
}

func rejectedRecord(reason string) stepio.Record {
	return stepio.Record{
		ImageID: imageID, UserID: userID, Status: stepio.StatusFailed, Reason: reason,
		OriginalS3Key: originalKey, Changed: true,
	}
}

var notified = stepio.NotifyOutput{MessageID: "5f1b7c1e-3e8a-5b7c-9d2e-1a2b3c4d5e6f"}

// ok is a response with output v.
func ok(v any) response { return response{Output: mustJSON(v)} }

// mustJSON returns v as JSON.
func mustJSON(v any) json.RawMessage {
	data, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return data
}

// fail is an error response that the Lambda service gives, whatever the
// function's code.
func fail(name, cause string) response { return response{Error: name, Cause: cause} }

// goFail is the error response of a Go Lambda whose handler returns err:
// aws-lambda-go names it for its Go type and Step Functions records Lambda's
// error body as the cause.
func goFail(err error) response {
	name := steperr.Name(err)
	return response{Error: name, Cause: lambdaCause(name, err.Error()), goErr: err}
}

// lambdaCause is the Cause Lambda reports for an error a Go handler returned.
func lambdaCause(errorType, message string) string {
	data, _ := json.Marshal(map[string]string{"errorMessage": message, "errorType": errorType})
	return string(data)
}

// Causes of the errors that the Lambda service reports itself.
const (
	serviceCause = "Lambda is unable to process the request (Service: Lambda, " +
		"Status Code: 500, Request ID: 6c1a2f0e-8b3d-4c5e-9f7a-0b1c2d3e4f5a)"
	unknownCause = "The cause could not be determined because Lambda did not return an " +
		"error type. Returned payload: {\"errorMessage\":\"RequestId: 7a9e Error: " +
		"Runtime exited with error: signal: killed\",\"errorType\":\"Runtime.ExitError\"}"
)

// Errors that the step Lambdas return.
var (
	errThrottled = steperr.Unavailable("dynamodb", "PutItem", errors.New(
		"operation error DynamoDB: PutItem, exceeded maximum number of attempts, 3, "+
			"ProvisionedThroughputExceededException: Rate of requests exceeds the allowed "+
			"throughput"))
	errRefused = &steperr.DependencyRefused{Service: "dynamodb", Op: "PutItem",
		Err: errors.New("operation error DynamoDB: PutItem, AccessDeniedException")}
	// errWrapped is what a handler returns when it wraps at its boundary:
	// Step Functions sees wrapError, which nothing retries.
	errWrapped = fmt.Errorf("persist %s: %w", imageID, errThrottled)
)

// successPath is the states entered by an execution that succeeds.
var successPath = []string{"Receive", "Fetch", "Resize", "Persist", "Notify"}

// conformanceCases returns the scenarios the two runtimes must agree on.
func conformanceCases() []conformanceCase {
	rejection := func(name, at, reason string) conformanceCase {
		responses := map[string][]response{
			"Fetch":           {ok(original(name))},
			"RecordRejection": {ok(rejectedRecord(reason))},
			"NotifyRejection": {ok(notified)},
		}
		states := []string{"Receive", "Fetch"}
		calls := map[string]int{"Fetch": 1, "RecordRejection": 1, "NotifyRejection": 1}
		if at == "Resize" {
			states = append(states, "Resize")
			calls["Resize"] = 1
		}
		responses[at] = []response{goFail(&steperr.ImageRejected{Reason: reason})}
		return conformanceCase{
			name:       name,
			responses:  responses,
			wantStates: append(states, "RecordRejection", "NotifyRejection", "Rejected"),
			wantCalls:  calls,
			wantStatus: "FAILED",
			wantError:  steperr.NameImageRejected,
			wantCause:  reason,
		}
	}
	succeeding := func(name string, fetch, resize, persist []response,
		calls map[string]int) conformanceCase {
		return conformanceCase{
			name: name,
			responses: map[string][]response{
				"Fetch":   append(fetch, ok(original(name))),
				"Resize":  append(resize, ok(processed)),
				"Persist": append(persist, ok(doneRecord)),
				"Notify":  {ok(notified)},
			},
			wantStates: successPath,
			wantCalls:  calls,
			wantStatus: "SUCCEEDED",
			wantOutput: doneRecord,
		}
	}
	throttled := fail("Lambda.TooManyRequestsException", "Rate Exceeded.")
	serviceErr := fail("Lambda.ServiceException", serviceCause)
	unknown := fail(engine.ErrorLambdaUnknown, unknownCause)
	unavailable := goFail(errThrottled)

	return []conformanceCase{
		succeeding("happy", nil, nil, nil,
			map[string]int{"Fetch": 1, "Resize": 1, "Persist": 1, "Notify": 1}),
		succeeding("retried", []response{serviceErr, serviceErr}, nil,
			[]response{unavailable},
			map[string]int{"Fetch": 3, "Resize": 1, "Persist": 2, "Notify": 1}),
		succeeding("throttled-then-unknown", nil, []response{throttled, unknown, throttled},
			nil, map[string]int{"Fetch": 1, "Resize": 4, "Persist": 1, "Notify": 1}),
		succeeding("unknown-once-at-resize", nil, []response{unknown}, nil,
			map[string]int{"Fetch": 1, "Resize": 2, "Persist": 1, "Notify": 1}),
		rejection("rejected-at-fetch", "Fetch", rejectedMsg),
		rejection("rejected-at-resize", "Resize", tooLargeMsg),
		{
			name: "exhausted-at-persist",
			responses: map[string][]response{
				"Fetch":   {ok(original("exhausted-at-persist"))},
				"Resize":  {ok(processed)},
				"Persist": {unavailable},
			},
			wantStates: successPath[:4],
			wantCalls:  map[string]int{"Fetch": 1, "Resize": 1, "Persist": 1 + 6},
			wantStatus: "FAILED",
			wantError:  steperr.NameDependencyUnavailable,
			wantCause:  unavailable.Cause,
		},
		{
			name: "unknown-twice-at-resize",
			responses: map[string][]response{
				"Fetch":  {ok(original("unknown-twice-at-resize"))},
				"Resize": {unknown},
			},
			wantStates: successPath[:3],
			wantCalls:  map[string]int{"Fetch": 1, "Resize": 1 + 1},
			wantStatus: "FAILED",
			wantError:  engine.ErrorLambdaUnknown,
			wantCause:  unknownCause,
		},
		{
			name: "refused-at-persist",
			responses: map[string][]response{
				"Fetch":   {ok(original("refused-at-persist"))},
				"Resize":  {ok(processed)},
				"Persist": {goFail(errRefused)},
			},
			wantStates: successPath[:4],
			wantCalls:  map[string]int{"Fetch": 1, "Resize": 1, "Persist": 1},
			wantStatus: "FAILED",
			wantError:  steperr.NameDependencyRefused,
			wantCause:  goFail(errRefused).Cause,
		},
		{
			name: "wrapped-at-persist",
			responses: map[string][]response{
				"Fetch":   {ok(original("wrapped-at-persist"))},
				"Resize":  {ok(processed)},
				"Persist": {goFail(errWrapped)},
			},
			wantStates: successPath[:4],
			wantCalls:  map[string]int{"Fetch": 1, "Resize": 1, "Persist": 1},
			wantStatus: "FAILED",
			wantError:  "wrapError",
			wantCause:  goFail(errWrapped).Cause,
		},
		{
			// The Rejected state's CausePath must select a string (AWS's Fail
			// state documentation); a record without a reason makes the
			// execution fail with States.Runtime instead of ImageRejected.
			name: "rejection-without-reason",
			responses: map[string][]response{
				"Fetch":           {goFail(&steperr.ImageRejected{Reason: rejectedMsg})},
				"RecordRejection": {ok(rejectedRecord(""))},
				"NotifyRejection": {ok(notified)},
			},
			wantStates: []string{"Receive", "Fetch", "RecordRejection", "NotifyRejection",
				"Rejected"},
			wantCalls:  map[string]int{"Fetch": 1, "RecordRejection": 1, "NotifyRejection": 1},
			wantStatus: "FAILED",
			wantError:  engine.ErrorRuntime,
			causeDiffers: "each runtime words the States.Runtime cause of a path that " +
				"selects nothing its own way",
		},
		{
			// Resize's TimeoutSeconds becomes 1 so that aws-local-stepfunctions,
			// which cannot scale time, times out within the suite.
			name: "timeout-twice-at-resize",
			definition: func(d map[string]any) {
				stateOf(d, "Resize")["TimeoutSeconds"] = 1
			},
			responses: map[string][]response{
				"Fetch":  {ok(original("timeout-twice-at-resize"))},
				"Resize": {{Output: mustJSON(processed), DelayMs: 1100}},
			},
			wantStates: successPath[:3],
			wantCalls:  map[string]int{"Fetch": 1, "Resize": 1 + 1},
			wantStatus: "FAILED",
			wantError:  engine.ErrorTimeout,
			causeDiffers: "aws-local-stepfunctions reports the cause of a task timeout as " +
				"\"States.Timeout\"; AWS documents no cause for it, and the engine gives none",
		},
	}
}

// TestConformance runs every scenario on aws-local-stepfunctions, all in one
// Node process, and on the local engine. Each runtime must give the outcome
// that AWS documents (the states entered, the handler calls that retries
// make, the final status, error and cause), and the two must agree on
// everything they both report: each handler's input, each state's output and
// the execution's output.
//
// Where aws-local-stepfunctions 3.0.0 is known to differ from AWS, AWS's
// documented behaviour is what the cases expect, and the difference is kept
// out of the comparison:
//
//   - Its context object is the one passed in, with Execution.Input and
//     Execution.StartTime replaced by its own and no State or Task fields
//     ($$.State.RetryCount and the like are missing). The definition reads
//     only $$.Execution.Id, which contextObject sets to the ARN AWS would give.
//   - A task timeout's cause is "States.Timeout"; AWS documents none.
//   - The States.Runtime cause of a path that selects nothing is its own
//     wording, as is the engine's (AWS words it differently again).
//   - Retry pauses are overridden to 0, so IntervalSeconds, BackoffRate,
//     MaxDelaySeconds and JitterStrategy are not observed; [Lint] checks them.
//   - It has no redrive, no payload size limit and no AWS-shaped history; the
//     engine's history is checked against AWS's event types in readHistory.
//   - Its default Task timeout is 60 s, AWS's is 99999999 s; every Task here
//     sets TimeoutSeconds, so it does not matter.
func TestConformance(t *testing.T) {
	t.Parallel()
	requireNode(t)
	definition := renderedDefinition(t)
	input, err := os.ReadFile(filepath.Join("testdata", "pipe-records.json"))
	if err != nil {
		t.Fatal(err)
	}

	cases := conformanceCases()
	scenarios := make([]scenario, len(cases))
	for i, c := range cases {
		def := definition
		if c.definition != nil {
			def = mutate(t, definition, c.definition)
		}
		scenarios[i] = scenario{
			Name:       c.name,
			Definition: def,
			Input:      input,
			Context:    contextObject(t, c.name),
			Responses:  c.responses,
		}
	}
	fromNode := runOnNode(t, scenarios)

	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			local, ok := fromNode[c.name]
			if !ok {
				t.Fatalf("run-scenarios.mjs printed no result for %s", c.name)
			}
			fromEngine := runOnEngine(t, scenarios[i], 0)

			if c.causeDiffers != "" {
				t.Logf("cause not compared: %s (engine %q, aws-local-stepfunctions %q)",
					c.causeDiffers, fromEngine.Cause, local.Cause)
				local.Cause, fromEngine.Cause = "", ""
			}
			checkWant(t, "aws-local-stepfunctions", c, local)
			checkWant(t, "engine", c, fromEngine)
			checkStepInputs(t, c.name, local)
			compareOutcomes(t, local, fromEngine)
		})
	}

	// aws-local-stepfunctions cannot redrive, so the engine's redrive, which a
	// failure past the retries relies on, is checked against its happy path:
	// resumed at Persist with the input Persist had, the execution must end
	// with the same output.
	t.Run("exhausted-at-persist-then-redriven", func(t *testing.T) {
		const name = "exhausted-at-persist-then-redriven"
		persist := slices.Repeat([]response{goFail(errThrottled)}, 1+6)
		sc := scenario{
			Name:       name,
			Definition: definition,
			Input:      input,
			Responses: map[string][]response{
				"Fetch":   {ok(original(name))},
				"Resize":  {ok(processed)},
				"Persist": append(persist, ok(doneRecord)),
				"Notify":  {ok(notified)},
			},
		}

		got := runOnEngine(t, sc, 1)

		wantStates := []string{"Receive", "Fetch", "Resize", "Persist", "Persist", "Notify"}
		if !slices.Equal(got.States, wantStates) {
			t.Errorf("states entered = %v, want %v", got.States, wantStates)
		}
		wantCalls := map[string]int{"Fetch": 1, "Resize": 1, "Persist": 1 + 6 + 1, "Notify": 1}
		if !maps.Equal(got.Calls, wantCalls) {
			t.Errorf("handler calls = %v, want %v", got.Calls, wantCalls)
		}
		for i, in := range got.Inputs["Persist"] {
			if !jsonEqual(in, got.Inputs["Persist"][0]) {
				t.Errorf("Persist call %d input %s, want the first call's %s", i+1,
					compact(in), compact(got.Inputs["Persist"][0]))
			}
		}
		happy := fromNode["happy"]
		if got.Status != "SUCCEEDED" || !jsonEqual(got.Output, happy.Output) {
			t.Errorf("redriven: %s %s, want SUCCEEDED with the happy path's output on "+
				"aws-local-stepfunctions %s", got.Status, compact(got.Output),
				compact(happy.Output))
		}
	})
}

// contextObject is the context object ($$) of execution name, as AWS fills it
// in for a STANDARD workflow; aws-local-stepfunctions replaces Execution.Input
// and Execution.StartTime with its own.
func contextObject(t *testing.T, name string) json.RawMessage {
	t.Helper()
	data, err := json.Marshal(map[string]any{
		"Execution": map[string]any{
			"Id":      executionARN(name),
			"Name":    name,
			"RoleArn": testRoleArn,
		},
		"StateMachine": map[string]any{"Id": stateMachineARN(), "Name": testMachine},
	})
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// runOnNode runs scenarios with run-scenarios.mjs and returns its outcomes by
// scenario name.
func runOnNode(t *testing.T, scenarios []scenario) map[string]outcome {
	t.Helper()
	data, err := json.Marshal(scenarios)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "scenarios.json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}

	run := runNode(t, scenarioRunner, path)
	if run.exitCode != 0 {
		t.Fatalf("run-scenarios.mjs exit code %d\n%s", run.exitCode, run.stderr)
	}
	var results []outcome
	dec := json.NewDecoder(bytes.NewReader(run.stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&results); err != nil {
		t.Fatalf("run-scenarios.mjs output: %v\n%s", err, run.stdout)
	}
	byName := make(map[string]outcome, len(results))
	for _, r := range results {
		byName[r.Name] = r
	}
	return byName
}

// runOnEngine runs sc on the local engine with handlers scripted like the
// Node side's, redrives it up to redrives times while it ends FAILED, and
// reads the outcome from the execution's history.
func runOnEngine(t *testing.T, sc scenario, redrives int) outcome {
	t.Helper()
	out := outcome{
		Name:    sc.Name,
		Retries: map[string]int{},
		Calls:   map[string]int{},
		Inputs:  map[string][]json.RawMessage{},
	}
	var mu sync.Mutex
	handler := func(ctx context.Context, input json.RawMessage) (json.RawMessage, error) {
		info, ok := engine.TaskInfoFromContext(ctx)
		if !ok {
			return nil, fmt.Errorf("conformance: handler context has no TaskInfo")
		}
		mu.Lock()
		n := out.Calls[info.StateName]
		out.Calls[info.StateName]++
		out.Inputs[info.StateName] = append(out.Inputs[info.StateName],
			slices.Clone(input))
		mu.Unlock()

		script := sc.Responses[info.StateName]
		if len(script) == 0 {
			return nil, &engine.TaskError{Name: unscripted,
				Cause: "no scripted response for state " + info.StateName}
		}
		r := script[min(n, len(script)-1)]
		if r.DelayMs > 0 {
			select {
			case <-time.After(time.Duration(r.DelayMs) * time.Millisecond):
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		if r.goErr != nil {
			return nil, r.goErr
		}
		if r.Error != "" {
			return nil, &engine.TaskError{Name: r.Error, Cause: r.Cause}
		}
		return r.Output, nil
	}
	handlers := map[string]engine.Handler{}
	for _, arn := range testARNs {
		handlers[arn] = handler
	}

	m, err := engine.Load(sc.Definition, handlers,
		engine.WithRegion(testRegion), engine.WithAccount(testAccount),
		engine.WithName(testMachine), engine.WithRoleArn(testRoleArn),
		engine.WithTimeScale(0), engine.WithTimeoutScale(engineTimeoutScale))
	if err != nil {
		t.Fatalf("engine.Load: %v", err)
	}
	defer m.Close()
	desc, err := m.Run(t.Context(), sc.Name, sc.Input)
	if err != nil {
		t.Fatalf("engine Run: %v", err)
	}
	if want := executionARN(sc.Name); desc.ExecutionArn != want {
		t.Errorf("engine execution ARN = %s, want %s", desc.ExecutionArn, want)
	}
	for range redrives {
		if desc.Status != engine.StatusFailed {
			break
		}
		if err := m.Redrive(t.Context(), desc.ExecutionArn); err != nil {
			t.Fatalf("engine Redrive: %v", err)
		}
		if desc, err = m.Wait(t.Context(), desc.ExecutionArn); err != nil {
			t.Fatalf("engine Wait: %v", err)
		}
	}
	history, err := m.History(desc.ExecutionArn)
	if err != nil {
		t.Fatalf("engine History: %v", err)
	}

	// A handler that timed out may still be running: the engine does not
	// wait for it, so only mu orders its writes before these reads.
	mu.Lock()
	defer mu.Unlock()
	out.Status = string(desc.Status)
	out.Output = desc.Output
	out.Error, out.Cause = desc.Error, desc.Cause
	readHistory(t, history, &out)
	return out
}

// readHistory fills in the states entered and exited and the retries from an
// engine history, and checks that each Lambda call is recorded the way AWS
// records a Task whose Resource is a Lambda function ARN.
func readHistory(t *testing.T, history []engine.Event, out *outcome) {
	t.Helper()
	entries := map[string]int{}
	scheduled := map[string]int{}
	var current string
	for _, ev := range history {
		switch {
		case strings.HasSuffix(string(ev.Type), "StateEntered"):
			current = ev.StateName()
			out.States = append(out.States, current)
			entries[current]++
		case strings.HasSuffix(string(ev.Type), "StateExited"):
			out.Exited = append(out.Exited, exited{Name: ev.StateName(),
				Output: json.RawMessage(ev.StateExited.Output)})
		case ev.Type == engine.LambdaFunctionScheduled:
			scheduled[current]++
		case ev.Type == engine.TaskScheduled:
			t.Errorf("engine history: %s recorded TaskScheduled; AWS records "+
				"LambdaFunctionScheduled for a Lambda function ARN", current)
		}
	}
	for state, n := range scheduled {
		if n > entries[state] {
			out.Retries[state] = n - entries[state]
		}
	}
	for state, calls := range out.Calls {
		if scheduled[state] != calls {
			t.Errorf("engine history: %s has %d LambdaFunctionScheduled events for %d calls",
				state, scheduled[state], calls)
		}
	}
}

// checkWant checks one runtime's outcome against what AWS's documented
// semantics give the scenario.
func checkWant(t *testing.T, runtime string, c conformanceCase, got outcome) {
	t.Helper()
	if !slices.Equal(got.States, c.wantStates) {
		t.Errorf("%s: states entered = %v, want %v", runtime, got.States, c.wantStates)
	}
	if !maps.Equal(got.Calls, c.wantCalls) {
		t.Errorf("%s: handler calls = %v, want %v", runtime, got.Calls, c.wantCalls)
	}
	if got.Status != c.wantStatus || got.Error != c.wantError || got.Cause != c.wantCause {
		t.Errorf("%s: ended %s error=%q cause=%q, want %s error=%q cause=%q", runtime,
			got.Status, got.Error, got.Cause, c.wantStatus, c.wantError, c.wantCause)
	}
	if c.wantOutput != nil {
		want, err := json.Marshal(c.wantOutput)
		if err != nil {
			t.Fatal(err)
		}
		if !jsonEqual(got.Output, want) {
			t.Errorf("%s: output = %s, want %s", runtime, compact(got.Output), want)
		}
	}
}

// stepInputs are the shared/stepio types that each Task state's Lambda decodes
// its input into.
var stepInputs = map[string]func() any{
	"Fetch":           func() any { return new(stepio.FetchInput) },
	"Resize":          func() any { return new(stepio.ResizeInput) },
	"Persist":         func() any { return new(stepio.PersistInput) },
	"RecordRejection": func() any { return new(stepio.PersistInput) },
	"Notify":          func() any { return new(stepio.NotifyInput) },
	"NotifyRejection": func() any { return new(stepio.NotifyInput) },
}

// checkStepInputs checks that every handler input of a run decodes into the
// step's input type without unknown fields and carries the execution ARN,
// so that the definition's Parameters and the step contract agree.
func checkStepInputs(t *testing.T, name string, out outcome) {
	t.Helper()
	for state, inputs := range out.Inputs {
		newInput, ok := stepInputs[state]
		if !ok {
			t.Errorf("no step input type for state %s", state)
			continue
		}
		for i, input := range inputs {
			v := newInput()
			dec := json.NewDecoder(bytes.NewReader(input))
			dec.DisallowUnknownFields()
			if err := dec.Decode(v); err != nil {
				t.Errorf("%s call %d: input %s does not decode into %T: %v",
					state, i+1, compact(input), v, err)
				continue
			}
			var arn struct {
				ExecutionArn string `json:"executionArn"`
				Image        struct {
					ExecutionArn string `json:"executionArn"`
				} `json:"image"`
			}
			_ = json.Unmarshal(input, &arn)
			got := arn.ExecutionArn
			if got == "" {
				got = arn.Image.ExecutionArn // Resize has it only in the image
			}
			if got != executionARN(name) {
				t.Errorf("%s call %d: execution ARN %q, want %q", state, i+1, got,
					executionARN(name))
			}
		}
	}
}

// compareOutcomes checks that the engine did what aws-local-stepfunctions did.
func compareOutcomes(t *testing.T, local, fromEngine outcome) {
	t.Helper()
	if !slices.Equal(fromEngine.States, local.States) {
		t.Errorf("states entered: engine %v, aws-local-stepfunctions %v",
			fromEngine.States, local.States)
	}
	if !maps.Equal(fromEngine.Calls, local.Calls) {
		t.Errorf("handler calls: engine %v, aws-local-stepfunctions %v",
			fromEngine.Calls, local.Calls)
	}
	if !maps.Equal(fromEngine.Retries, local.Retries) {
		t.Errorf("retries: engine %v, aws-local-stepfunctions %v",
			fromEngine.Retries, local.Retries)
	}
	for state, inputs := range local.Inputs {
		got := fromEngine.Inputs[state]
		for i := range max(len(inputs), len(got)) {
			if i >= len(inputs) || i >= len(got) || !jsonEqual(got[i], inputs[i]) {
				t.Errorf("%s call %d input:\nengine                  %s\n"+
					"aws-local-stepfunctions %s", state, i+1, at(got, i), at(inputs, i))
			}
		}
	}
	if len(fromEngine.Exited) != len(local.Exited) {
		t.Errorf("states exited: engine %d, aws-local-stepfunctions %d",
			len(fromEngine.Exited), len(local.Exited))
	}
	for i := range min(len(fromEngine.Exited), len(local.Exited)) {
		g, w := fromEngine.Exited[i], local.Exited[i]
		if g.Name != w.Name || !jsonEqual(g.Output, w.Output) {
			t.Errorf("state exit %d:\nengine                  %s %s\n"+
				"aws-local-stepfunctions %s %s", i+1, g.Name, compact(g.Output),
				w.Name, compact(w.Output))
		}
	}
	if fromEngine.Status != local.Status || fromEngine.Error != local.Error ||
		fromEngine.Cause != local.Cause {
		t.Errorf("end: engine %s %q %q, aws-local-stepfunctions %s %q %q",
			fromEngine.Status, fromEngine.Error, fromEngine.Cause,
			local.Status, local.Error, local.Cause)
	}
	if !jsonEqual(fromEngine.Output, local.Output) {
		t.Errorf("output:\nengine                  %s\naws-local-stepfunctions %s",
			compact(fromEngine.Output), compact(local.Output))
	}
}

// jsonEqual reports whether a and b hold the same JSON value; an empty
// message is null.
func jsonEqual(a, b json.RawMessage) bool {
	var va, vb any
	if len(a) == 0 {
		a = json.RawMessage("null")
	}
	if len(b) == 0 {
		b = json.RawMessage("null")
	}
	if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil {
		return false
	}
	return reflect.DeepEqual(va, vb)
}

// at returns msgs[i] compacted, or "(none)" past its end.
func at(msgs []json.RawMessage, i int) string {
	if i < len(msgs) {
		return compact(msgs[i])
	}
	return "(none)"
}

// compact returns msg on one line.
func compact(msg json.RawMessage) string {
	var buf bytes.Buffer
	if json.Compact(&buf, msg) != nil {
		return string(msg)
	}
	return buf.String()
}
