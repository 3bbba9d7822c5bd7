package localstack

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"

	"github.com/imagepipe/imagepipe/shared/localstack/faults"
)

// Each proxy's faults reach the real SDK as the service's own errors: retried
// up to AWS_MAX_ATTEMPTS, and returned once the attempts are spent.
func TestFaultsAreRetryableForTheSDK(t *testing.T) {
	t.Parallel()
	s := startStack(t, Options{InjectFaults: true, MaxAttempts: 2})
	cfg, err := s.AWSConfig(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	ddb := dynamodb.NewFromConfig(cfg)
	snsc := sns.NewFromConfig(cfg)
	sqsc := sqs.NewFromConfig(cfg)

	calls := map[string]func(ctx context.Context) error{
		"PutObject": func(ctx context.Context) error {
			_, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(s.ProcessedBucket),
				Key: aws.String("processed/i.jpg"), Body: strings.NewReader("jpg")})
			return err
		},
		"HeadObject": func(ctx context.Context) error {
			_, err := s3c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.ProcessedBucket),
				Key: aws.String("processed/i.jpg")})
			return err
		},
		"PutItem": func(ctx context.Context) error {
			_, err := ddb.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.TableName),
				Item: map[string]ddbtypes.AttributeValue{
					"imageId": &ddbtypes.AttributeValueMemberS{Value: "i1"}}})
			return err
		},
		"Publish": func(ctx context.Context) error {
			_, err := snsc.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(s.TopicARN),
				Message: aws.String("m")})
			return err
		},
		"SendMessage": func(ctx context.Context) error {
			_, err := sqsc.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(s.DLQURL),
				MessageBody: aws.String("m")})
			return err
		},
	}
	// HeadObject needs its object; a plain PUT through the proxy makes it.
	if err := calls["PutObject"](t.Context()); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name     string
		proxy    *faults.Proxy
		op       string
		fault    faults.Fault
		code     string
		throttle bool
	}{
		{"s3 503", s.Faults.S3, "PutObject", faults.Fault{}, "ServiceUnavailable", false},
		{"s3 slowdown", s.Faults.S3, "PutObject", faults.Fault{Kind: faults.Throttle},
			"SlowDown", true},
		// A HEAD answer has no body, so the SDK names the error from the
		// status alone and cannot tell SlowDown from other 503s; as with S3.
		{"s3 head slowdown", s.Faults.S3, "HeadObject", faults.Fault{Kind: faults.Throttle},
			"ServiceUnavailable", false},
		{"dynamodb throughput", s.Faults.DynamoDB, "PutItem",
			faults.Fault{Kind: faults.Throttle}, "ProvisionedThroughputExceededException", true},
		{"dynamodb throttling", s.Faults.DynamoDB, "PutItem",
			faults.Fault{Kind: faults.Throttle, Code: "ThrottlingException"},
			"ThrottlingException", true},
		{"dynamodb 503", s.Faults.DynamoDB, "PutItem", faults.Fault{}, "ServiceUnavailable",
			false},
		{"sns throttling", s.Faults.SNS, "Publish", faults.Fault{Kind: faults.Throttle},
			"Throttling", true},
		{"sns 503", s.Faults.SNS, "Publish", faults.Fault{}, "ServiceUnavailable", false},
		{"sqs throttled", s.Faults.SQS, "SendMessage", faults.Fault{Kind: faults.Throttle},
			"RequestThrottled", true},
		{"sqs throttling exception", s.Faults.SQS, "SendMessage",
			faults.Fault{Kind: faults.Throttle, Code: "ThrottlingException"},
			"ThrottlingException", true},
	}
	// Each case owns its proxy's operation, so cases on one proxy run in turn.
	byProxy := map[*faults.Proxy][]int{}
	for i, c := range cases {
		byProxy[c.proxy] = append(byProxy[c.proxy], i)
	}
	for _, idx := range byProxy {
		t.Run(cases[idx[0]].name, func(t *testing.T) {
			t.Parallel()
			for _, i := range idx {
				c := cases[i]
				call := calls[c.op]
				t.Logf("case %s", c.name)
				c.proxy.Reset()

				// One failure fewer than the attempts: the SDK's retry hides it.
				c.proxy.FailNext(c.op, 1, c.fault)
				if err := call(t.Context()); err != nil {
					t.Errorf("%s: one fault and 2 attempts: %v", c.name, err)
				}
				if got := c.proxy.Failed(c.op); got != 1 {
					t.Errorf("%s: failed %d requests, want 1", c.name, got)
				}

				// As many failures as attempts: the SDK gives up with the error.
				c.proxy.FailNext(c.op, 2, c.fault)
				err := call(t.Context())
				checkFault(t, c.name, err, c.code, c.throttle)
				if got := c.proxy.Requests(c.op); got != 4 {
					t.Errorf("%s: %d requests reached the proxy, want 4", c.name, got)
				}
				if c.proxy.Pending() {
					t.Errorf("%s: rules left after they were used up", c.name)
				}
			}
		})
	}

	// Not parallel: it shares the DynamoDB proxy with the cases above, and
	// its Clear would remove their rules. It runs before they are released.
	t.Run("until cleared", func(t *testing.T) {
		p := s.Faults.DynamoDB
		t.Cleanup(p.Clear)
		ctx := t.Context()
		// Its own table operation, so the cases above don't see this rule.
		op := "DescribeTable"
		p.FailUntilCleared(op, faults.Fault{})
		describe := func() error {
			_, err := ddb.DescribeTable(ctx, &dynamodb.DescribeTableInput{
				TableName: aws.String(s.TableName)})
			return err
		}
		for range 3 {
			checkFault(t, "until cleared", describe(), "ServiceUnavailable", false)
		}
		if got := p.Failed(op); got != 6 {
			t.Errorf("failed %d, want 6 (3 calls × 2 attempts)", got)
		}
		p.Clear()
		if err := describe(); err != nil {
			t.Errorf("after Clear: %v", err)
		}
	})
}

// checkFault asserts that err is the SDK giving up on a retryable API error.
func checkFault(t *testing.T, name string, err error, code string, throttle bool) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: succeeded; want the fault after 2 attempts", name)
		return
	}
	var maxAttempts *retry.MaxAttemptsError
	if !errors.As(err, &maxAttempts) || maxAttempts.Attempt != 2 {
		t.Errorf("%s: %v is not the SDK giving up after 2 attempts", name, err)
	}
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		t.Errorf("%s: %v is not an API error", name, err)
		return
	}
	if code != "" && apiErr.ErrorCode() != code {
		t.Errorf("%s: code %q, want %q", name, apiErr.ErrorCode(), code)
	}
	// The whole error: the SDK retries a 503 for its HTTP status, which the
	// response error around the API error carries.
	if !retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err).Bool() {
		t.Errorf("%s: the SDK does not see %v as retryable", name, err)
	}
	isThrottle := retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err).Bool()
	if isThrottle != throttle {
		t.Errorf("%s: throttle %v, want %v", name, isThrottle, throttle)
	}
}

// SQS's query-protocol code AWS.SimpleQueueService.RequestThrottled is not
// one the SDK knows as throttling: a fault written with it is not retried.
func TestSQSQueryThrottleCodeIsNotRetried(t *testing.T) {
	t.Parallel()
	s := startStack(t, Options{InjectFaults: true, MaxAttempts: 3})
	cfg, err := s.AWSConfig(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	s.Faults.SQS.FailNext("SendMessage", 3, faults.Fault{Kind: faults.Throttle,
		Code: "AWS.SimpleQueueService.RequestThrottled"})
	_, err = sqs.NewFromConfig(cfg).SendMessage(t.Context(), &sqs.SendMessageInput{
		QueueUrl: aws.String(s.DLQURL), MessageBody: aws.String("m")})
	if err == nil {
		t.Fatal("succeeded through the fault")
	}
	if got := s.Faults.SQS.Failed("SendMessage"); got != 1 {
		t.Errorf("the SDK tried %d times, want 1 (no retry): %v", got, err)
	}
}
