package metadata_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/truora/minidyn/server"

	"github.com/imagepipe/imagepipe/shared/metadata"
	"github.com/imagepipe/imagepipe/shared/stepio"
)

func newStore(t *testing.T) *metadata.Store {
	t.Helper()
	srv := httptest.NewServer(server.NewServer())
	t.Cleanup(srv.Close)
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("k", "s", "")))
	if err != nil {
		t.Fatal(err)
	}
	client := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(srv.URL)
	})
	if _, err := client.CreateTable(ctx, metadata.CreateTableInput("images")); err != nil {
		t.Fatal(err)
	}
	return metadata.NewStore(client, "images")
}

func item(status, seq, exec string) metadata.Item {
	it := metadata.Item{
		ImageID: "img1", UserID: "u1", OriginalS3Key: "user-uploads/u1/img1.jpg",
		Status: status, Sequencer: seq, ExecutionArn: exec,
	}
	if status == stepio.StatusDone {
		it.ProcessedS3Key = "processed/img1.jpg"
		it.Width, it.Height, it.Format, it.Bytes = 640, 480, "jpeg", 1234
		it.Variants = []stepio.Variant{{Name: "large", Key: "processed/img1.jpg"}}
	} else {
		it.Reason = "no good"
	}
	return it
}

// Each case writes a sequence of outcomes for one image and checks which
// writes changed the item and what it finally holds.
func TestWriteIsIdempotentAndOrdered(t *testing.T) {
	const done, failed = stepio.StatusDone, stepio.StatusFailed
	cases := []struct {
		name        string
		writes      []metadata.Item
		changed     []bool
		wantStatus  string
		wantExec    string
		wantAttempt int
	}{
		{"first write", []metadata.Item{item(done, "0A", "e1")}, []bool{true}, done, "e1", 1},
		{"duplicated event, other execution",
			[]metadata.Item{item(done, "0A", "e1"), item(done, "0A", "e2"), item(done, "A", "e3")},
			[]bool{true, false, false}, done, "e1", 1},
		{"retry inside one execution rewrites",
			[]metadata.Item{item(done, "0A", "e1"), item(done, "0A", "e1")},
			[]bool{true, true}, done, "e1", 2},
		{"failure then redrive to done",
			[]metadata.Item{item(failed, "0A", "e1"), item(done, "0A", "e1")},
			[]bool{true, true}, done, "e1", 2},
		{"failure never replaces done",
			[]metadata.Item{item(done, "0A", "e1"), item(failed, "0A", "e2")},
			[]bool{true, false}, done, "e1", 1},
		{"second failure of another execution is the same outcome",
			[]metadata.Item{item(failed, "0A", "e1"), item(failed, "0A", "e2")},
			[]bool{true, false}, failed, "e1", 1},
		{"older sequencer never overwrites newer",
			[]metadata.Item{item(done, "0B", "e2"), item(done, "0A", "e1")},
			[]bool{true, false}, done, "e2", 1},
		{"newer sequencer replaces older, compared padded",
			[]metadata.Item{item(done, "FF", "e1"), item(failed, "100", "e2")},
			[]bool{true, true}, failed, "e2", 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			store := newStore(t)
			ctx := context.Background()
			for i, w := range c.writes {
				changed, err := store.Write(ctx, w)
				if err != nil {
					t.Fatalf("write %d: %v", i, err)
				}
				if changed != c.changed[i] {
					t.Errorf("write %d changed = %v, want %v", i, changed, c.changed[i])
				}
			}
			got, found, err := store.Get(ctx, "img1")
			if err != nil || !found {
				t.Fatalf("Get = %v, %v", found, err)
			}
			if got.Status != c.wantStatus || got.ExecutionArn != c.wantExec ||
				got.Attempts != c.wantAttempt {
				t.Errorf("item = %s/%s/%d, want %s/%s/%d", got.Status, got.ExecutionArn,
					got.Attempts, c.wantStatus, c.wantExec, c.wantAttempt)
			}
			if got.Status == failed && (got.ProcessedS3Key != "" || len(got.Variants) > 0) {
				t.Errorf("FAILED item keeps renditions: %+v", got)
			}
			if got.Status == done && got.Reason != "" {
				t.Errorf("DONE item keeps a reason: %q", got.Reason)
			}
			if len(got.LastModified) != len("2006-01-02T15:04:05Z") {
				t.Errorf("lastModified = %q, want RFC 3339 UTC", got.LastModified)
			}
		})
	}
}

// An outcome's announcement is held by one execution at a time, given back
// when its publish failed, and closed once made; a new outcome opens it again.
func TestAnnouncementIsClaimedOnce(t *testing.T) {
	const done, failed = stepio.StatusDone, stepio.StatusFailed
	ctx := context.Background()
	store := newStore(t)
	claim := func(status, seq, exec string, want bool) {
		t.Helper()
		got, err := store.ClaimAnnouncement(ctx, "img1", status, seq, exec)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("claim %s/%s by %s = %v, want %v", status, seq, exec, got, want)
		}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	claim(done, "0A", "e1", false) // no item yet
	if _, found, _ := store.Get(ctx, "img1"); found {
		t.Fatal("a claim created the item")
	}
	if _, err := store.Write(ctx, item(done, "0A", "e1")); err != nil {
		t.Fatal(err)
	}
	claim(failed, "0A", "e1", false)                   // not the stored outcome
	claim(done, "0B", "e1", false)                     // not the stored upload
	claim(done, "0A", "e2", true)                      // a duplicate may announce what e1 stored
	claim(done, "0A", "e1", false)                     // but only one at a time
	claim(done, "0A", "e2", true)                      // a retry gets its claim back
	must(store.ReleaseAnnouncement(ctx, "img1", "e1")) // not e1's: no effect
	claim(done, "0A", "e1", false)
	must(store.ReleaseAnnouncement(ctx, "img1", "e2")) // e2's publish failed
	claim(done, "A", "e1", true)                       // compared padded
	must(store.MarkNotified(ctx, "img1", "e2"))        // not e2's claim: no effect
	must(store.MarkNotified(ctx, "img1", "e1"))
	must(store.ReleaseAnnouncement(ctx, "img1", "e1")) // made: stays made
	claim(done, "0A", "e1", false)
	claim(done, "0A", "e3", false)
	got, _, err := store.Get(ctx, "img1")
	if err != nil || !got.Notified || got.AnnouncedBy != "e1" {
		t.Fatalf("item %+v, %v; want announced by e1", got, err)
	}

	// A newer upload's outcome is announced afresh.
	if changed, err := store.Write(ctx, item(failed, "0C", "e4")); err != nil || !changed {
		t.Fatalf("write: %v, %v", changed, err)
	}
	if got, _, _ := store.Get(ctx, "img1"); got.Notified || got.AnnouncedBy != "" {
		t.Errorf("new outcome keeps the old announcement: %+v", got)
	}
	claim(done, "0A", "e1", false)
	claim(failed, "0C", "e4", true)
}
