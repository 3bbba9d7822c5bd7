package localstack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/truora/minidyn/server"

	"github.com/imagepipe/imagepipe/shared/localstack/faults"
	"github.com/imagepipe/imagepipe/shared/metadata"
	"github.com/imagepipe/imagepipe/shared/objectkey"
)

// Defaults of [Options].
const (
	DefaultName              = "imagepipe"
	DefaultRegion            = "us-east-1"
	DefaultAccountID         = "000000000000"
	DefaultOriginalsBucket   = "imagepipe-originals"
	DefaultProcessedBucket   = "imagepipe-processed"
	DefaultTableName         = "imagepipe-images"
	DefaultMaxAttempts       = 2
	DefaultVisibilityTimeout = 30 * time.Second
	DefaultMaxReceiveCount   = 5
)

// Dummy credentials: no emulator checks signatures, but the SDK signs.
const (
	accessKeyID     = "AKIALOCALSTACK000000"
	secretAccessKey = "localstack-secret-access-key"
)

// Options configure [Start]. The zero value is a working stack.
type Options struct {
	// Name is the stem of the queue, topic and subscription names; 0 means
	// [DefaultName]. Stacks running at once in one process share one goaws,
	// so a later Stack whose names are taken gets "<name>-2" and so on.
	Name string
	// Region and AccountID appear in ARNs, queue URLs and events. All Stacks
	// running at once in a process must agree on them (goaws keeps them
	// globally).
	Region    string
	AccountID string

	OriginalsBucket string
	ProcessedBucket string
	TableName       string

	// NotifyPrefix is the key prefix of the originals bucket whose object
	// events go to the queue; empty means objectkey.UploadsPrefix.
	NotifyPrefix string
	// SendTestEvent sends the s3:TestEvent message to the queue at Start, as
	// S3 does when a notification configuration is saved.
	SendTestEvent bool

	// VisibilityTimeout of the source queue (whole seconds; goaws's
	// resolution); 0 means [DefaultVisibilityTimeout].
	VisibilityTimeout time.Duration
	// MaxReceiveCount of the source queue's redrive policy; 0 means
	// [DefaultMaxReceiveCount].
	MaxReceiveCount int

	// MaxAttempts is AWS_MAX_ATTEMPTS for the Lambdas: kept small so that
	// injected faults reach Step Functions' Retry quickly; 0 means
	// [DefaultMaxAttempts].
	MaxAttempts int

	// InjectFaults puts a [faults.Proxy] in front of every emulator and
	// points the Lambdas' endpoints at the proxies; see [Stack.Faults].
	InjectFaults bool

	// Logger receives the stack's JSON logs; nil means JSON on stderr at
	// level Info.
	Logger *slog.Logger
}

// Endpoints are the base URLs of the four services.
type Endpoints struct {
	S3, SQS, SNS, DynamoDB string
}

// Faults are the proxies in front of the emulators when
// [Options.InjectFaults] is set; SQS and SNS share goaws but have a proxy
// each. Internal traffic (S3 event delivery, the Pipe's polling, the topic
// subscriber) does not pass through them: only what the Lambdas call does.
type Faults struct {
	S3, SQS, SNS, DynamoDB *faults.Proxy
}

// Clear removes the rules of every proxy.
func (f *Faults) Clear() {
	for _, p := range []*faults.Proxy{f.S3, f.SQS, f.SNS, f.DynamoDB} {
		p.Clear()
	}
}

// Stack is a running local AWS: S3, SQS, SNS and DynamoDB emulators on
// 127.0.0.1, with the image pipeline's buckets, queue (and its dead-letter
// queue), topic (with a queue subscribed to it) and table.
type Stack struct {
	Region    string
	AccountID string

	OriginalsBucket string
	ProcessedBucket string
	TableName       string

	// QueueURL is the queue that S3 notifies and the Pipe reads.
	QueueURL string
	QueueARN string
	// DLQURL is QueueURL's dead-letter queue.
	DLQURL string
	DLQARN string

	TopicARN string
	// SubscriberQueueURL is an SQS queue subscribed to TopicARN with raw
	// delivery off: it receives SNS envelopes, as a subscriber would.
	SubscriberQueueURL string

	// Endpoints are what the Lambdas use (the proxies with InjectFaults).
	Endpoints Endpoints
	// Emulators are the emulators' own URLs.
	Emulators Endpoints

	// Faults is nil unless Options.InjectFaults is set.
	Faults *Faults

	maxAttempts int
	log         *slog.Logger
	name        string

	goaws   *goawsServer
	servers []*loopback
	s3mem   *s3mem.Backend
	direct  clients

	mu        sync.Mutex
	pipes     []*Pipe
	published []TopicMessage
	closed    bool
}

// clients reach the emulators directly, past any fault proxy.
type clients struct {
	s3  *s3.Client
	sqs *sqs.Client
	sns *sns.Client
	ddb *dynamodb.Client
}

// Start starts the emulators and creates the pipeline's resources in them.
// Close the Stack when done. Several Stacks may run in one process, in
// sequence or at once: their S3 and DynamoDB are their own, their queues and
// topic live in the process's one goaws under names of their own.
func Start(ctx context.Context, opts Options) (_ *Stack, err error) {
	opts = withDefaults(opts)
	s := &Stack{
		Region: opts.Region, AccountID: opts.AccountID,
		OriginalsBucket: opts.OriginalsBucket, ProcessedBucket: opts.ProcessedBucket,
		TableName: opts.TableName, maxAttempts: opts.MaxAttempts, log: opts.Logger,
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, s.Close())
		}
	}()

	g, name, err := acquireGoaws(s.Region, s.AccountID, 0, opts.Name, s.log)
	if err != nil {
		return nil, err
	}
	s.goaws, s.name = g, name
	s.Emulators.SQS, s.Emulators.SNS = g.URL(), g.URL()
	s.direct.sqs = sqs.NewFromConfig(s.config(), sqsAt(g.URL()))
	s.direct.sns = sns.NewFromConfig(s.config(), snsAt(g.URL()))
	if err := s.createMessaging(ctx, opts); err != nil {
		return nil, err
	}

	if err := s.startS3(opts); err != nil {
		return nil, err
	}
	if err := s.startDynamoDB(ctx); err != nil {
		return nil, err
	}
	s.Endpoints = s.Emulators
	if opts.InjectFaults {
		if err := s.startFaults(); err != nil {
			return nil, err
		}
	}

	if opts.SendTestEvent {
		if _, err := s.SendRaw(ctx, TestEventBody(s.OriginalsBucket, time.Now())); err != nil {
			return nil, err
		}
	}
	s.log.Info("local stack started", "s3", s.Endpoints.S3, "sqs", s.Endpoints.SQS,
		"sns", s.Endpoints.SNS, "dynamodb", s.Endpoints.DynamoDB, "queue", s.QueueURL,
		"topic", s.TopicARN, "faults", opts.InjectFaults)
	return s, nil
}

func withDefaults(o Options) Options {
	def := func(v *string, d string) {
		if *v == "" {
			*v = d
		}
	}
	def(&o.Name, DefaultName)
	def(&o.Region, DefaultRegion)
	def(&o.AccountID, DefaultAccountID)
	def(&o.OriginalsBucket, DefaultOriginalsBucket)
	def(&o.ProcessedBucket, DefaultProcessedBucket)
	def(&o.TableName, DefaultTableName)
	def(&o.NotifyPrefix, objectkey.UploadsPrefix)
	if o.VisibilityTimeout <= 0 {
		o.VisibilityTimeout = DefaultVisibilityTimeout
	}
	if o.MaxReceiveCount <= 0 {
		o.MaxReceiveCount = DefaultMaxReceiveCount
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	return o
}

// config is the SDK configuration of the stack's own clients.
func (s *Stack) config() aws.Config {
	return aws.Config{
		Region:      s.Region,
		Credentials: credentials.NewStaticCredentialsProvider(accessKeyID, secretAccessKey, ""),
	}
}

// Base endpoint options of the stack's own clients.
func sqsAt(url string) func(*sqs.Options) {
	return func(o *sqs.Options) { o.BaseEndpoint = aws.String(url) }
}

func snsAt(url string) func(*sns.Options) {
	return func(o *sns.Options) { o.BaseEndpoint = aws.String(url) }
}

func s3At(url string) func(*s3.Options) {
	return func(o *s3.Options) {
		o.BaseEndpoint = aws.String(url)
		o.UsePathStyle = true
	}
}

func dynamodbAt(url string) func(*dynamodb.Options) {
	return func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(url) }
}

// createMessaging creates the queues, the topic and its subscriber in goaws.
func (s *Stack) createMessaging(ctx context.Context, opts Options) error {
	g := s.goaws
	dlq := s.name + "-uploads-dlq"
	if _, err := s.direct.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{
		QueueName: aws.String(dlq),
	}); err != nil {
		return fmt.Errorf("localstack: create dead-letter queue: %w", err)
	}
	s.DLQURL, s.DLQARN = g.queueURL(dlq), g.queueARN(dlq)

	queue := s.name + "-uploads"
	redrive := fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":"%d"}`,
		s.DLQARN, opts.MaxReceiveCount)
	visibility := max(int(opts.VisibilityTimeout/time.Second), 1)
	if _, err := s.direct.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{
		QueueName: aws.String(queue),
		Attributes: map[string]string{
			"VisibilityTimeout": strconv.Itoa(visibility),
			"RedrivePolicy":     redrive,
		},
	}); err != nil {
		return fmt.Errorf("localstack: create queue: %w", err)
	}
	s.QueueURL, s.QueueARN = g.queueURL(queue), g.queueARN(queue)

	subscriber := s.name + "-notifications-subscriber"
	if _, err := s.direct.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{
		QueueName: aws.String(subscriber),
	}); err != nil {
		return fmt.Errorf("localstack: create subscriber queue: %w", err)
	}
	s.SubscriberQueueURL = g.queueURL(subscriber)

	topic, err := s.direct.sns.CreateTopic(ctx, &sns.CreateTopicInput{
		Name: aws.String(s.name + "-notifications"),
	})
	if err != nil {
		return fmt.Errorf("localstack: create topic: %w", err)
	}
	s.TopicARN = aws.ToString(topic.TopicArn)
	if _, err := s.direct.sns.Subscribe(ctx, &sns.SubscribeInput{
		TopicArn:   topic.TopicArn,
		Protocol:   aws.String("sqs"),
		Endpoint:   aws.String(g.queueARN(subscriber)),
		Attributes: map[string]string{"RawMessageDelivery": "false"},
	}); err != nil {
		return fmt.Errorf("localstack: subscribe: %w", err)
	}
	return nil
}

// startS3 starts gofakes3 behind the notifier and creates the buckets.
func (s *Stack) startS3(opts Options) error {
	s.s3mem = s3mem.New()
	fake := gofakes3.New(s.s3mem, gofakes3.WithLogger(s3Log{s.log}))
	n := &notifier{
		backend: s.s3mem, bucket: s.OriginalsBucket, prefix: opts.NotifyPrefix,
		region: s.Region, account: s.AccountID, configID: s.name + "-uploads",
		send: func(ctx context.Context, body string) error {
			_, err := s.SendRaw(ctx, body)
			return err
		},
		log: s.log,
	}
	lb, err := listenLoopback("s3", 0, n.wrap(fake.Server()), s.log)
	if err != nil {
		return err
	}
	s.servers = append(s.servers, lb)
	s.Emulators.S3 = lb.URL()
	s.direct.s3 = s3.NewFromConfig(s.config(), s3At(lb.URL()))

	for _, b := range []string{s.OriginalsBucket, s.ProcessedBucket} {
		// The backend directly: a CreateBucket over the wire needs a context
		// and gains nothing.
		if err := s.s3mem.CreateBucket(b); err != nil {
			return fmt.Errorf("localstack: create bucket %s: %w", b, err)
		}
	}
	return nil
}

// startDynamoDB starts minidyn and creates the table through the SDK.
func (s *Stack) startDynamoDB(ctx context.Context) error {
	lb, err := listenLoopback("dynamodb", 0, server.NewServer(), s.log)
	if err != nil {
		return err
	}
	s.servers = append(s.servers, lb)
	s.Emulators.DynamoDB = lb.URL()
	s.direct.ddb = dynamodb.NewFromConfig(s.config(), dynamodbAt(lb.URL()))
	// minidyn answers DescribeTable with an empty TableStatus, so the
	// TableExists waiter would never return; its tables are ready at once.
	if _, err := s.direct.ddb.CreateTable(ctx, metadata.CreateTableInput(s.TableName)); err != nil {
		return fmt.Errorf("localstack: create table: %w", err)
	}
	return nil
}

// startFaults puts a proxy in front of each emulator.
func (s *Stack) startFaults() error {
	f := &Faults{}
	targets := []struct {
		service faults.Service
		target  string
		proxy   **faults.Proxy
		url     *string
	}{
		{faults.S3, s.Emulators.S3, &f.S3, &s.Endpoints.S3},
		{faults.SQS, s.Emulators.SQS, &f.SQS, &s.Endpoints.SQS},
		{faults.SNS, s.Emulators.SNS, &f.SNS, &s.Endpoints.SNS},
		{faults.DynamoDB, s.Emulators.DynamoDB, &f.DynamoDB, &s.Endpoints.DynamoDB},
	}
	for _, t := range targets {
		p, err := faults.New(t.service, t.target, s.log)
		if err != nil {
			return err
		}
		lb, err := listenLoopback("faults-"+string(t.service), 0, p, s.log)
		if err != nil {
			return err
		}
		s.servers = append(s.servers, lb)
		*t.proxy, *t.url = p, lb.URL()
	}
	s.Faults = f
	return nil
}

// Close stops the pipes and the emulators and removes the Stack's queues and
// topic from goaws. Close may be called again.
func (s *Stack) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	pipes := s.pipes
	s.mu.Unlock()

	for _, p := range pipes {
		p.Stop()
	}
	var errs []error
	for i := len(s.servers) - 1; i >= 0; i-- {
		errs = append(errs, s.servers[i].Close())
	}
	if s.goaws != nil {
		errs = append(errs, s.deleteMessaging(), s.goaws.release(s.name))
	}
	return errors.Join(errs...)
}

// deleteMessaging removes the Stack's queues and topic from the shared goaws.
func (s *Stack) deleteMessaging() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var errs []error
	if s.TopicARN != "" {
		_, err := s.direct.sns.DeleteTopic(ctx, &sns.DeleteTopicInput{
			TopicArn: aws.String(s.TopicARN)})
		errs = append(errs, err)
	}
	for _, q := range []string{s.SubscriberQueueURL, s.QueueURL, s.DLQURL} {
		if q == "" {
			continue
		}
		_, err := s.direct.sqs.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(q)})
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("localstack: remove queues and topic: %w", err)
	}
	return nil
}

// Env returns the environment of the Lambdas: the SDK's own variables
// pointing at the stack, and the pipeline's configuration.
func (s *Stack) Env() map[string]string {
	return map[string]string{
		"AWS_REGION":                s.Region,
		"AWS_ACCESS_KEY_ID":         accessKeyID,
		"AWS_SECRET_ACCESS_KEY":     secretAccessKey,
		"AWS_SESSION_TOKEN":         "",
		"AWS_PROFILE":               "",
		"AWS_MAX_ATTEMPTS":          strconv.Itoa(s.maxAttempts),
		"AWS_ENDPOINT_URL_S3":       s.Endpoints.S3,
		"AWS_ENDPOINT_URL_SQS":      s.Endpoints.SQS,
		"AWS_ENDPOINT_URL_SNS":      s.Endpoints.SNS,
		"AWS_ENDPOINT_URL_DYNAMODB": s.Endpoints.DynamoDB,
		"ORIGINALS_BUCKET":          s.OriginalsBucket,
		"PROCESSED_BUCKET":          s.ProcessedBucket,
		"TABLE_NAME":                s.TableName,
		"TOPIC_ARN":                 s.TopicARN,
	}
}

// Environ returns [Stack.Env] as KEY=value lines, sorted, for a command's
// environment (append it to os.Environ(); later entries win).
func (s *Stack) Environ() []string {
	env := s.Env()
	lines := make([]string, 0, len(env))
	for k, v := range env {
		lines = append(lines, k+"="+v)
	}
	sort.Strings(lines)
	return lines
}

// Setenver sets an environment variable for the rest of a test;
// testing.TB is one.
type Setenver interface {
	Setenv(key, value string)
}

// Setenv sets [Stack.Env] through t, typically a *testing.T, whose Setenv
// restores the previous values when the test ends.
func (s *Stack) Setenv(t Setenver) {
	for k, v := range s.Env() {
		t.Setenv(k, v)
	}
}

// endpointSource gives the SDK's service clients their base endpoints, as
// AWS_ENDPOINT_URL_<SERVICE> would: service clients look for it among
// aws.Config.ConfigSources by its GetServiceBaseEndpoint method.
type endpointSource Endpoints

func (e endpointSource) GetServiceBaseEndpoint(_ context.Context, sdkID string) (
	string, bool, error) {
	url := map[string]string{"S3": e.S3, "SQS": e.SQS, "SNS": e.SNS,
		"DynamoDB": e.DynamoDB}[sdkID]
	return url, url != "", nil
}

// AWSConfig returns an SDK configuration equal to what the Lambdas load from
// [Stack.Env] (fault proxies included), without touching the process's
// environment. S3 clients made from it must set UsePathStyle, as
// shared/awsconfig.S3 does when the endpoint variables are set.
func (s *Stack) AWSConfig(ctx context.Context) (aws.Config, error) {
	if err := ctx.Err(); err != nil {
		return aws.Config{}, err
	}
	cfg := s.config()
	cfg.RetryMaxAttempts = s.maxAttempts
	cfg.ConfigSources = []any{endpointSource(s.Endpoints)}
	return cfg, nil
}

// Backend returns the S3 emulator's storage, for tests that want to look
// past the wire.
func (s *Stack) Backend() gofakes3.Backend { return s.s3mem }

// StartPipe starts the local EventBridge Pipe from the Stack's queue to
// target. Close stops it; so does [Pipe.Stop].
func (s *Stack) StartPipe(ctx context.Context, target Target, opts PipeOptions) (*Pipe, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	p, err := startPipe(ctx, s.direct.sqs, s.QueueURL, s.QueueARN, s.Region, target, opts, s.log)
	if err != nil {
		return nil, err
	}
	s.pipes = append(s.pipes, p)
	return p, nil
}

// SendRaw sends body to the Stack's queue as it is, the way S3 sends its
// events: for duplicated deliveries and hand-made events. It returns the
// message id.
func (s *Stack) SendRaw(ctx context.Context, body string) (string, error) {
	out, err := s.direct.sqs.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl: aws.String(s.QueueURL), MessageBody: aws.String(body),
	})
	if err != nil {
		return "", fmt.Errorf("localstack: send to queue: %w", err)
	}
	return aws.ToString(out.MessageId), nil
}

// DrainQueue receives and deletes every message visible now in queueURL (the
// Stack's queue or its DLQ, say) and returns them in the Pipe's record shape.
func (s *Stack) DrainQueue(ctx context.Context, queueURL string) ([]Record, error) {
	msgs, err := s.drain(ctx, queueURL)
	if err != nil {
		return nil, err
	}
	arn := s.goaws.queueARN(lastSegment(queueURL))
	p := &Pipe{queueARN: arn, region: s.Region}
	recs := make([]Record, len(msgs))
	for i, m := range msgs {
		recs[i] = p.record(m, 1)
	}
	return recs, nil
}

func (s *Stack) drain(ctx context.Context, queueURL string) ([]sqstypes.Message, error) {
	var all []sqstypes.Message
	for {
		out, err := s.direct.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:                    aws.String(queueURL),
			MaxNumberOfMessages:         10,
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{"All"},
			MessageAttributeNames:       []string{"All"},
		})
		if err != nil {
			return all, fmt.Errorf("localstack: receive: %w", err)
		}
		if len(out.Messages) == 0 {
			return all, nil
		}
		for _, m := range out.Messages {
			if _, err := s.direct.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{
				QueueUrl: aws.String(queueURL), ReceiptHandle: m.ReceiptHandle,
			}); err != nil {
				return all, fmt.Errorf("localstack: delete: %w", err)
			}
		}
		all = append(all, out.Messages...)
	}
}

func lastSegment(url string) string {
	for i := len(url) - 1; i >= 0; i-- {
		if url[i] == '/' {
			return url[i+1:]
		}
	}
	return url
}

// s3Log passes gofakes3's warnings and errors to slog; its info lines are
// one per request.
type s3Log struct{ log *slog.Logger }

func (l s3Log) Print(level gofakes3.LogLevel, v ...any) {
	switch level {
	case gofakes3.LogErr:
		l.log.Error("gofakes3", "msg", fmt.Sprint(v...))
	case gofakes3.LogWarn:
		l.log.Warn("gofakes3", "msg", fmt.Sprint(v...))
	}
}
