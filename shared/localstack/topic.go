package localstack

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// TopicMessage is one message published to the Stack's topic, as the
// subscriber queue received it in its SNS envelope.
type TopicMessage struct {
	MessageID string
	TopicARN  string
	Subject   string
	Message   string
	Timestamp string
	// Attributes are the message attributes by name.
	Attributes map[string]TopicAttribute
	// Envelope is the SQS body: the SNS notification JSON.
	Envelope string
}

// TopicAttribute is a message attribute of a [TopicMessage].
type TopicAttribute struct {
	Type  string
	Value string
}

// snsEnvelope reads both attribute shapes: SNS writes {"Type","Value"};
// goaws v0.5.4 writes {"DataType","StringValue"}.
type snsEnvelope struct {
	Type              string
	MessageID         string `json:"MessageId"`
	TopicArn          string
	Subject           string
	Message           string
	Timestamp         string
	MessageAttributes map[string]struct {
		Type        string
		Value       string
		DataType    string
		StringValue string
		BinaryValue string
	}
}

// TopicMessages returns every message published to the topic since Start,
// oldest first. Each call first moves what the subscriber queue holds into the
// Stack's record, so messages are never lost between calls.
func (s *Stack) TopicMessages(ctx context.Context) ([]TopicMessage, error) {
	msgs, err := s.drain(ctx, s.SubscriberQueueURL)

	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range msgs {
		body := ""
		if m.Body != nil {
			body = *m.Body
		}
		tm, perr := parseEnvelope(body)
		if perr != nil {
			s.log.Error("topic subscriber: not an SNS envelope", "err", perr)
			continue
		}
		s.published = append(s.published, tm)
	}
	return append([]TopicMessage(nil), s.published...), err
}

// WaitTopicMessages waits until the topic received at least n messages and
// returns them all.
func (s *Stack) WaitTopicMessages(ctx context.Context, n int) ([]TopicMessage, error) {
	for {
		msgs, err := s.TopicMessages(ctx)
		if err != nil || len(msgs) >= n {
			return msgs, err
		}
		select {
		case <-ctx.Done():
			return msgs, ctx.Err()
		case <-time.After(quiescentPoll):
		}
	}
}

func parseEnvelope(body string) (TopicMessage, error) {
	var env snsEnvelope
	if err := json.Unmarshal([]byte(body), &env); err != nil {
		return TopicMessage{}, err
	}
	if env.Type != "Notification" {
		return TopicMessage{}, fmt.Errorf("localstack: SNS message of type %q", env.Type)
	}
	attrs := map[string]TopicAttribute{}
	for name, a := range env.MessageAttributes {
		t, v := a.Type, a.Value
		if t == "" {
			t = a.DataType
			v = a.StringValue
			if v == "" {
				v = a.BinaryValue
			}
		}
		attrs[name] = TopicAttribute{Type: t, Value: v}
	}
	return TopicMessage{
		MessageID: env.MessageID, TopicARN: env.TopicArn, Subject: env.Subject,
		Message: env.Message, Timestamp: env.Timestamp, Attributes: attrs, Envelope: body,
	}, nil
}
