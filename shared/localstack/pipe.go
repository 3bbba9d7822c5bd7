package localstack

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/imagepipe/imagepipe/shared/s3event"
)

// Target receives what a Pipe delivers: a JSON array of one [Record]. For the
// image pipeline it starts a state machine execution with that input. A nil
// error means the target accepted the input (StartExecution returned), and
// the pipe deletes the message; an error leaves the message in the queue, to
// come back after its visibility timeout and, after maxReceiveCount
// receives, to go to the dead-letter queue.
type Target func(ctx context.Context, input []byte) error

// Record is one SQS message as an EventBridge Pipe hands it to its target.
type Record struct {
	MessageID         string                     `json:"messageId"`
	ReceiptHandle     string                     `json:"receiptHandle"`
	Body              string                     `json:"body"`
	Attributes        map[string]string          `json:"attributes"`
	MessageAttributes map[string]RecordAttribute `json:"messageAttributes"`
	MD5OfBody         string                     `json:"md5OfBody"`
	EventSource       string                     `json:"eventSource"`
	EventSourceARN    string                     `json:"eventSourceARN"`
	AWSRegion         string                     `json:"awsRegion"`
}

// RecordAttribute is a message attribute of a [Record], in the Lambda-style
// shape that Pipes uses.
type RecordAttribute struct {
	StringValue      *string  `json:"stringValue,omitempty"`
	BinaryValue      []byte   `json:"binaryValue,omitempty"`
	StringListValues []string `json:"stringListValues"`
	BinaryListValues [][]byte `json:"binaryListValues"`
	DataType         string   `json:"dataType"`
}

// PipeOptions configure a Pipe. The zero value is the deployed Pipe's set-up.
type PipeOptions struct {
	// Pattern is the filter; empty means [s3event.PipeFilterPattern].
	Pattern string
	// Pollers is how many receive loops run at once; 0 means 1. Each
	// receives one message at a time (batch size 1).
	Pollers int
}

// PipeStats counts what a Pipe did.
type PipeStats struct {
	// Received counts messages received, redeliveries included.
	Received int
	// Dropped counts messages that did not match the filter (and were
	// deleted, as Pipes deletes filtered-out messages).
	Dropped int
	// Delivered counts inputs the target accepted.
	Delivered int
	// TargetErrors counts inputs the target refused.
	TargetErrors int
}

// Pipe is the local EventBridge Pipe: it polls the source queue, filters each
// message with the Pipe's pattern and hands the ones that match to a Target,
// one record per call (batch size 1, invocation type FIRE_AND_FORGET).
type Pipe struct {
	sqs      *sqs.Client
	queueURL string
	queueARN string
	region   string
	pattern  *Pattern
	target   Target
	log      *slog.Logger

	cancel context.CancelFunc
	done   sync.WaitGroup

	mu       sync.Mutex
	stats    PipeStats
	inFlight int
	receives map[string]int
	stopped  bool
}

// startPipe starts the pollers; the Stack owns the queue and the client.
func startPipe(ctx context.Context, client *sqs.Client, queueURL, queueARN, region string,
	target Target, opts PipeOptions, log *slog.Logger) (*Pipe, error) {
	src := opts.Pattern
	if src == "" {
		src = s3event.PipeFilterPattern
	}
	pattern, err := CompilePattern(src)
	if err != nil {
		return nil, err
	}
	p := &Pipe{
		sqs: client, queueURL: queueURL, queueARN: queueARN, region: region,
		pattern: pattern, target: target, log: log,
		receives: map[string]int{},
	}
	pollers := max(opts.Pollers, 1)

	ctx, p.cancel = context.WithCancel(context.WithoutCancel(ctx))
	for range pollers {
		p.done.Add(1)
		go func() {
			defer p.done.Done()
			p.poll(ctx)
		}()
	}
	return p, nil
}

// Stop stops polling and waits until every poller has returned. A target
// call in progress sees its context cancelled. Stop may be called again.
func (p *Pipe) Stop() {
	p.mu.Lock()
	p.stopped = true
	p.mu.Unlock()
	p.cancel()
	p.done.Wait()
}

// Stats returns what the pipe did so far.
func (p *Pipe) Stats() PipeStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

// quiescentPoll is how often WaitQuiescent looks at the queue.
const quiescentPoll = 20 * time.Millisecond

// WaitQuiescent waits until the source queue holds no message, visible or in
// flight, and no target call is in progress: every event sent so far was
// delivered, dropped or moved to the dead-letter queue.
func (p *Pipe) WaitQuiescent(ctx context.Context) error {
	ticker := time.NewTicker(quiescentPoll)
	defer ticker.Stop()
	for {
		// The queue first: a message leaves it only after its target call
		// began, so an empty queue and then no call in flight means done.
		empty, err := p.queueEmpty(ctx)
		if err != nil {
			return err
		}
		p.mu.Lock()
		idle, stopped := p.inFlight == 0, p.stopped
		p.mu.Unlock()
		if empty && idle {
			return nil
		}
		if stopped {
			return ErrPipeStopped
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ticker.C:
		}
	}
}

func (p *Pipe) queueEmpty(ctx context.Context) (bool, error) {
	out, err := p.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(p.queueURL),
		AttributeNames: []sqstypes.QueueAttributeName{
			sqstypes.QueueAttributeNameApproximateNumberOfMessages,
			sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
		},
	})
	if err != nil {
		return false, err
	}
	// goaws counts in-flight messages in ApproximateNumberOfMessages too;
	// requiring both to be zero is right for goaws and for SQS.
	return out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessages)] == "0" &&
		out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible)] ==
			"0", nil
}

// idlePoll is the pause after an empty receive. Receives are short polls,
// each answered at once, so that Stop never waits on one; polling an
// emulator on loopback this often costs nothing.
const idlePoll = 50 * time.Millisecond

// receiveTimeout bounds one short receive.
const receiveTimeout = 10 * time.Second

// pollRetry is the pause after a failed receive.
const pollRetry = 500 * time.Millisecond

func (p *Pipe) poll(ctx context.Context) {
	for ctx.Err() == nil {
		// Stop does not cancel a receive in progress: a cancelled receive may
		// still have taken a message, which would then stay invisible until
		// its visibility timeout and be missing from a shutdown's snapshot.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), receiveTimeout)
		out, err := p.sqs.ReceiveMessage(rctx, &sqs.ReceiveMessageInput{
			QueueUrl:                    aws.String(p.queueURL),
			MaxNumberOfMessages:         1,
			WaitTimeSeconds:             0,
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{"All"},
			MessageAttributeNames:       []string{"All"},
		})
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			p.log.Warn("pipe: receive failed", "queue", p.queueURL, "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(pollRetry):
			}
			continue
		}
		for _, m := range out.Messages {
			if ctx.Err() != nil {
				p.release(m)
				continue
			}
			p.handle(ctx, m)
		}
		if len(out.Messages) == 0 {
			select {
			case <-ctx.Done():
			case <-time.After(idlePoll):
			}
		}
	}
}

// handle filters one message and hands it to the target.
func (p *Pipe) handle(ctx context.Context, m sqstypes.Message) {
	p.mu.Lock()
	p.inFlight++
	p.stats.Received++
	id := aws.ToString(m.MessageId)
	p.receives[id]++
	count := p.receives[id]
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.inFlight--
		p.mu.Unlock()
	}()

	rec := p.record(m, count)
	if !p.pattern.Match(filterView(rec)) {
		p.log.Debug("pipe: message filtered out", "messageId", id)
		p.delete(m, id)
		p.count(func(s *PipeStats) { s.Dropped++ })
		return
	}

	input, err := json.Marshal([]Record{rec})
	if err == nil {
		err = p.target(ctx, input)
	}
	if err != nil {
		if !errors.Is(err, context.Canceled) || ctx.Err() == nil {
			p.log.Warn("pipe: target failed; the message returns after its visibility timeout",
				"messageId", id, "receiveCount", count, "err", err)
		}
		p.count(func(s *PipeStats) { s.TargetErrors++ })
		if ctx.Err() != nil {
			p.release(m)
		}
		return
	}
	p.delete(m, id)
	p.count(func(s *PipeStats) { s.Delivered++ })
}

func (p *Pipe) count(f func(*PipeStats)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f(&p.stats)
}

// delete removes a handled message. It outlives the pipe's context: a target
// that accepted the input must not see it again because the pipe was stopping.
func (p *Pipe) delete(m sqstypes.Message, id string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := p.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{
		QueueUrl: aws.String(p.queueURL), ReceiptHandle: m.ReceiptHandle,
	})
	if err != nil {
		p.log.Warn("pipe: delete failed; the message will come again", "messageId", id,
			"err", err)
		return
	}
	p.mu.Lock()
	delete(p.receives, id)
	p.mu.Unlock()
}

// release makes a message the stopping pipe did not hand off visible again at
// once, so that it is not lost to a snapshot taken before its visibility
// timeout ends.
func (p *Pipe) release(m sqstypes.Message) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := p.sqs.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{
		QueueUrl: aws.String(p.queueURL), ReceiptHandle: m.ReceiptHandle,
		VisibilityTimeout: 0,
	})
	if err != nil {
		p.log.Warn("pipe: release failed; the message returns after its visibility timeout",
			"messageId", aws.ToString(m.MessageId), "err", err)
	}
}

// record converts a received message to the Pipe's record shape.
func (p *Pipe) record(m sqstypes.Message, receives int) Record {
	attrs := map[string]string{}
	for _, name := range []string{"ApproximateReceiveCount", "SentTimestamp", "SenderId",
		"ApproximateFirstReceiveTimestamp"} {
		if v, ok := m.Attributes[name]; ok {
			attrs[name] = v
		}
	}
	// goaws reports ApproximateReceiveCount 1 on every receive; the pipe
	// counts receives itself so the target sees what SQS would say.
	if n, err := strconv.Atoi(attrs["ApproximateReceiveCount"]); err != nil || n < receives {
		attrs["ApproximateReceiveCount"] = strconv.Itoa(receives)
	}
	msgAttrs := map[string]RecordAttribute{}
	for name, a := range m.MessageAttributes {
		msgAttrs[name] = RecordAttribute{
			StringValue:      a.StringValue,
			BinaryValue:      a.BinaryValue,
			StringListValues: append([]string{}, a.StringListValues...),
			BinaryListValues: append([][]byte{}, a.BinaryListValues...),
			DataType:         aws.ToString(a.DataType),
		}
	}
	return Record{
		MessageID:         aws.ToString(m.MessageId),
		ReceiptHandle:     aws.ToString(m.ReceiptHandle),
		Body:              aws.ToString(m.Body),
		Attributes:        attrs,
		MessageAttributes: msgAttrs,
		MD5OfBody:         aws.ToString(m.MD5OfBody),
		EventSource:       "aws:sqs",
		EventSourceARN:    p.queueARN,
		AWSRegion:         p.region,
	}
}

// filterView returns the record as the Pipe's filter sees it: a body that is
// JSON is matched as the document it holds, any other body as a string.
func filterView(rec Record) any {
	raw, _ := json.Marshal(rec)
	v, _ := decodeJSON(raw)
	view, _ := v.(map[string]any)
	if body, ok := decodeJSON([]byte(rec.Body)); ok && view != nil {
		view["body"] = body
	}
	return view
}
