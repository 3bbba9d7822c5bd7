// Package recordfailure is the failure recorder: the target of the EventBridge
// rule on the state machine's "Step Functions Execution Status Change" events.
// When an execution ends FAILED, TIMED_OUT or ABORTED outside the rejection
// branch — a dependency stayed down past the retries, a timeout, a bug — it
// marks the image FAILED with the error and sends one failure notification.
package recordfailure

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"

	"github.com/imagepipe/imagepipe/shared/metadata"
	"github.com/imagepipe/imagepipe/shared/notification"
	"github.com/imagepipe/imagepipe/shared/settings"
	"github.com/imagepipe/imagepipe/shared/steperr"
	"github.com/imagepipe/imagepipe/shared/stepio"
)

// Config is the failure recorder's configuration.
type Config struct {
	Table string // TABLE_NAME
	Topic string // TOPIC_ARN
}

// LoadConfig reads the configuration from env.
func LoadConfig(env settings.Env) (Config, error) {
	var c Config
	var err error
	if c.Table, err = env.Required("TABLE_NAME"); err != nil {
		return c, err
	}
	c.Topic, err = env.Required("TOPIC_ARN")
	return c, err
}

// DetailType is the EventBridge detail-type the recorder handles.
const DetailType = "Step Functions Execution Status Change"

// StatusChange is the detail of a DetailType event.
type StatusChange struct {
	ExecutionArn    string `json:"executionArn"`
	StateMachineArn string `json:"stateMachineArn"`
	Name            string `json:"name"`
	Status          string `json:"status"`
	// Input is the execution's input as a JSON string: the pipe's records.
	Input string `json:"input"`
	Error string `json:"error"`
	Cause string `json:"cause"`
}

// Outcome says what the recorder did with one event.
type Outcome string

// Outcomes of [Handler.Handle].
const (
	Recorded  Outcome = "recorded"  // the item is FAILED and the notification sent
	Ignored   Outcome = "ignored"   // not a failure, or a rejection already recorded
	Unchanged Outcome = "unchanged" // the item was DONE, or already FAILED
)

// Handler is the failure recorder Lambda.
type Handler struct {
	store     *metadata.Store
	announcer *notification.Announcer
	log       *slog.Logger
}

// New returns the handler.
func New(store *metadata.Store, pub *notification.Publisher, log *slog.Logger) *Handler {
	return &Handler{store: store, announcer: notification.NewAnnouncer(store, pub), log: log}
}

// Handle records one status change event.
func (h *Handler) Handle(ctx context.Context, event events.CloudWatchEvent) (Outcome, error) {
	var sc StatusChange
	if err := json.Unmarshal(event.Detail, &sc); err != nil {
		return Ignored, &BadEventError{err}
	}
	log := h.log.With("executionArn", sc.ExecutionArn, "status", sc.Status)
	switch {
	case event.DetailType != DetailType:
		log.Warn("event ignored", "detailType", event.DetailType)
		return Ignored, nil
	case sc.Status != "FAILED" && sc.Status != "TIMED_OUT" && sc.Status != "ABORTED":
		return Ignored, nil
	case sc.Error == steperr.NameImageRejected:
		// The rejection branch recorded and announced it before failing.
		log.Info("rejection already recorded")
		return Ignored, nil
	}

	item := metadata.FailedItem(json.RawMessage(sc.Input), Reason(sc))
	item.ExecutionArn = sc.ExecutionArn
	log = log.With("imageId", item.ImageID)

	// EventBridge delivers at least once, and an execution may have stored
	// its FAILED outcome itself (its rejection branch) before an announcement
	// failed. What this execution stored is announced once and kept as it
	// is: its reason is the one the user should read.
	stored, found, err := h.store.Get(ctx, item.ImageID)
	if err != nil {
		return Unchanged, steperr.Boundary(err)
	}
	if found && stored.ExecutionArn == sc.ExecutionArn && stored.Status == item.Status {
		return h.announce(ctx, log, stored, sc.ExecutionArn)
	}
	changed, err := h.store.Write(ctx, item)
	if err != nil {
		log.Error("write failed", "error", err.Error())
		return Unchanged, steperr.Boundary(err)
	}
	if !changed {
		// An execution that ended inside Notify (out of time past its retry)
		// may still hold the announcement of the DONE it stored: give it
		// back, so that a new execution with the same input announces it.
		if err := h.store.ReleaseAnnouncement(ctx, item.ImageID, sc.ExecutionArn); err != nil {
			log.Error("giving the announcement back failed", "error", err.Error())
		}
		log.Info("failure not recorded: the item is DONE or already FAILED")
		return Unchanged, nil
	}
	return h.announce(ctx, log, item, sc.ExecutionArn)
}

// announce publishes the failure notification of item once, as Notify
// announces ([notification.Announcer]).
func (h *Handler) announce(ctx context.Context, log *slog.Logger, item metadata.Item,
	executionArn string) (Outcome, error) {
	id, sent, err := h.announcer.Announce(ctx, item.Record(true), executionArn, log)
	if err != nil {
		log.Error("announcing the failure failed", "error", err.Error())
		return Recorded, steperr.Boundary(err)
	}
	if !sent {
		log.Info("failure already recorded and announced")
		return Unchanged, nil
	}
	log.Info("failure recorded", "reason", item.Reason, "messageId", id)
	return Recorded, nil
}

// Reason returns the person-readable reason of a failed execution.
func Reason(sc StatusChange) string {
	switch sc.Status {
	case "TIMED_OUT":
		return "processing timed out"
	case "ABORTED":
		return "processing was stopped by hand"
	}
	cause := (&stepio.CaughtError{Error: sc.Error, Cause: sc.Cause}).Message()
	if sc.Error == "" {
		return "processing failed: " + cause
	}
	if cause == sc.Error {
		return fmt.Sprintf("processing failed after retries: %s", sc.Error)
	}
	return fmt.Sprintf("processing failed after retries: %s: %s", sc.Error, cause)
}

// BadEventError reports an event whose detail is not a status change.
type BadEventError struct{ Err error }

func (e *BadEventError) Error() string { return "recordfailure: bad event: " + e.Err.Error() }
func (e *BadEventError) Unwrap() error { return e.Err }
