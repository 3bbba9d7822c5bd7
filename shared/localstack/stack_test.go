package localstack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/imagepipe/imagepipe/shared/awsconfig"
	"github.com/imagepipe/imagepipe/shared/s3event"
)

// startStack starts a Stack for one test and closes it when the test ends.
func startStack(t *testing.T, opts Options) *Stack {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewJSONHandler(t.Output(),
			&slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := Start(ctx, opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// s3Client returns an S3 client configured as the Lambdas configure theirs.
func s3Client(t *testing.T, s *Stack) *s3.Client {
	cfg, err := s.AWSConfig(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
}

// pipeInput wraps a queued record as the Pipe delivers it.
func pipeInput(t *testing.T, rec Record) json.RawMessage {
	t.Helper()
	b, err := json.Marshal([]Record{rec})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// An upload by any of S3's creating calls queues one event in S3's shape,
// which shared/s3event decodes back to the key that was written.
func TestObjectCreationQueuesOneS3Event(t *testing.T) {
	t.Parallel()
	s := startStack(t, Options{})
	ctx := testContext(t)
	client := s3Client(t, s)
	content := []byte("\x89PNG\r\n\x1a\n not really a png")

	put := func(key string) error {
		_, err := client.PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String(s.OriginalsBucket), Key: aws.String(key),
			Body: bytes.NewReader(content), ContentType: aws.String("image/png"),
		})
		return err
	}
	cases := []struct {
		name, key, event, wireKey string
		upload                    func(key string) error
	}{
		{"sdk put", "user-uploads/u1/img1.png", EventPut, "user-uploads/u1/img1.png", put},
		{"spaces and unicode", "user-uploads/u 1/ïmg ü+(1).png", EventPut,
			"user-uploads/u+1/%C3%AFmg+%C3%BC%2B%281%29.png", put},
		{"presigned put by net/http", "user-uploads/u2/img2.png", EventPut,
			"user-uploads/u2/img2.png", func(key string) error {
				return presignedPut(ctx, client, s.OriginalsBucket, key, content)
			}},
		{"copy", "user-uploads/u3/copy.png", EventCopy, "user-uploads/u3/copy.png",
			func(key string) error {
				if _, err := s.Backend().PutObject(s.OriginalsBucket, "staging/src.png",
					nil, bytes.NewReader(content), int64(len(content)), nil); err != nil {
					return err
				}
				_, err := client.CopyObject(ctx, &s3.CopyObjectInput{
					Bucket: aws.String(s.OriginalsBucket), Key: aws.String(key),
					CopySource: aws.String(s.OriginalsBucket + "/staging/src.png"),
				})
				return err
			}},
		{"multipart", "user-uploads/u4/big.png", EventComplete, "user-uploads/u4/big.png",
			func(key string) error {
				return multipartUpload(ctx, client, s.OriginalsBucket, key, content)
			}},
		{"browser post", "user-uploads/u5/form.png", EventPost, "user-uploads/u5/form.png",
			func(key string) error {
				return postUpload(ctx, s.Endpoints.S3, s.OriginalsBucket, key, content)
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := c.upload(c.key); err != nil {
				t.Fatalf("upload: %v", err)
			}
			recs, err := s.DrainQueue(ctx, s.QueueURL)
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != 1 {
				t.Fatalf("queue holds %d messages, want 1", len(recs))
			}

			var event S3Event
			if err := json.Unmarshal([]byte(recs[0].Body), &event); err != nil {
				t.Fatal(err)
			}
			r := event.Records[0]
			head, err := client.HeadObject(ctx, &s3.HeadObjectInput{
				Bucket: aws.String(s.OriginalsBucket), Key: aws.String(c.key)})
			if err != nil {
				t.Fatal(err)
			}
			checks := map[string][2]string{
				"eventVersion":    {r.EventVersion, "2.1"},
				"eventSource":     {r.EventSource, "aws:s3"},
				"awsRegion":       {r.AWSRegion, s.Region},
				"eventName":       {r.EventName, c.event},
				"s3SchemaVersion": {r.S3.SchemaVersion, "1.0"},
				"bucket.name":     {r.S3.Bucket.Name, s.OriginalsBucket},
				"bucket.arn":      {r.S3.Bucket.ARN, "arn:aws:s3:::" + s.OriginalsBucket},
				"object.key":      {r.S3.Object.Key, c.wireKey},
				"object.eTag":     {r.S3.Object.ETag, strings.Trim(aws.ToString(head.ETag), `"`)},
				"sourceIP":        {r.RequestParameters["sourceIPAddress"], "127.0.0.1"},
			}
			for field, v := range checks {
				if v[0] != v[1] {
					t.Errorf("%s = %q, want %q", field, v[0], v[1])
				}
			}
			if _, err := time.Parse(eventTimeLayout, r.EventTime); err != nil {
				t.Errorf("eventTime %q: %v", r.EventTime, err)
			}

			obj, err := s3event.Decode(pipeInput(t, recs[0]))
			if err != nil {
				t.Fatalf("s3event.Decode: %v", err)
			}
			if obj.Key != c.key || obj.Size != int64(len(content)) || obj.Sequencer == "" {
				t.Errorf("decoded %+v, want key %q size %d and a sequencer", obj, c.key,
					len(content))
			}
		})
	}
}

// Writes to the processed bucket, outside user-uploads/, and failed writes
// send nothing.
func TestOtherWritesQueueNothing(t *testing.T) {
	t.Parallel()
	s := startStack(t, Options{})
	ctx := testContext(t)
	client := s3Client(t, s)

	writes := []struct{ bucket, key string }{
		{s.ProcessedBucket, "processed/img1.jpg"},
		{s.ProcessedBucket, "user-uploads/u1/img1.jpg"},
		{s.OriginalsBucket, "elsewhere/u1/img1.jpg"},
		{s.OriginalsBucket, "user-uploads"},
	}
	for _, w := range writes {
		if _, err := client.PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String(w.bucket), Key: aws.String(w.key),
			Body: strings.NewReader("x"),
		}); err != nil {
			t.Fatalf("put %s/%s: %v", w.bucket, w.key, err)
		}
	}
	_, err := client.CopyObject(ctx, &s3.CopyObjectInput{
		Bucket: aws.String(s.OriginalsBucket), Key: aws.String("user-uploads/u1/x.jpg"),
		CopySource: aws.String(s.OriginalsBucket + "/does/not/exist"),
	})
	if err == nil {
		t.Fatal("copying a missing object succeeded")
	}

	recs, err := s.DrainQueue(ctx, s.QueueURL)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 0 {
		t.Fatalf("queue holds %d messages, want none: %s", len(recs), recs[0].Body)
	}
}

// Sequencers of one key grow with each write, compared as shared/s3event
// compares them.
func TestSequencerGrowsPerKey(t *testing.T) {
	t.Parallel()
	s := startStack(t, Options{})
	ctx := testContext(t)
	client := s3Client(t, s)

	var seqs []string
	for i := range 3 {
		if _, err := client.PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String(s.OriginalsBucket), Key: aws.String("user-uploads/u/i.jpg"),
			Body: strings.NewReader(fmt.Sprint(i)),
		}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := client.DeleteObject(ctx, &s3.DeleteObjectInput{
		Bucket: aws.String(s.OriginalsBucket), Key: aws.String("user-uploads/u/i.jpg"),
	}); err != nil {
		t.Fatal(err)
	}
	recs, err := s.DrainQueue(ctx, s.QueueURL)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range recs {
		var e S3Event
		if err := json.Unmarshal([]byte(r.Body), &e); err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, s3event.PadSequencer(e.Records[0].S3.Object.Sequencer))
		names = append(names, e.Records[0].EventName)
	}
	want := []string{EventPut, EventPut, EventPut, EventDelete}
	if fmt.Sprint(names) != fmt.Sprint(want) {
		t.Fatalf("events %v, want %v", names, want)
	}
	for i := 1; i < len(seqs); i++ {
		if seqs[i] <= seqs[i-1] {
			t.Errorf("sequencer %d %s is not after %s", i, seqs[i], seqs[i-1])
		}
	}
}

// recorder is a Target that keeps what it was given.
type recorder struct {
	mu     sync.Mutex
	inputs [][]byte
	err    error
}

func (r *recorder) target(_ context.Context, input []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.inputs = append(r.inputs, input)
	return r.err
}

func (r *recorder) got() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]byte(nil), r.inputs...)
}

// The pipe hands ObjectCreated events to the target in the Pipe's shape and
// drops the test event, deletions and bodies that are not S3 events.
func TestPipeDeliversCreationsAndDropsTheRest(t *testing.T) {
	t.Parallel()
	s := startStack(t, Options{SendTestEvent: true})
	ctx := testContext(t)
	client := s3Client(t, s)
	rec := &recorder{}
	pipe, err := s.StartPipe(ctx, rec.target, PipeOptions{Pollers: 2})
	if err != nil {
		t.Fatal(err)
	}

	key := "user-uploads/u1/photo one.jpg"
	if _, err := client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(s.OriginalsBucket), Key: aws.String(key),
		Body: strings.NewReader("jpeg"),
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.DeleteObject(ctx, &s3.DeleteObjectInput{
		Bucket: aws.String(s.OriginalsBucket), Key: aws.String(key),
	}); err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{"not json", `{"Records":[{"eventName":"ObjectCreated"}]}`,
		`{"Records":[]}`} {
		if _, err := s.SendRaw(ctx, body); err != nil {
			t.Fatal(err)
		}
	}
	if err := pipe.WaitQuiescent(ctx); err != nil {
		t.Fatal(err)
	}

	inputs := rec.got()
	if len(inputs) != 1 {
		t.Fatalf("target got %d inputs, want 1: %s", len(inputs), inputs)
	}
	if st := pipe.Stats(); st.Dropped != 5 || st.Delivered != 1 || st.Received != 6 {
		t.Errorf("stats %+v, want 6 received, 5 dropped, 1 delivered", st)
	}

	var batch []map[string]json.RawMessage
	if err := json.Unmarshal(inputs[0], &batch); err != nil || len(batch) != 1 {
		t.Fatalf("input is not an array of one record: %s (%v)", inputs[0], err)
	}
	var fields []string
	for f := range batch[0] {
		fields = append(fields, f)
	}
	wantFields := "[attributes awsRegion body eventSource eventSourceARN md5OfBody " +
		"messageAttributes messageId receiptHandle]"
	if got := fmt.Sprint(slices.Sorted(slices.Values(fields))); got != wantFields {
		t.Errorf("record fields %s, want %s", got, wantFields)
	}
	var records []Record
	if err := json.Unmarshal(inputs[0], &records); err != nil {
		t.Fatal(err)
	}
	r := records[0]
	if r.EventSource != "aws:sqs" || r.EventSourceARN != s.QueueARN || r.AWSRegion != s.Region {
		t.Errorf("record source %q %q %q", r.EventSource, r.EventSourceARN, r.AWSRegion)
	}
	for _, a := range []string{"ApproximateReceiveCount", "SentTimestamp", "SenderId",
		"ApproximateFirstReceiveTimestamp"} {
		if r.Attributes[a] == "" {
			t.Errorf("attribute %s missing: %v", a, r.Attributes)
		}
	}
	obj, err := s3event.Decode(inputs[0])
	if err != nil || obj.Key != key {
		t.Fatalf("Decode = %+v, %v; want key %q", obj, err, key)
	}
}

// A target that keeps failing sees the message maxReceiveCount times, and then
// the message is in the dead-letter queue.
func TestPipeTargetErrorRedeliversThenDeadLetters(t *testing.T) {
	t.Parallel()
	s := startStack(t, Options{VisibilityTimeout: time.Second, MaxReceiveCount: 2})
	ctx := testContext(t)
	rec := &recorder{err: fmt.Errorf("StartExecution: throttled")}
	pipe, err := s.StartPipe(ctx, rec.target, PipeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s3Client(t, s).PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(s.OriginalsBucket), Key: aws.String("user-uploads/u/i.png"),
		Body: strings.NewReader("png"),
	}); err != nil {
		t.Fatal(err)
	}
	if err := pipe.WaitQuiescent(ctx); err != nil {
		t.Fatal(err)
	}

	inputs := rec.got()
	if len(inputs) != 2 {
		t.Fatalf("target called %d times, want 2 (maxReceiveCount)", len(inputs))
	}
	for i, in := range inputs {
		var batch []Record
		if err := json.Unmarshal(in, &batch); err != nil {
			t.Fatal(err)
		}
		got := batch[0].Attributes["ApproximateReceiveCount"]
		if want := fmt.Sprint(i + 1); got != want {
			t.Errorf("delivery %d: ApproximateReceiveCount %s, want %s", i, got, want)
		}
	}
	dead, err := s.DrainQueue(ctx, s.DLQURL)
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != 1 {
		t.Fatalf("dead-letter queue holds %d messages, want 1", len(dead))
	}
	if _, err := s3event.Decode(pipeInput(t, dead[0])); err != nil {
		t.Errorf("dead letter: %v", err)
	}
}

// A publish through the Lambdas' SNS endpoint reaches the subscriber with its
// subject and message attributes.
func TestPublishReachesSubscriber(t *testing.T) {
	t.Parallel()
	s := startStack(t, Options{})
	ctx := testContext(t)
	cfg, err := s.AWSConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	client := sns.NewFromConfig(cfg)
	out, err := client.Publish(ctx, &sns.PublishInput{
		TopicArn: aws.String(s.TopicARN), Subject: aws.String("image DONE"),
		Message: aws.String(`{"imageId":"i1","status":"DONE"}`),
		MessageAttributes: map[string]snstypes.MessageAttributeValue{
			"status": {DataType: aws.String("String"), StringValue: aws.String("DONE")},
			"userId": {DataType: aws.String("String"), StringValue: aws.String("u1")},
		},
	})
	if err != nil {
		t.Fatal(err)
	}

	msgs, err := s.WaitTopicMessages(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 {
		t.Fatalf("%d messages, want 1", len(msgs))
	}
	m := msgs[0]
	if m.TopicARN != s.TopicARN || m.Subject != "image DONE" || m.MessageID == "" ||
		m.Message != `{"imageId":"i1","status":"DONE"}` {
		t.Errorf("message %+v (publish id %s)", m, aws.ToString(out.MessageId))
	}
	for name, want := range map[string]string{"status": "DONE", "userId": "u1"} {
		if a := m.Attributes[name]; a.Value != want || a.Type != "String" {
			t.Errorf("attribute %s = %+v, want String %q", name, a, want)
		}
	}
	again, err := s.TopicMessages(ctx)
	if err != nil || len(again) != 1 {
		t.Errorf("second read: %d messages, %v; want the same one", len(again), err)
	}
}

// The environment is what shared/awsconfig needs to reach every emulator.
func TestSetenvReachesEveryEmulator(t *testing.T) {
	s := startStack(t, Options{})
	ctx := testContext(t)
	s.Setenv(t)

	cfg, err := awsconfig.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.RetryMaxAttempts != DefaultMaxAttempts {
		t.Errorf("RetryMaxAttempts %d, want %d", cfg.RetryMaxAttempts, DefaultMaxAttempts)
	}
	if _, err := awsconfig.S3(cfg).PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(s.ProcessedBucket), Key: aws.String("processed/x.jpg"),
		Body: strings.NewReader("x"),
	}); err != nil {
		t.Errorf("S3: %v", err)
	}
	item, err := attributevalue.MarshalMap(map[string]string{
		"imageId": "i1", "userId": "u1", "lastModified": "2026-01-01T00:00:00Z"})
	if err != nil {
		t.Fatal(err)
	}
	ddb := dynamodb.NewFromConfig(cfg)
	if _, err := ddb.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.TableName), Item: item}); err != nil {
		t.Errorf("DynamoDB: %v", err)
	}
	if _, err := sns.NewFromConfig(cfg).Publish(ctx, &sns.PublishInput{
		TopicArn: aws.String(s.TopicARN), Message: aws.String("m")}); err != nil {
		t.Errorf("SNS: %v", err)
	}
	env := strings.Join(s.Environ(), "\n") + "\n"
	for _, want := range []string{"ORIGINALS_BUCKET=" + s.OriginalsBucket,
		"TABLE_NAME=" + s.TableName, "TOPIC_ARN=" + s.TopicARN,
		"AWS_ENDPOINT_URL_SQS=" + s.Endpoints.SQS} {
		if !strings.Contains(env, want+"\n") {
			t.Errorf("Environ lacks %s", want)
		}
	}
}

// Stacks one after another and at once share goaws without seeing each
// other's queues.
func TestStacksInOneProcess(t *testing.T) {
	for round := range 2 {
		first, err := Start(t.Context(), Options{Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		second := startStack(t, Options{})
		if first.QueueURL == second.QueueURL || first.TopicARN == second.TopicARN {
			t.Fatalf("round %d: stacks share %s / %s", round, first.QueueURL, first.TopicARN)
		}
		for _, s := range []*Stack{first, second} {
			ctx := testContext(t)
			rec := &recorder{}
			pipe, err := s.StartPipe(ctx, rec.target, PipeOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s3Client(t, s).PutObject(ctx, &s3.PutObjectInput{
				Bucket: aws.String(s.OriginalsBucket), Key: aws.String("user-uploads/u/i.gif"),
				Body: strings.NewReader("GIF89a"),
			}); err != nil {
				t.Fatal(err)
			}
			if err := pipe.WaitQuiescent(ctx); err != nil {
				t.Fatal(err)
			}
			if n := len(rec.got()); n != 1 {
				t.Errorf("round %d %s: target got %d inputs, want 1", round, s.QueueURL, n)
			}
		}
		if err := first.Close(); err != nil {
			t.Fatal(err)
		}
		if err := second.Close(); err != nil {
			t.Fatal(err)
		}
		// The last Stack out stops goaws.
		goawsMu.Lock()
		running := goawsCur != nil
		goawsMu.Unlock()
		if running {
			t.Errorf("round %d: goaws still runs after its last Stack closed", round)
		}
	}
}

// presignedPut uploads as a browser would: a presigned URL and plain net/http.
func presignedPut(ctx context.Context, client *s3.Client, bucket, key string,
	content []byte) error {
	req, err := s3.NewPresignClient(client).PresignPutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), ContentType: aws.String("image/png"),
	}, s3.WithPresignExpires(5*time.Minute))
	if err != nil {
		return err
	}
	httpReq, err := http.NewRequestWithContext(ctx, req.Method, req.URL,
		bytes.NewReader(content))
	if err != nil {
		return err
	}
	httpReq.Header.Set("Content-Type", "image/png")
	resp, err := http.DefaultClient.Do(httpReq)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("presigned PUT: %s: %s", resp.Status, b)
	}
	return nil
}

func multipartUpload(ctx context.Context, client *s3.Client, bucket, key string,
	content []byte) error {
	up, err := client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
		Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return err
	}
	part, err := client.UploadPart(ctx, &s3.UploadPartInput{
		Bucket: aws.String(bucket), Key: aws.String(key), UploadId: up.UploadId,
		PartNumber: aws.Int32(1), Body: bytes.NewReader(content),
	})
	if err != nil {
		return err
	}
	_, err = client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: aws.String(bucket), Key: aws.String(key), UploadId: up.UploadId,
		MultipartUpload: &s3types.CompletedMultipartUpload{Parts: []s3types.CompletedPart{
			{ETag: part.ETag, PartNumber: aws.Int32(1)},
		}},
	})
	return err
}

// postUpload sends a browser form upload (POST Object).
func postUpload(ctx context.Context, endpoint, bucket, key string, content []byte) error {
	var body bytes.Buffer
	form := multipart.NewWriter(&body)
	_ = form.WriteField("key", key)
	fw, err := form.CreateFormFile("file", "form.png")
	if err != nil {
		return err
	}
	_, _ = fw.Write(content)
	_ = form.Close()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint+"/"+bucket, &body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", form.FormDataContentType())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("POST: %s: %s", resp.Status, b)
	}
	return nil
}

// A message received from any of the Stack's queues stays hidden, and its
// receipt handle valid, for SQS's default 30 s: goaws's own default, when
// started without its configuration loader, is 0 s, which let its periodic
// task return a message between a receive and its delete.
func TestReceivedMessageCanBeDeletedLater(t *testing.T) {
	t.Parallel()
	s := startStack(t, Options{})
	ctx := testContext(t)
	for _, q := range []string{s.SubscriberQueueURL, s.DLQURL} {
		if _, err := s.direct.sqs.SendMessage(ctx, &sqs.SendMessageInput{
			QueueUrl: aws.String(q), MessageBody: aws.String("m"),
		}); err != nil {
			t.Fatal(err)
		}
		out, err := s.direct.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(q),
		})
		if err != nil || len(out.Messages) != 1 {
			t.Fatalf("%s: receive: %d messages, %v", q, len(out.Messages), err)
		}
		time.Sleep(3 * goawsPeriod)
		if _, err := s.direct.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{
			QueueUrl: aws.String(q), ReceiptHandle: out.Messages[0].ReceiptHandle,
		}); err != nil {
			t.Errorf("%s: delete after %v: %v", q, 3*goawsPeriod, err)
		}
	}
}
