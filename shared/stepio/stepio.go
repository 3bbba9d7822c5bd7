// Package stepio holds the JSON documents that flow between the states of the
// image pipeline, as statemachine/definition.asl.json wires them: what each
// step Lambda receives and returns.
//
// They carry keys and facts, never image bytes: a Step Functions payload is
// capped at 256 KB.
package stepio

import "encoding/json"

// Status values of an image's metadata item.
const (
	StatusDone   = "DONE"
	StatusFailed = "FAILED"
)

// FetchInput is what the Fetch state passes to the fetch Lambda.
type FetchInput struct {
	// Records is the EventBridge Pipe's batch: a JSON array of SQS records
	// whose body is an S3 event notification.
	Records json.RawMessage `json:"records"`
	// ExecutionArn is $$.Execution.Id.
	ExecutionArn string `json:"executionArn"`
}

// Original describes an uploaded image that passed the fetch checks.
type Original struct {
	Bucket  string `json:"bucket"`
	Key     string `json:"key"`
	UserID  string `json:"userId"`
	ImageID string `json:"imageId"`
	// Format is the format sniffed from the content: jpeg, png, gif or webp.
	Format string `json:"format"`
	// Width and Height are as stored, before the EXIF orientation is applied.
	Width  int   `json:"width"`
	Height int   `json:"height"`
	Bytes  int64 `json:"bytes"`
	// Orientation is the EXIF orientation, 1 to 8 (1 when absent).
	Orientation int `json:"orientation"`
	// ETag pins the version of the object that was checked.
	ETag string `json:"eTag,omitempty"`
	// Sequencer is the S3 event's sequencer, which orders events of one key.
	Sequencer    string `json:"sequencer"`
	ExecutionArn string `json:"executionArn"`
}

// ResizeInput is what the Resize state passes to the resize Lambda.
type ResizeInput struct {
	Image Original `json:"image"`
}

// Variant is one rendition written to the processed bucket.
type Variant struct {
	Name        string `json:"name"`
	Key         string `json:"key"`
	Width       int    `json:"width"`
	Height      int    `json:"height"`
	Bytes       int64  `json:"bytes"`
	ContentType string `json:"contentType"`
}

// Processed is what the resize Lambda returns.
type Processed struct {
	Bucket string `json:"bucket"`
	// PrimaryKey is the key of the primary rendition, processed/<imageId>.jpg.
	PrimaryKey string    `json:"processedS3Key"`
	Variants   []Variant `json:"variants"`
}

// CaughtError is what a Catch writes at its ResultPath.
type CaughtError struct {
	Error string `json:"Error"`
	Cause string `json:"Cause"`
}

// Message returns the person-readable message of a caught error: the
// errorMessage that Lambda put in the Cause, else the Cause, else the name.
func (c *CaughtError) Message() string {
	if c == nil {
		return "the upload was rejected"
	}
	var cause struct {
		ErrorMessage string `json:"errorMessage"`
	}
	if json.Unmarshal([]byte(c.Cause), &cause) == nil && cause.ErrorMessage != "" {
		return cause.ErrorMessage
	}
	if c.Cause != "" {
		return c.Cause
	}
	return c.Error
}

// PersistInput is what the Persist and RecordRejection states pass to the
// persist Lambda.
type PersistInput struct {
	// Status is StatusDone from Persist and StatusFailed from RecordRejection.
	Status string `json:"status"`
	// Image and Processed are set on the success path.
	Image     *Original  `json:"image,omitempty"`
	Processed *Processed `json:"processed,omitempty"`
	// Records and Error are set on the rejection path, where Image may not
	// exist yet: the image is then identified from the S3 event.
	Records      json.RawMessage `json:"records,omitempty"`
	Error        *CaughtError    `json:"error,omitempty"`
	ExecutionArn string          `json:"executionArn"`
}

// Record is what the persist Lambda returns: the outcome as stored.
type Record struct {
	ImageID        string    `json:"imageId"`
	UserID         string    `json:"userId,omitempty"`
	Status         string    `json:"status"`
	Reason         string    `json:"reason,omitempty"`
	OriginalS3Key  string    `json:"originalS3Key"`
	ProcessedS3Key string    `json:"processedS3Key,omitempty"`
	Variants       []Variant `json:"variants,omitempty"`
	// Sequencer is the S3 event's sequencer of the upload: with Status, it
	// names the outcome that Notify announces.
	Sequencer string `json:"sequencer,omitempty"`
	// Changed reports whether this write changed the stored outcome. It is
	// false when another execution had already stored the same outcome for the
	// same upload (a duplicated S3 event, a replay). It is shown, not obeyed:
	// whether a message goes out is the item's announcement claim's to decide.
	Changed bool `json:"changed"`
}

// NotifyInput is what the Notify and NotifyRejection states pass to the notify
// Lambda.
type NotifyInput struct {
	Record       Record `json:"record"`
	ExecutionArn string `json:"executionArn"`
}

// NotifyOutput is what the notify Lambda returns.
type NotifyOutput struct {
	// MessageID is the SNS message id; empty when nothing was sent.
	MessageID string `json:"messageId,omitempty"`
	// Skipped is true when nothing was to be sent: the outcome had been
	// announced, another execution is announcing it, or the item holds a
	// newer one.
	Skipped bool `json:"skipped"`
}
