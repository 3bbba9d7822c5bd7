// Package s3event decodes what the EventBridge Pipe delivers to the state
// machine: a JSON array of SQS records whose body is an S3 event notification,
// carried as a JSON string.
package s3event

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// Object is the one S3 object that a pipe batch announces.
type Object struct {
	Bucket string
	// Key is URL-decoded: S3 encodes it in events, with '+' for a space.
	Key       string
	Size      int64
	ETag      string
	Sequencer string
	EventName string
	EventTime time.Time
}

// Errors of [Decode]. Each is final: the same records never decode otherwise.
var (
	ErrEmptyBatch = errors.New("s3event: the pipe delivered no records")
	ErrBatchSize  = errors.New("s3event: the pipe delivered more than one record; " +
		"its batch size must be 1")
	ErrTestEvent = errors.New("s3event: the record is S3's s3:TestEvent, " +
		"sent when notifications are configured; it names no object")
	ErrNoObject = errors.New("s3event: the S3 event names no object")
)

// ErrMalformed reports records that are not the Pipe's SQS shape or whose body
// is not an S3 event.
type ErrMalformed struct{ Err error }

func (e *ErrMalformed) Error() string { return "s3event: malformed records: " + e.Err.Error() }
func (e *ErrMalformed) Unwrap() error { return e.Err }

// ErrNotCreated reports an S3 event other than ObjectCreated.
type ErrNotCreated struct{ EventName string }

func (e *ErrNotCreated) Error() string {
	return fmt.Sprintf("s3event: the event is %s, not ObjectCreated", e.EventName)
}

// Decode returns the object announced by a pipe batch of exactly one record.
func Decode(records json.RawMessage) (Object, error) {
	var batch []events.SQSMessage
	if err := json.Unmarshal(records, &batch); err != nil {
		return Object{}, &ErrMalformed{err}
	}
	switch {
	case len(batch) == 0:
		return Object{}, ErrEmptyBatch
	case len(batch) > 1:
		return Object{}, ErrBatchSize
	}
	return DecodeBody(batch[0].Body)
}

// DecodeBody returns the object announced by one SQS message body.
func DecodeBody(body string) (Object, error) {
	var probe struct {
		Event string `json:"Event"`
	}
	if err := json.Unmarshal([]byte(body), &probe); err != nil {
		return Object{}, &ErrMalformed{fmt.Errorf("body is not JSON: %w", err)}
	}
	if probe.Event == "s3:TestEvent" {
		return Object{}, ErrTestEvent
	}

	var event events.S3Event
	if err := json.Unmarshal([]byte(body), &event); err != nil {
		return Object{}, &ErrMalformed{err}
	}
	if len(event.Records) == 0 {
		return Object{}, ErrNoObject
	}
	if len(event.Records) > 1 {
		return Object{}, &ErrMalformed{errors.New("the S3 event holds more than one record")}
	}
	r := event.Records[0]
	if !strings.HasPrefix(r.EventName, "ObjectCreated:") {
		return Object{}, &ErrNotCreated{r.EventName}
	}
	if r.S3.Bucket.Name == "" || r.S3.Object.Key == "" {
		return Object{}, ErrNoObject
	}
	key, err := url.QueryUnescape(r.S3.Object.Key)
	if err != nil {
		return Object{}, &ErrMalformed{fmt.Errorf("object key: %w", err)}
	}
	return Object{
		Bucket:    r.S3.Bucket.Name,
		Key:       key,
		Size:      r.S3.Object.Size,
		ETag:      r.S3.Object.ETag,
		Sequencer: r.S3.Object.Sequencer,
		EventName: r.EventName,
		EventTime: r.EventTime,
	}, nil
}

// SequencerWidth is the width to which [PadSequencer] pads.
const SequencerWidth = 32

// PadSequencer left-pads a hexadecimal sequencer with zeros to
// [SequencerWidth] characters and upper-cases it, so that two padded
// sequencers of one key compare as strings in the order S3 made them.
func PadSequencer(seq string) string {
	seq = strings.ToUpper(seq)
	if len(seq) >= SequencerWidth {
		return seq
	}
	return strings.Repeat("0", SequencerWidth-len(seq)) + seq
}

// PipeFilterPattern is the EventBridge Pipe's filter: only SQS records whose
// body is an S3 ObjectCreated event start an execution. The deployed Pipe and
// the local pipe use this same pattern.
const PipeFilterPattern = `{"body":{"Records":{"eventName":[{"prefix":"ObjectCreated:"}]}}}`
