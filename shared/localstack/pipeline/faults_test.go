package pipeline_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/imagepipe/imagepipe/shared/localstack"
	"github.com/imagepipe/imagepipe/shared/localstack/faults"
	"github.com/imagepipe/imagepipe/shared/localstack/pipeline"
	"github.com/imagepipe/imagepipe/shared/objectkey"
	"github.com/imagepipe/imagepipe/shared/stepio"
	"github.com/imagepipe/imagepipe/statemachine/engine"
)

// faulty starts a pipeline whose Lambdas reach the emulators through
// fault-injecting proxies, with the SDK making two attempts per call.
func faulty(t *testing.T) (*pipeline.Pipeline, context.Context) {
	return start(t, pipeline.Options{Stack: localstack.Options{InjectFaults: true, MaxAttempts: 2}})
}

func TestTransientFaultsAreRetriedToDone(t *testing.T) {
	cases := []struct {
		name   string
		inject func(f *localstack.Faults)
		state  string // the state whose retry absorbs the fault
	}{
		{"S3 503 on the header read", func(f *localstack.Faults) {
			// Two fail the first attempt's SDK tries; the third fails the
			// retry's first try, which its second try survives.
			f.S3.FailNext("GetObject", 3, faults.Fault{Kind: faults.Unavailable})
		}, "Fetch"},
		{"S3 503 on a rendition write", func(f *localstack.Faults) {
			f.S3.FailNext("PutObject", 2, faults.Fault{Kind: faults.Unavailable})
		}, "Resize"},
		{"DynamoDB throttling", func(f *localstack.Faults) {
			f.DynamoDB.FailNext(faults.AnyOperation, 2, faults.Fault{Kind: faults.Throttle})
		}, "Persist"},
		{"SNS throttling", func(f *localstack.Faults) {
			f.SNS.FailNext("Publish", 2, faults.Fault{Kind: faults.Throttle})
		}, "Notify"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, ctx := faulty(t)
			c.inject(p.Stack.Faults)
			id := uuid.NewString()
			upload(t, ctx, p, objectkey.OriginalKey("user-1", id, "jpg"), sample(t, "photo.jpg"))

			execs := idle(t, ctx, p)
			if len(execs) != 1 || execs[0].Status != engine.StatusSucceeded {
				t.Fatalf("executions %+v, want one SUCCEEDED", execs)
			}
			_, attempts := visits(t, p, execs[0].ExecutionArn)
			if attempts[c.state] != 2 {
				t.Errorf("%s ran %d times, want 2 (one retry)", c.state, attempts[c.state])
			}
			if it := item(t, ctx, p, id); it.Status != stepio.StatusDone || it.Attempts != 1 {
				t.Errorf("item %s after %d attempts, want DONE after 1", it.Status, it.Attempts)
			}
			if msgs := messages(t, ctx, p); len(msgs) != 1 {
				t.Errorf("%d messages, want 1", len(msgs))
			}
		})
	}
}

// A dependency that stays down fails the execution at the task that needed
// it; the recorder marks the image FAILED; once the dependency is back, a
// redrive — or a new execution with the same input — ends DONE, and the user
// has had exactly one failure and one success message.
func TestExhaustedRetriesFailAtTheTaskThenRecover(t *testing.T) {
	for _, recovery := range []string{"redrive", "new execution"} {
		t.Run(recovery, func(t *testing.T) {
			p, ctx := faulty(t)
			p.Stack.Faults.S3.FailUntilCleared("PutObject", faults.Fault{Kind: faults.Unavailable})
			id := uuid.NewString()
			upload(t, ctx, p, objectkey.OriginalKey("user-1", id, "jpg"), sample(t, "photo.jpg"))

			execs := idle(t, ctx, p)
			if len(execs) != 1 {
				t.Fatalf("%d executions", len(execs))
			}
			failed := execs[0]
			if failed.Status != engine.StatusFailed || failed.Error != "DependencyUnavailable" {
				t.Fatalf("execution %s %s, want FAILED DependencyUnavailable",
					failed.Status, failed.Error)
			}
			states, attempts := visits(t, p, failed.ExecutionArn)
			if states[len(states)-1] != "Resize" || attempts["Resize"] != 7 {
				t.Errorf("states %v, Resize ran %d times; want to end at Resize after 7",
					states, attempts["Resize"])
			}
			it := item(t, ctx, p, id)
			if it.Status != stepio.StatusFailed ||
				!strings.Contains(it.Reason, "DependencyUnavailable") {
				t.Errorf("item %s %q, want FAILED by the recorder", it.Status, it.Reason)
			}
			if msgs := messages(t, ctx, p); len(msgs) != 1 ||
				msgs[0].Attributes["status"].Value != stepio.StatusFailed {
				t.Fatalf("messages %+v, want one failure", msgs)
			}

			p.Stack.Faults.Clear()
			end := replay(t, ctx, p, recovery, failed)
			arn := end.ExecutionArn
			if end.Status != engine.StatusSucceeded {
				t.Fatalf("after %s: %+v", recovery, end)
			}
			idle(t, ctx, p)

			it = item(t, ctx, p, id)
			if it.Status != stepio.StatusDone || it.Reason != "" || it.Attempts != 2 ||
				it.ExecutionArn != arn {
				t.Errorf("item %+v, want DONE by %s", it, arn)
			}
			if recovery == "redrive" {
				_, attempts = visits(t, p, arn)
				if attempts["Fetch"] != 1 {
					t.Errorf("the redrive ran Fetch again (%d times)", attempts["Fetch"])
				}
			}
			var statuses []string
			for _, m := range messages(t, ctx, p) {
				statuses = append(statuses, m.Attributes["status"].Value)
			}
			if !slices.Equal(statuses, []string{stepio.StatusFailed, stepio.StatusDone}) {
				t.Errorf("messages %v, want one FAILED then one DONE", statuses)
			}
			if keys := processedKeys(t, ctx, p, id); len(keys) != 3 {
				t.Errorf("processed keys %v, want the three variants", keys)
			}
		})
	}
}

// S3 and the pipe deliver at least once: the same event three times leaves
// one item, one set of renditions and one message.
func TestDuplicatedEventChangesNothing(t *testing.T) {
	p, ctx := start(t, pipeline.Options{})
	id := uuid.NewString()
	upload(t, ctx, p, objectkey.OriginalKey("user-1", id, "jpg"), sample(t, "photo.jpg"))
	first := idle(t, ctx, p)
	if len(first) != 1 {
		t.Fatalf("%d executions", len(first))
	}
	body := sqsBody(t, first[0].Input)
	for range 2 {
		if _, err := p.Stack.SendRaw(ctx, body); err != nil {
			t.Fatal(err)
		}
	}

	execs := idle(t, ctx, p)
	if len(execs) != 3 {
		t.Fatalf("%d executions, want 3", len(execs))
	}
	for _, e := range execs {
		if e.Status != engine.StatusSucceeded {
			t.Errorf("execution %s %s", e.Status, e.Error)
		}
	}
	if it := item(t, ctx, p, id); it.Status != stepio.StatusDone || it.Attempts != 1 ||
		it.ExecutionArn != first[0].ExecutionArn {
		t.Errorf("item %+v, want the first execution's DONE", it)
	}
	if ids, _ := p.Store.IDs(ctx); len(ids) != 1 {
		t.Errorf("items %v, want one", ids)
	}
	if keys := processedKeys(t, ctx, p, id); len(keys) != 3 {
		t.Errorf("processed keys %v, want the three variants once", keys)
	}
	if msgs := messages(t, ctx, p); len(msgs) != 1 {
		t.Errorf("%d messages, want 1", len(msgs))
	}
}

// replay redrives failed, or starts a new execution with its input, as an
// operator would, and returns how that ended.
func replay(t *testing.T, ctx context.Context, p *pipeline.Pipeline, recovery string,
	failed engine.Description) engine.Description {
	t.Helper()
	arn := failed.ExecutionArn
	if recovery == "redrive" {
		if err := p.Machine.Redrive(ctx, arn); err != nil {
			t.Fatal(err)
		}
	} else {
		var err error
		if arn, err = p.Machine.Start(ctx, "", failed.Input); err != nil {
			t.Fatal(err)
		}
	}
	end, err := p.Machine.Wait(ctx, arn)
	if err != nil {
		t.Fatal(err)
	}
	return end
}

// SNS down past the announcing task's retries: the execution fails at that
// task with its outcome stored but unannounced. Once SNS is back, a redrive
// or a new execution with the same input sends the one message — for a
// processed image (Notify) as for a rejected one (NotifyRejection) — and a
// later duplicate of the event sends nothing more.
func TestFailedAnnouncementIsMadeByTheReplay(t *testing.T) {
	cases := []struct {
		name, ext string
		content   []byte
		status    string
		task      string
	}{
		{"processed", "jpg", sample(t, "photo.jpg"), stepio.StatusDone, "Notify"},
		{"rejected", "jpg", []byte("not a picture"), stepio.StatusFailed, "NotifyRejection"},
	}
	for _, c := range cases {
		for _, recovery := range []string{"redrive", "new execution"} {
			t.Run(c.name+"/"+recovery, func(t *testing.T) {
				p, ctx := faulty(t)
				p.Stack.Faults.SNS.FailUntilCleared("Publish",
					faults.Fault{Kind: faults.Unavailable})
				id := uuid.NewString()
				upload(t, ctx, p, objectkey.OriginalKey("user-1", id, c.ext), c.content)

				execs := idle(t, ctx, p)
				if len(execs) != 1 {
					t.Fatalf("%d executions", len(execs))
				}
				failed := execs[0]
				states, attempts := visits(t, p, failed.ExecutionArn)
				if failed.Status != engine.StatusFailed ||
					failed.Error != "DependencyUnavailable" ||
					states[len(states)-1] != c.task || attempts[c.task] != 7 {
					t.Fatalf("execution %s %s, states %v, %s ran %d times; "+
						"want FAILED at %s after 7", failed.Status, failed.Error, states,
						c.task, attempts[c.task], c.task)
				}
				if it := item(t, ctx, p, id); it.Status != c.status || it.Notified {
					t.Errorf("item %s notified=%v, want %s unannounced",
						it.Status, it.Notified, c.status)
				}
				if msgs := messages(t, ctx, p); len(msgs) != 0 {
					t.Fatalf("%d messages while SNS is down", len(msgs))
				}

				p.Stack.Faults.Clear()
				end := replay(t, ctx, p, recovery, failed)
				if c.status == stepio.StatusDone && end.Status != engine.StatusSucceeded ||
					c.status == stepio.StatusFailed && end.Error != "ImageRejected" {
					t.Fatalf("after %s: %s %s", recovery, end.Status, end.Error)
				}
				if _, err := p.Stack.SendRaw(ctx, sqsBody(t, failed.Input)); err != nil {
					t.Fatal(err)
				}
				idle(t, ctx, p)

				msgs := messages(t, ctx, p)
				if len(msgs) != 1 || msgs[0].Attributes["status"].Value != c.status {
					t.Fatalf("messages %+v, want one %s", msgs, c.status)
				}
				if it := item(t, ctx, p, id); it.Status != c.status || !it.Notified ||
					it.Attempts != 1 {
					t.Errorf("item %s notified=%v after %d attempts, "+
						"want %s announced after 1", it.Status, it.Notified, it.Attempts, c.status)
				}
			})
		}
	}
}

// Duplicated deliveries that run side by side still send one message: the
// three executions enter Notify together and one of them claims the
// announcement.
func TestDuplicatesRunningTogetherSendOneMessage(t *testing.T) {
	const copies = 3
	arrived, release := make(chan struct{}, copies), make(chan struct{})
	p, ctx := start(t, pipeline.Options{
		WrapTask: func(function string, h engine.Handler) engine.Handler {
			if function != "notify" {
				return h
			}
			return func(c context.Context, in json.RawMessage) (json.RawMessage, error) {
				arrived <- struct{}{}
				select {
				case <-release:
				case <-c.Done():
					return nil, c.Err()
				}
				return h(c, in)
			}
		}})
	id := uuid.NewString()
	upload(t, ctx, p, objectkey.OriginalKey("user-1", id, "jpg"), sample(t, "photo.jpg"))
	wait := func() {
		t.Helper()
		select {
		case <-arrived:
		case <-ctx.Done():
			t.Fatal("no execution reached Notify")
		}
	}
	wait()
	running, err := p.Machine.List(engine.ListFilter{Status: engine.StatusRunning})
	if err != nil || len(running) != 1 {
		t.Fatalf("running %+v, %v; want the first execution", running, err)
	}
	body := sqsBody(t, running[0].Input)
	for range copies - 1 {
		if _, err := p.Stack.SendRaw(ctx, body); err != nil {
			t.Fatal(err)
		}
	}
	for range copies - 1 {
		wait()
	}
	close(release)

	execs := idle(t, ctx, p)
	if len(execs) != copies {
		t.Fatalf("%d executions, want %d", len(execs), copies)
	}
	for _, e := range execs {
		if e.Status != engine.StatusSucceeded {
			t.Errorf("execution %s %s", e.Status, e.Error)
		}
	}
	if msgs := messages(t, ctx, p); len(msgs) != 1 {
		t.Errorf("%d messages, want 1", len(msgs))
	}
	if it := item(t, ctx, p, id); it.Status != stepio.StatusDone || it.Attempts != 1 ||
		!it.Notified {
		t.Errorf("item %+v, want DONE once and announced", it)
	}
}
