package main

import (
	"encoding/json"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/dynamodb"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sqs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/imagepipe/imagepipe/shared/metadata"
	"github.com/imagepipe/imagepipe/shared/objectkey"
)

// Queue settings.
const (
	// maxReceiveCount is how often the pipe may fail to start an execution for
	// one message before SQS moves it to the DLQ.
	maxReceiveCount = 5
	// queueVisibilitySeconds covers the pipe's StartExecution call with a
	// wide margin; with FIRE_AND_FORGET the pipe never waits for the workflow.
	queueVisibilitySeconds = 60
	// maxMessageBytes is SQS's largest message, well above an S3 event.
	maxMessageBytes = 256 * 1024
	// dlqRetentionSeconds is SQS's longest retention: two weeks to look.
	dlqRetentionSeconds = 14 * 24 * 3600
	// abortMultipartDays is when S3 drops the parts of an unfinished upload.
	abortMultipartDays = 1
)

// sseByDefault shortens the longest type name of the S3 package.
type sseByDefault = s3.
	BucketServerSideEncryptionConfigurationV2RuleApplyServerSideEncryptionByDefaultArgs

// bucket is one S3 bucket with the companion resources that make it private,
// encrypted and TLS-only.
type bucket struct {
	bucket       *s3.BucketV2
	publicAccess *s3.BucketPublicAccessBlock
	encryption   *s3.BucketServerSideEncryptionConfigurationV2
	policy       *s3.BucketPolicy
	lifecycle    *s3.BucketLifecycleConfigurationV2
	cors         *s3.BucketCorsConfigurationV2
}

// newBucket creates a private, encrypted, TLS-only bucket.
func newBucket(ctx *pulumi.Context, name string) (*bucket, error) {
	b := &bucket{}
	var err error

	// The bucket itself; its physical name is generated, so stacks never
	// collide in S3's global namespace.
	if b.bucket, err = s3.NewBucketV2(ctx, name, &s3.BucketV2Args{}); err != nil {
		return nil, err
	}

	// Images are private: access only through IAM roles and presigned URLs.
	b.publicAccess, err = s3.NewBucketPublicAccessBlock(ctx, name, &s3.BucketPublicAccessBlockArgs{
		Bucket:                b.bucket.ID(),
		BlockPublicAcls:       pulumi.Bool(true),
		BlockPublicPolicy:     pulumi.Bool(true),
		IgnorePublicAcls:      pulumi.Bool(true),
		RestrictPublicBuckets: pulumi.Bool(true),
	})
	if err != nil {
		return nil, err
	}

	// SSE-S3 rather than KMS: S3 event delivery and presigned PUTs need no key
	// policy, and the data is encrypted at rest all the same.
	b.encryption, err = s3.NewBucketServerSideEncryptionConfigurationV2(ctx, name,
		&s3.BucketServerSideEncryptionConfigurationV2Args{
			Bucket: b.bucket.ID(),
			Rules: s3.BucketServerSideEncryptionConfigurationV2RuleArray{
				&s3.BucketServerSideEncryptionConfigurationV2RuleArgs{
					ApplyServerSideEncryptionByDefault: &sseByDefault{
						SseAlgorithm: pulumi.String("AES256"),
					},
				},
			},
		})
	if err != nil {
		return nil, err
	}

	// Refuses every request not made over TLS, presigned URLs included.
	b.policy, err = s3.NewBucketPolicy(ctx, name, &s3.BucketPolicyArgs{
		Bucket: b.bucket.ID(),
		Policy: b.bucket.Arn.ApplyT(tlsOnlyPolicy).(pulumi.StringOutput),
	}, pulumi.DependsOn([]pulumi.Resource{b.publicAccess}))
	if err != nil {
		return nil, err
	}

	// Parts of abandoned multipart uploads are billed until deleted.
	b.lifecycle, err = s3.NewBucketLifecycleConfigurationV2(ctx, name,
		&s3.BucketLifecycleConfigurationV2Args{
			Bucket: b.bucket.ID(),
			Rules: s3.BucketLifecycleConfigurationV2RuleArray{
				&s3.BucketLifecycleConfigurationV2RuleArgs{
					Id:     pulumi.String("abort-incomplete-multipart-uploads"),
					Status: pulumi.String("Enabled"),
					Filter: &s3.BucketLifecycleConfigurationV2RuleFilterArgs{},
					AbortIncompleteMultipartUpload: &s3.
						BucketLifecycleConfigurationV2RuleAbortIncompleteMultipartUploadArgs{
						DaysAfterInitiation: pulumi.Int(abortMultipartDays),
					},
				},
			},
		})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// tlsOnlyPolicy denies every S3 action on the bucket and its objects over
// plain HTTP.
func tlsOnlyPolicy(bucketArn string) string {
	return policyDocument{
		Version: "2012-10-17",
		Statement: []policyStatement{{
			Sid:       "DenyInsecureTransport",
			Effect:    "Deny",
			Principal: "*",
			Action:    []string{"s3:*"},
			Resource:  []string{bucketArn, bucketArn + "/*"},
			Condition: map[string]map[string]string{
				"Bool": {"aws:SecureTransport": "false"},
			},
		}},
	}.marshal()
}

// addUploadCORS lets browsers on the configured origins PUT to presigned URLs.
func (b *bucket) addUploadCORS(ctx *pulumi.Context, name string, origins []string) error {
	var err error
	// Browsers send a preflight before the PUT; S3 answers it from this rule.
	b.cors, err = s3.NewBucketCorsConfigurationV2(ctx, name, &s3.BucketCorsConfigurationV2Args{
		Bucket: b.bucket.ID(),
		CorsRules: s3.BucketCorsConfigurationV2CorsRuleArray{
			&s3.BucketCorsConfigurationV2CorsRuleArgs{
				AllowedMethods: pulumi.ToStringArray([]string{"PUT"}),
				AllowedOrigins: pulumi.ToStringArray(origins),
				AllowedHeaders: pulumi.ToStringArray([]string{"content-type", "content-length"}),
				ExposeHeaders:  pulumi.ToStringArray([]string{"ETag"}),
				MaxAgeSeconds:  pulumi.Int(3000),
			},
		},
	})
	return err
}

// uploadQueue is the SQS queue between S3 and the pipe, with its DLQ.
type uploadQueue struct {
	queue        *sqs.Queue
	dlq          *sqs.Queue
	policy       *sqs.QueuePolicy
	notification *s3.BucketNotification
}

// newUploadQueue creates the queue that S3 announces uploads to.
func newUploadQueue(ctx *pulumi.Context, originals *bucket, accountID string) (*uploadQueue,
	error) {
	q := &uploadQueue{}
	var err error

	// Messages that failed maxReceiveCount times wait here for a person.
	q.dlq, err = sqs.NewQueue(ctx, "uploads-dlq", &sqs.QueueArgs{
		SqsManagedSseEnabled:    pulumi.Bool(true),
		MaxMessageSize:          pulumi.Int(maxMessageBytes),
		MessageRetentionSeconds: pulumi.Int(dlqRetentionSeconds),
	})
	if err != nil {
		return nil, err
	}

	// Buffers S3's at-least-once events so that a pipe outage loses none.
	q.queue, err = sqs.NewQueue(ctx, "uploads", &sqs.QueueArgs{
		SqsManagedSseEnabled:     pulumi.Bool(true),
		MaxMessageSize:           pulumi.Int(maxMessageBytes),
		VisibilityTimeoutSeconds: pulumi.Int(queueVisibilitySeconds),
		ReceiveWaitTimeSeconds:   pulumi.Int(20),
		RedrivePolicy: q.dlq.Arn.ApplyT(func(arn string) (string, error) {
			b, err := json.Marshal(map[string]any{
				"deadLetterTargetArn": arn,
				"maxReceiveCount":     maxReceiveCount,
			})
			return string(b), err
		}).(pulumi.StringOutput),
	})
	if err != nil {
		return nil, err
	}

	// Only the originals bucket of this account may send to the queue.
	q.policy, err = sqs.NewQueuePolicy(ctx, "uploads", &sqs.QueuePolicyArgs{
		QueueUrl: q.queue.Url,
		Policy: pulumi.All(q.queue.Arn, originals.bucket.Arn).ApplyT(
			func(v []any) string {
				return servicePublishPolicy("s3.amazonaws.com", v[0].(string), v[1].(string),
					accountID)
			}).(pulumi.StringOutput),
	})
	if err != nil {
		return nil, err
	}

	// Announces every finished upload; S3 checks the queue policy when the
	// notification is created, hence the dependency.
	q.notification, err = s3.NewBucketNotification(ctx, "originals", &s3.BucketNotificationArgs{
		Bucket: originals.bucket.ID(),
		Queues: s3.BucketNotificationQueueArray{
			&s3.BucketNotificationQueueArgs{
				QueueArn:     q.queue.Arn,
				Events:       pulumi.ToStringArray([]string{"s3:ObjectCreated:*"}),
				FilterPrefix: pulumi.String(objectkey.UploadsPrefix),
			},
		},
	}, pulumi.DependsOn([]pulumi.Resource{q.policy}))
	if err != nil {
		return nil, err
	}
	return q, nil
}

// servicePublishPolicy is a queue policy that lets one AWS service send
// messages to queueArn on behalf of sourceArn in this account only.
func servicePublishPolicy(service, queueArn, sourceArn, accountID string) string {
	return policyDocument{
		Version: "2012-10-17",
		Statement: []policyStatement{{
			Sid:       "AllowSourceOnly",
			Effect:    "Allow",
			Principal: map[string]string{"Service": service},
			Action:    []string{"sqs:SendMessage"},
			Resource:  []string{queueArn},
			Condition: map[string]map[string]string{
				"ArnEquals":    {"aws:SourceArn": sourceArn},
				"StringEquals": {"aws:SourceAccount": accountID},
			},
		}},
	}.marshal()
}

// newTable creates the metadata table from the same definition the local
// stack uses, [metadata.CreateTableInput].
func newTable(ctx *pulumi.Context, name string) (*dynamodb.Table, error) {
	in := metadata.CreateTableInput(name)
	args := &dynamodb.TableArgs{
		Name:        pulumi.String(name),
		BillingMode: pulumi.String(string(in.BillingMode)),
		PointInTimeRecovery: &dynamodb.TablePointInTimeRecoveryArgs{
			Enabled: pulumi.Bool(true),
		},
	}
	var attrs dynamodb.TableAttributeArray
	for _, a := range in.AttributeDefinitions {
		attrs = append(attrs, &dynamodb.TableAttributeArgs{
			Name: pulumi.String(*a.AttributeName),
			Type: pulumi.String(string(a.AttributeType)),
		})
	}
	args.Attributes = attrs
	hash, rng := keys(in.KeySchema)
	args.HashKey = pulumi.String(hash)
	if rng != "" {
		args.RangeKey = pulumi.String(rng)
	}
	var gsis dynamodb.TableGlobalSecondaryIndexArray
	for _, g := range in.GlobalSecondaryIndexes {
		hash, rng := keys(g.KeySchema)
		gsi := &dynamodb.TableGlobalSecondaryIndexArgs{
			Name:           pulumi.String(*g.IndexName),
			HashKey:        pulumi.String(hash),
			ProjectionType: pulumi.String(string(g.Projection.ProjectionType)),
		}
		if rng != "" {
			gsi.RangeKey = pulumi.String(rng)
		}
		gsis = append(gsis, gsi)
	}
	args.GlobalSecondaryIndexes = gsis

	// One item per image, keyed by imageId; point-in-time recovery because
	// the item is the only record of an image's processing.
	return dynamodb.NewTable(ctx, "images", args)
}

// keys returns the hash and range key names of a key schema.
func keys(schema []types.KeySchemaElement) (hash, rng string) {
	for _, k := range schema {
		switch k.KeyType {
		case types.KeyTypeHash:
			hash = *k.AttributeName
		case types.KeyTypeRange:
			rng = *k.AttributeName
		}
	}
	return hash, rng
}

// newTopic creates the notification topic and, when an address is
// configured, its email subscription.
func newTopic(ctx *pulumi.Context, email string) (*sns.Topic, error) {
	// One topic for image results (with status and userId attributes) and
	// for alarms. It is not KMS-encrypted: CloudWatch alarms cannot publish
	// to a topic under the AWS-managed SNS key.
	topic, err := sns.NewTopic(ctx, "notifications", &sns.TopicArgs{})
	if err != nil {
		return nil, err
	}
	if email == "" {
		return topic, nil
	}

	// The operator's mailbox gets alarms only: image results carry a status
	// attribute, alarms carry none. AWS mails a confirmation link first.
	_, err = sns.NewTopicSubscription(ctx, "alarm-email", &sns.TopicSubscriptionArgs{
		Topic:        topic.Arn,
		Protocol:     pulumi.String("email"),
		Endpoint:     pulumi.String(email),
		FilterPolicy: pulumi.String(`{"status":[{"exists":false}]}`),
	})
	if err != nil {
		return nil, err
	}
	return topic, nil
}
