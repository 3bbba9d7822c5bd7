// Package notification holds the SNS message that announces an image's
// outcome, and its publisher.
package notification

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/imagepipe/imagepipe/shared/steperr"
	"github.com/imagepipe/imagepipe/shared/stepio"
)

// Message is the JSON body of a notification. Subscribers filter on the
// message attributes `status` and `userId`, which carry the same values.
type Message struct {
	ImageID        string           `json:"imageId"`
	UserID         string           `json:"userId,omitempty"`
	Status         string           `json:"status"`
	Reason         string           `json:"reason,omitempty"`
	OriginalS3Key  string           `json:"originalS3Key"`
	ProcessedS3Key string           `json:"processedS3Key,omitempty"`
	Variants       []stepio.Variant `json:"variants,omitempty"`
	ExecutionArn   string           `json:"executionArn"`
	// ExecutionURL opens the execution in the Step Functions console.
	ExecutionURL string `json:"executionUrl"`
}

// Publisher publishes notifications to one topic.
type Publisher struct {
	client *sns.Client
	topic  string
	// ConsoleURL returns the link to an execution; [ConsoleURL] by default.
	ConsoleURL func(executionArn string) string
}

// NewPublisher returns a Publisher to topicArn.
func NewPublisher(client *sns.Client, topicArn string) *Publisher {
	return &Publisher{client: client, topic: topicArn, ConsoleURL: ConsoleURL}
}

// NewMessage returns the notification of rec.
func (p *Publisher) NewMessage(rec stepio.Record, executionArn string) Message {
	return Message{
		ImageID:        rec.ImageID,
		UserID:         rec.UserID,
		Status:         rec.Status,
		Reason:         rec.Reason,
		OriginalS3Key:  rec.OriginalS3Key,
		ProcessedS3Key: rec.ProcessedS3Key,
		Variants:       rec.Variants,
		ExecutionArn:   executionArn,
		ExecutionURL:   p.ConsoleURL(executionArn),
	}
}

// Publish sends the notification of rec and returns the SNS message id.
func (p *Publisher) Publish(ctx context.Context, rec stepio.Record,
	executionArn string) (string, error) {
	msg := p.NewMessage(rec, executionArn)
	var body strings.Builder
	enc := json.NewEncoder(&body)
	// Email subscribers read the JSON as it is: keep '<' and '&' legible.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(msg); err != nil {
		return "", fmt.Errorf("notification: %w", err)
	}
	attrs := map[string]types.MessageAttributeValue{"status": stringAttr(msg.Status)}
	// SNS refuses an empty attribute value; an upload outside the key layout
	// has no user.
	if msg.UserID != "" {
		attrs["userId"] = stringAttr(msg.UserID)
	}
	out, err := p.client.Publish(ctx, &sns.PublishInput{
		TopicArn:          aws.String(p.topic),
		Subject:           aws.String(subject(msg)),
		Message:           aws.String(strings.TrimSpace(body.String())),
		MessageAttributes: attrs,
	})
	if err != nil {
		return "", steperr.FromAWS("sns", "Publish", err)
	}
	return aws.ToString(out.MessageId), nil
}

func stringAttr(v string) types.MessageAttributeValue {
	return types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
}

// subject is at most 100 characters, as SNS requires.
func subject(m Message) string {
	s := fmt.Sprintf("imagepipe: image %s %s", m.ImageID, m.Status)
	if len(s) > 100 {
		s = s[:100]
	}
	return s
}

// ConsoleURL returns the Step Functions console page of an execution, in the
// execution's own region.
func ConsoleURL(executionArn string) string {
	parts := strings.Split(executionArn, ":")
	if len(parts) < 4 || parts[3] == "" {
		return ""
	}
	region := parts[3]
	return fmt.Sprintf("https://%s.console.aws.amazon.com/states/home?region=%s"+
		"#/v2/executions/details/%s", region, region, url.PathEscape(executionArn))
}
