package pipeline_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/jpeg"
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/logging"
	"github.com/google/uuid"

	"github.com/imagepipe/imagepipe/shared/localstack"
	"github.com/imagepipe/imagepipe/shared/localstack/pipeline"
	"github.com/imagepipe/imagepipe/shared/metadata"
	"github.com/imagepipe/imagepipe/shared/notification"
	"github.com/imagepipe/imagepipe/shared/objectkey"
	"github.com/imagepipe/imagepipe/shared/stepio"
	"github.com/imagepipe/imagepipe/statemachine/engine"
)

func start(t *testing.T, opts pipeline.Options) (*pipeline.Pipeline, context.Context) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewJSONHandler(t.Output(), nil))
	}
	p, err := pipeline.Start(ctx, t, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p, ctx
}

func sample(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// upload puts an object as a user's presigned PUT would: straight to the S3
// emulator, past the fault proxy that stands in front of the Lambdas' S3.
func upload(t *testing.T, ctx context.Context, p *pipeline.Pipeline, key string, data []byte) {
	t.Helper()
	user := s3.New(s3.Options{
		Region: p.Stack.Region, BaseEndpoint: aws.String(p.Stack.Emulators.S3),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider("user", "secret", ""),
		Logger:       logging.Nop{},
	})
	_, err := user.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(p.Stack.OriginalsBucket), Key: aws.String(key),
		Body: bytes.NewReader(data), ContentLength: aws.Int64(int64(len(data))),
	})
	if err != nil {
		t.Fatal(err)
	}
}

func idle(t *testing.T, ctx context.Context, p *pipeline.Pipeline) []engine.Description {
	t.Helper()
	if err := p.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	execs, err := p.Executions()
	if err != nil {
		t.Fatal(err)
	}
	return execs
}

func item(t *testing.T, ctx context.Context, p *pipeline.Pipeline, id string) metadata.Item {
	t.Helper()
	it, found, err := p.Store.Get(ctx, id)
	if err != nil || !found {
		t.Fatalf("item %s: found=%v err=%v", id, found, err)
	}
	return it
}

func messages(t *testing.T, ctx context.Context, p *pipeline.Pipeline) []localstack.TopicMessage {
	t.Helper()
	msgs, err := p.Stack.TopicMessages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

// processedKeys lists the processed bucket under an image's keys.
func processedKeys(t *testing.T, ctx context.Context, p *pipeline.Pipeline, id string) []string {
	t.Helper()
	out, err := p.S3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{
		Bucket: aws.String(p.Stack.ProcessedBucket),
		Prefix: aws.String(objectkey.ProcessedPrefix + id),
	})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	slices.Sort(keys)
	return keys
}

// visits returns the states entered, in order, and how often each task was
// scheduled (1 plus its retries).
func visits(t *testing.T, p *pipeline.Pipeline, arn string) ([]string, map[string]int) {
	t.Helper()
	history, err := p.Machine.History(arn)
	if err != nil {
		t.Fatal(err)
	}
	var states []string
	attempts := map[string]int{}
	current := ""
	for _, ev := range history {
		if strings.HasSuffix(string(ev.Type), "StateEntered") {
			current = ev.StateName()
			states = append(states, current)
		}
		if ev.Type == engine.LambdaFunctionScheduled || ev.Type == engine.TaskScheduled {
			attempts[current]++
		}
	}
	return states, attempts
}

func TestImagesFlowToDone(t *testing.T) {
	p, ctx := start(t, pipeline.Options{})
	cases := []struct {
		file, ext     string
		width, height int // of the original
		variants      map[string][2]int
	}{
		{"photo.jpg", "jpg", 1800, 1012, map[string][2]int{
			"large": {1600, 900}, "medium": {800, 450}, "thumb": {200, 113}}},
		{"dune.png", "png", 360, 0, map[string][2]int{
			"large": {360, 0}, "medium": {360, 0}, "thumb": {200, 0}}},
		{"wood.gif", "gif", 320, 0, map[string][2]int{
			"large": {320, 0}, "medium": {320, 0}, "thumb": {200, 0}}},
	}
	ids := map[string]string{}
	for _, c := range cases {
		ids[c.file] = uuid.NewString()
		upload(t, ctx, p, objectkey.OriginalKey("user-1", ids[c.file], c.ext), sample(t, c.file))
	}

	execs := idle(t, ctx, p)
	if len(execs) != len(cases) {
		t.Fatalf("%d executions, want %d", len(execs), len(cases))
	}
	for _, e := range execs {
		if e.Status != engine.StatusSucceeded {
			t.Errorf("execution %s is %s (%s: %s)", e.Name, e.Status, e.Error, e.Cause)
		}
		states, _ := visits(t, p, e.ExecutionArn)
		want := []string{"Receive", "Fetch", "Resize", "Persist", "Notify"}
		if !slices.Equal(states, want) {
			t.Errorf("states = %v, want %v", states, want)
		}
	}

	for _, c := range cases {
		id := ids[c.file]
		it := item(t, ctx, p, id)
		if it.Status != stepio.StatusDone || it.Reason != "" {
			t.Errorf("%s: status %s reason %q", c.file, it.Status, it.Reason)
		}
		if it.ImageID != id || it.UserID != "user-1" ||
			it.OriginalS3Key != objectkey.OriginalKey("user-1", id, c.ext) ||
			it.ProcessedS3Key != objectkey.PrimaryKey(id) || it.Format == "" ||
			it.Width != c.width || it.Bytes == 0 || it.Sequencer == "" ||
			!strings.Contains(it.ExecutionArn, ":execution:") || it.Attempts != 1 {
			t.Errorf("%s: item %+v", c.file, it)
		}
		if _, err := time.Parse(time.RFC3339, it.LastModified); err != nil {
			t.Errorf("%s: lastModified %q: %v", c.file, it.LastModified, err)
		}
		checkVariants(t, ctx, p, it, c.variants)
	}

	msgs := messages(t, ctx, p)
	if len(msgs) != len(cases) {
		t.Fatalf("%d messages, want %d", len(msgs), len(cases))
	}
	for _, m := range msgs {
		var body map[string]any
		if err := json.Unmarshal([]byte(m.Message), &body); err != nil {
			t.Fatal(err)
		}
		if m.Attributes["status"].Value != stepio.StatusDone ||
			m.Attributes["userId"].Value != "user-1" || body["status"] != stepio.StatusDone ||
			!strings.Contains(fmt.Sprint(body["executionUrl"]), "console.aws.amazon.com/states") {
			t.Errorf("message %+v", m)
		}
	}
}

// checkVariants reads every rendition back from the processed bucket and
// checks its size; a zero height means "any".
func checkVariants(t *testing.T, ctx context.Context, p *pipeline.Pipeline, it metadata.Item,
	want map[string][2]int) {
	t.Helper()
	if len(it.Variants) != len(want) {
		t.Fatalf("%s: variants %+v", it.ImageID, it.Variants)
	}
	var keys []string
	for i, v := range it.Variants {
		keys = append(keys, v.Key)
		if i == 0 && v.Key != objectkey.PrimaryKey(it.ImageID) {
			t.Errorf("primary rendition at %s", v.Key)
		}
		obj, err := p.S3.GetObject(ctx, &s3.GetObjectInput{
			Bucket: aws.String(p.Stack.ProcessedBucket), Key: aws.String(v.Key)})
		if err != nil {
			t.Fatalf("%s: %v", v.Key, err)
		}
		cfg, err := jpeg.DecodeConfig(obj.Body)
		obj.Body.Close()
		if err != nil {
			t.Fatalf("%s is not a JPEG: %v", v.Key, err)
		}
		w := want[v.Name]
		if cfg.Width != w[0] || (w[1] != 0 && cfg.Height != w[1]) ||
			cfg.Width != v.Width || cfg.Height != v.Height {
			t.Errorf("%s is %dx%d (recorded %dx%d), want %v", v.Key, cfg.Width, cfg.Height,
				v.Width, v.Height, w)
		}
	}
	slices.Sort(keys)
	if got := processedKeys(t, ctx, p, it.ImageID); !slices.Equal(got, keys) {
		t.Errorf("processed bucket holds %v, want %v", got, keys)
	}
}

// pipeRecords wraps an SQS body as the Pipe delivers it.
func pipeRecords(body string) json.RawMessage {
	rec, _ := json.Marshal([]map[string]any{{
		"messageId": uuid.NewString(), "body": body, "eventSource": "aws:sqs",
		"eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:imagepipe-uploads",
		"awsRegion":      "us-east-1",
	}})
	return rec
}

// s3EventBody is an S3 ObjectCreated event for key, as S3 would send it.
func s3EventBody(bucket, key string) string {
	body, _ := json.Marshal(map[string]any{"Records": []map[string]any{{
		"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
		"eventTime": time.Now().UTC().Format(time.RFC3339), "eventName": "ObjectCreated:Put",
		"s3": map[string]any{
			"s3SchemaVersion": "1.0",
			"bucket":          map[string]any{"name": bucket},
			"object": map[string]any{"key": localstack.EncodeEventKey(key), "size": 1234,
				"eTag": "0123456789abcdef", "sequencer": "0055AED6DCD90281E5"},
		},
	}}})
	return string(body)
}

func TestRejectionsAreRecordedOnce(t *testing.T) {
	photo := sample(t, "photo.jpg")
	truncated := photo[:len(photo)/3]
	cases := []struct {
		name   string
		env    map[string]string
		send   func(ctx context.Context, p *pipeline.Pipeline, id string)
		id     string // the item's id when it is not the upload's imageId
		reason string
		at     string // the state that rejected it
	}{
		{"S3 test event", nil, func(ctx context.Context, p *pipeline.Pipeline, _ string) {
			// The Pipe's filter drops test events; this one got past it.
			body := localstack.TestEventBody(p.Stack.OriginalsBucket, time.Now())
			if _, err := p.Machine.Start(ctx, "", pipeRecords(body)); err != nil {
				t.Fatal(err)
			}
		}, "message:", "S3's test event", "Fetch"},
		{"key outside the layout", nil, func(ctx context.Context, p *pipeline.Pipeline, id string) {
			upload(t, ctx, p, "user-uploads/user-1/nested/"+id+".jpg", photo)
		}, "key:", "not user-uploads/<userId>/<imageId>.<ext>", "Fetch"},
		{"missing object", nil, func(ctx context.Context, p *pipeline.Pipeline, id string) {
			key := objectkey.OriginalKey("user-1", id, "jpg")
			if _, err := p.Stack.SendRaw(ctx, s3EventBody(p.Stack.OriginalsBucket, key)); err != nil {
				t.Fatal(err)
			}
		}, "", "no longer exists", "Fetch"},
		{"zero bytes", nil, func(ctx context.Context, p *pipeline.Pipeline, id string) {
			upload(t, ctx, p, objectkey.OriginalKey("user-1", id, "jpg"), nil)
		}, "", "empty", "Fetch"},
		{"over the byte cap", map[string]string{"MAX_BYTES": "100000"},
			func(ctx context.Context, p *pipeline.Pipeline, id string) {
				upload(t, ctx, p, objectkey.OriginalKey("user-1", id, "jpg"), photo)
			}, "", "over the limit of 100000 bytes", "Fetch"},
		{"text named .jpg", nil, func(ctx context.Context, p *pipeline.Pipeline, id string) {
			upload(t, ctx, p, objectkey.OriginalKey("user-1", id, "jpg"),
				[]byte("hello, this is not a picture\n"))
		}, "", "text", "Fetch"},
		{"PDF named .png", nil, func(ctx context.Context, p *pipeline.Pipeline, id string) {
			upload(t, ctx, p, objectkey.OriginalKey("user-1", id, "png"),
				[]byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"))
		}, "", "PDF", "Fetch"},
		{"over the pixel cap", map[string]string{"MAX_PIXELS": "1000000"},
			func(ctx context.Context, p *pipeline.Pipeline, id string) {
				upload(t, ctx, p, objectkey.OriginalKey("user-1", id, "jpg"), photo)
			}, "", "over the limit of 1.0 MP", "Fetch"},
		{"truncated JPEG", nil, func(ctx context.Context, p *pipeline.Pipeline, id string) {
			upload(t, ctx, p, objectkey.OriginalKey("user-1", id, "jpg"), truncated)
		}, "", "", "Resize"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, ctx := start(t, pipeline.Options{Env: c.env})
			id := uuid.NewString()
			c.send(ctx, p, id)

			execs := idle(t, ctx, p)
			if len(execs) != 1 {
				t.Fatalf("%d executions, want 1", len(execs))
			}
			e := execs[0]
			if e.Status != engine.StatusFailed || e.Error != "ImageRejected" {
				t.Errorf("execution %s %s: %s", e.Status, e.Error, e.Cause)
			}
			states, attempts := visits(t, p, e.ExecutionArn)
			want := []string{"Receive", "Fetch", "RecordRejection", "NotifyRejection", "Rejected"}
			if c.at == "Resize" {
				want = slices.Insert(want, 2, "Resize")
			}
			if !slices.Equal(states, want) {
				t.Errorf("states = %v, want %v", states, want)
			}
			if attempts[c.at] != 1 {
				t.Errorf("%s ran %d times; a rejection is never retried", c.at, attempts[c.at])
			}

			if c.id != "" {
				id = findItem(t, ctx, p, c.id)
			}
			it := item(t, ctx, p, id)
			if it.Status != stepio.StatusFailed || !strings.Contains(it.Reason, c.reason) ||
				it.Reason == "" {
				t.Errorf("item %s %q, want FAILED with %q", it.Status, it.Reason, c.reason)
			}
			if !strings.Contains(e.Cause, it.Reason) {
				t.Errorf("execution cause %q does not carry the reason %q", e.Cause, it.Reason)
			}

			msgs := messages(t, ctx, p)
			if len(msgs) != 1 || msgs[0].Attributes["status"].Value != stepio.StatusFailed ||
				body(t, msgs[0]).Reason != it.Reason {
				t.Errorf("messages %+v, want one FAILED with the reason", msgs)
			}
		})
	}
}

// body decodes a notification's JSON body.
func body(t *testing.T, m localstack.TopicMessage) notification.Message {
	t.Helper()
	var msg notification.Message
	if err := json.Unmarshal([]byte(m.Message), &msg); err != nil {
		t.Fatalf("message body %q: %v", m.Message, err)
	}
	return msg
}

// findItem returns the id of the one item whose id starts with prefix.
func findItem(t *testing.T, ctx context.Context, p *pipeline.Pipeline, prefix string) string {
	t.Helper()
	ids, err := p.Store.IDs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 1 || !strings.HasPrefix(ids[0], prefix) {
		t.Fatalf("items %v, want one starting %q", ids, prefix)
	}
	return ids[0]
}

func TestPipeDropsWhatIsNotAnUpload(t *testing.T) {
	p, ctx := start(t, pipeline.Options{Stack: localstack.Options{SendTestEvent: true}})
	id := uuid.NewString()
	key := objectkey.OriginalKey("user-1", id, "jpg")
	upload(t, ctx, p, key, sample(t, "photo.jpg"))
	idle(t, ctx, p)
	if _, err := p.S3.DeleteObject(ctx, &s3.DeleteObjectInput{
		Bucket: aws.String(p.Stack.OriginalsBucket), Key: aws.String(key)}); err != nil {
		t.Fatal(err)
	}

	execs := idle(t, ctx, p)
	if len(execs) != 1 || execs[0].Status != engine.StatusSucceeded {
		t.Errorf("executions %+v, want the upload's alone", execs)
	}
	if st := p.Pipe.Stats(); st.Dropped < 2 {
		t.Errorf("pipe stats %+v: want the test event and the deletion dropped", st)
	}
}

// sqsBody returns the S3 event inside an execution's input, the pipe's batch.
func sqsBody(t *testing.T, input json.RawMessage) string {
	t.Helper()
	var batch []struct {
		Body string `json:"body"`
	}
	if err := json.Unmarshal(input, &batch); err != nil || len(batch) != 1 {
		t.Fatalf("input %s: %v", input, err)
	}
	return batch[0].Body
}

// An upload whose key is uploaded again between Fetch and Resize is not
// resized from the newer bytes under the older one's record: Resize reads the
// version Fetch checked, that read fails, the older execution is rejected,
// and the newer upload's own execution ends DONE.
func TestReplacedUploadIsNotMixedUp(t *testing.T) {
	id := uuid.NewString()
	key := objectkey.OriginalKey("user-1", id, "jpg")
	photo, gif := sample(t, "photo.jpg"), sample(t, "wood.gif")
	var p *pipeline.Pipeline
	var ctx context.Context
	replaced := false
	p, ctx = start(t, pipeline.Options{
		WrapTask: func(function string, h engine.Handler) engine.Handler {
			if function != "fetch" {
				return h
			}
			return func(c context.Context, in json.RawMessage) (json.RawMessage, error) {
				out, err := h(c, in)
				if !replaced {
					replaced = true
					upload(t, ctx, p, key, gif)
				}
				return out, err
			}
		}})
	upload(t, ctx, p, key, photo)

	execs := idle(t, ctx, p)
	if len(execs) != 2 {
		t.Fatalf("%d executions, want 2", len(execs))
	}
	older := execs[len(execs)-1]
	if older.Status != engine.StatusFailed || older.Error != "ImageRejected" ||
		!strings.Contains(older.Cause, "replaced by a newer one") {
		t.Errorf("the older execution: %s %s %s", older.Status, older.Error, older.Cause)
	}
	if execs[0].Status != engine.StatusSucceeded {
		t.Errorf("the newer execution: %s %s", execs[0].Status, execs[0].Error)
	}
	it := item(t, ctx, p, id)
	if it.Status != stepio.StatusDone || it.Format != "gif" ||
		it.ExecutionArn != execs[0].ExecutionArn {
		t.Errorf("item %+v, want the newer upload's DONE", it)
	}
}
