package recordfailure_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/imagepipe/imagepipe/shared/awsconfig"
	"github.com/imagepipe/imagepipe/shared/localstack"
	"github.com/imagepipe/imagepipe/shared/metadata"
	"github.com/imagepipe/imagepipe/shared/notification"
	"github.com/imagepipe/imagepipe/shared/stepio"
	"github.com/imagepipe/imagepipe/steps/recordfailure"
)

func fixture(t *testing.T, mutate func(d map[string]any)) events.CloudWatchEvent {
	t.Helper()
	raw, err := os.ReadFile("testdata/failed-at-resize.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if mutate != nil {
		mutate(doc["detail"].(map[string]any))
	}
	raw, _ = json.Marshal(doc)
	var ev events.CloudWatchEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

// newRecorder returns a recorder over a fresh local stack, its store, and
// the stack.
func newRecorder(t *testing.T) (*recordfailure.Handler, *metadata.Store, *localstack.Stack) {
	t.Helper()
	ctx := context.Background()
	stack, err := localstack.Start(ctx, localstack.Options{
		OriginalsBucket: "imagepipe-originals",
		Logger:          slog.New(slog.NewJSONHandler(t.Output(), nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stack.Close() })
	stack.Setenv(t)
	cfg, err := awsconfig.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	store := metadata.NewStore(dynamodb.NewFromConfig(cfg), stack.TableName)
	pub := notification.NewPublisher(sns.NewFromConfig(cfg), stack.TopicARN)
	return recordfailure.New(store, pub, slog.New(slog.NewJSONHandler(t.Output(), nil))),
		store, stack
}

func TestRecorder(t *testing.T) {
	cases := []struct {
		name     string
		stored   *metadata.Item // written before the event, when set
		mutate   func(d map[string]any)
		events   int // how often the event is delivered
		want     recordfailure.Outcome
		status   string // the item's status afterwards, "" for no item
		reason   string
		messages int
	}{
		{"failed after retries", nil, nil, 1, recordfailure.Recorded, stepio.StatusFailed,
			"processing failed after retries: DependencyUnavailable: s3 PutObject", 1},
		{"delivered twice, recorded once", nil, nil, 2, recordfailure.Unchanged,
			stepio.StatusFailed, "DependencyUnavailable", 1},
		{"timed out", nil, func(d map[string]any) { d["status"] = "TIMED_OUT" }, 1,
			recordfailure.Recorded, stepio.StatusFailed, "timed out", 1},
		{"aborted", nil, func(d map[string]any) { d["status"] = "ABORTED" }, 1,
			recordfailure.Recorded, stepio.StatusFailed, "stopped by hand", 1},
		{"rejection already recorded by its branch", nil, func(d map[string]any) {
			d["error"] = "ImageRejected"
		}, 1, recordfailure.Ignored, "", "", 0},
		{"rejection whose announcement failed keeps its reason", &metadata.Item{
			ImageID: "img-1", UserID: "user-1", Status: stepio.StatusFailed,
			OriginalS3Key: "user-uploads/user-1/img-1.jpg", Sequencer: "0A1B",
			Reason:       "the file is a PDF document, not a supported image",
			ExecutionArn: "arn:aws:states:us-east-1:000000000000:execution:imagepipe:9a4d3e0c",
		}, func(d map[string]any) {
			d["cause"] = `{"errorMessage":"sns Publish: throttled","errorType":"DependencyUnavailable"}`
		}, 2, recordfailure.Unchanged, stepio.StatusFailed, "PDF document", 1},
		{"success is not a failure", nil, func(d map[string]any) {
			d["status"], d["error"], d["cause"] = "SUCCEEDED", nil, nil
		}, 1, recordfailure.Ignored, "", "", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			h, store, stack := newRecorder(t)
			if c.stored != nil {
				if _, err := store.Write(ctx, *c.stored); err != nil {
					t.Fatal(err)
				}
			}

			var got recordfailure.Outcome
			var err error
			for range c.events {
				if got, err = h.Handle(ctx, fixture(t, c.mutate)); err != nil {
					t.Fatal(err)
				}
			}
			if got != c.want {
				t.Errorf("outcome %s, want %s", got, c.want)
			}
			it, found, err := store.Get(ctx, "img-1")
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case c.status == "" && found:
				t.Errorf("an item was written: %+v", it)
			case c.status != "" && (!found || it.Status != c.status ||
				!strings.Contains(it.Reason, c.reason) || it.UserID != "user-1" ||
				!it.Notified):
				t.Errorf("item %+v, want %s with %q", it, c.status, c.reason)
			}
			msgs, err := stack.TopicMessages(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(msgs) != c.messages {
				t.Errorf("%d messages, want %d", len(msgs), c.messages)
			}
		})
	}
}

// An execution that ran out of time inside Notify, holding the announcement
// of the DONE it stored, gives it back when it ends: the item stays DONE, no
// failure message goes out, and a new execution may announce the DONE.
func TestEndedExecutionGivesItsAnnouncementBack(t *testing.T) {
	ctx := context.Background()
	h, store, stack := newRecorder(t)
	const exec = "arn:aws:states:us-east-1:000000000000:execution:imagepipe:9a4d3e0c"
	done := metadata.Item{
		ImageID: "img-1", UserID: "user-1", Status: stepio.StatusDone,
		OriginalS3Key: "user-uploads/user-1/img-1.jpg", Sequencer: "0A1B",
		ProcessedS3Key: "processed/img-1.jpg", ExecutionArn: exec,
	}
	if _, err := store.Write(ctx, done); err != nil {
		t.Fatal(err)
	}
	ok, err := store.ClaimAnnouncement(ctx, "img-1", stepio.StatusDone, "0A1B", exec)
	if err != nil || !ok {
		t.Fatalf("claim: %v, %v", ok, err)
	}

	got, err := h.Handle(ctx, fixture(t, func(d map[string]any) {
		d["executionArn"], d["error"], d["cause"] = exec, "States.Timeout", nil
	}))
	if err != nil || got != recordfailure.Unchanged {
		t.Fatalf("outcome %s, %v; want %s", got, err, recordfailure.Unchanged)
	}
	if it, _, _ := store.Get(ctx, "img-1"); it.Status != stepio.StatusDone ||
		it.AnnouncedBy != "" {
		t.Errorf("item %s announced by %q, want DONE and unclaimed", it.Status, it.AnnouncedBy)
	}
	if ok, err := store.ClaimAnnouncement(ctx, "img-1", stepio.StatusDone, "0A1B",
		exec+"-replay-1"); err != nil || !ok {
		t.Errorf("a new execution's claim: %v, %v; want it granted", ok, err)
	}
	if msgs, err := stack.TopicMessages(ctx); err != nil || len(msgs) != 0 {
		t.Errorf("%d messages, %v; want none", len(msgs), err)
	}
}
