// Package persist is the step that records an image's outcome in DynamoDB:
// DONE from the Persist state, FAILED with its reason from RecordRejection.
package persist

import (
	"context"
	"log/slog"

	"github.com/imagepipe/imagepipe/shared/metadata"
	"github.com/imagepipe/imagepipe/shared/settings"
	"github.com/imagepipe/imagepipe/shared/steperr"
	"github.com/imagepipe/imagepipe/shared/stepio"
)

// Config is the persist step's configuration.
type Config struct {
	// Table is the metadata table (TABLE_NAME).
	Table string
}

// LoadConfig reads the configuration from env.
func LoadConfig(env settings.Env) (Config, error) {
	table, err := env.Required("TABLE_NAME")
	return Config{Table: table}, err
}

// Handler is the persist Lambda.
type Handler struct {
	store *metadata.Store
	log   *slog.Logger
}

// New returns the handler.
func New(store *metadata.Store, log *slog.Logger) *Handler {
	return &Handler{store: store, log: log}
}

// Handle writes the outcome and returns it as stored, with Changed false when
// another execution had already stored it.
func (h *Handler) Handle(ctx context.Context, in stepio.PersistInput) (stepio.Record, error) {
	var item metadata.Item
	switch in.Status {
	case stepio.StatusDone:
		if in.Image == nil || in.Processed == nil {
			return stepio.Record{}, &BadInputError{"a DONE outcome needs image and processed"}
		}
		item = doneItem(*in.Image, *in.Processed)
	case stepio.StatusFailed:
		item = metadata.FailedItem(in.Records, in.Error.Message())
	default:
		return stepio.Record{}, &BadInputError{"status must be DONE or FAILED, not " +
			in.Status}
	}
	item.ExecutionArn = in.ExecutionArn

	changed, err := h.store.Write(ctx, item)
	log := h.log.With("imageId", item.ImageID, "executionArn", in.ExecutionArn,
		"status", item.Status)
	if err != nil {
		log.Error("write failed", "error", err.Error(), "errorName", steperr.Name(err))
		return stepio.Record{}, steperr.Boundary(err)
	}
	log.Info("outcome recorded", "changed", changed)
	return item.Record(changed), nil
}

// BadInputError reports input that the state machine never sends: a bug in
// the definition, not in the upload.
type BadInputError struct{ Reason string }

func (e *BadInputError) Error() string { return "persist: bad input: " + e.Reason }

func doneItem(img stepio.Original, p stepio.Processed) metadata.Item {
	return metadata.Item{
		ImageID:        img.ImageID,
		UserID:         img.UserID,
		OriginalS3Key:  img.Key,
		ProcessedS3Key: p.PrimaryKey,
		Variants:       p.Variants,
		Status:         stepio.StatusDone,
		Width:          img.Width,
		Height:         img.Height,
		Format:         img.Format,
		Bytes:          img.Bytes,
		Sequencer:      img.Sequencer,
	}
}
