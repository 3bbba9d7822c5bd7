// Package notify is the step that announces an image's outcome on SNS, once
// per outcome.
package notify

import (
	"context"
	"log/slog"

	"github.com/imagepipe/imagepipe/shared/metadata"
	"github.com/imagepipe/imagepipe/shared/notification"
	"github.com/imagepipe/imagepipe/shared/settings"
	"github.com/imagepipe/imagepipe/shared/steperr"
	"github.com/imagepipe/imagepipe/shared/stepio"
)

// Config is the notify step's configuration.
type Config struct {
	// Topic is the SNS topic's ARN (TOPIC_ARN).
	Topic string
	// Table is the metadata table (TABLE_NAME), where the announcement of
	// each outcome is claimed and marked.
	Table string
}

// LoadConfig reads the configuration from env.
func LoadConfig(env settings.Env) (Config, error) {
	topic, err := env.Required("TOPIC_ARN")
	if err != nil {
		return Config{}, err
	}
	table, err := env.Required("TABLE_NAME")
	return Config{Topic: topic, Table: table}, err
}

// Handler is the notify Lambda.
type Handler struct {
	store *metadata.Store
	pub   *notification.Publisher
	log   *slog.Logger
}

// New returns the handler.
func New(store *metadata.Store, pub *notification.Publisher, log *slog.Logger) *Handler {
	return &Handler{store: store, pub: pub, log: log}
}

// Handle publishes the record's outcome once: it claims the announcement on
// the item, publishes, and marks it made. Nothing is sent when the outcome was
// announced already or is being announced by another execution (a duplicated
// event), or when the item holds a newer outcome. A failed publish gives the
// claim back, so that a retry, a redrive or a new execution announces it.
func (h *Handler) Handle(ctx context.Context, in stepio.NotifyInput) (stepio.NotifyOutput, error) {
	rec := in.Record
	log := h.log.With("imageId", rec.ImageID, "executionArn", in.ExecutionArn,
		"status", rec.Status)
	claimed, err := h.store.ClaimAnnouncement(ctx, rec.ImageID, rec.Status, rec.Sequencer,
		in.ExecutionArn)
	if err != nil {
		log.Error("claiming the announcement failed", "error", err.Error(),
			"errorName", steperr.Name(err))
		return stepio.NotifyOutput{}, steperr.Boundary(err)
	}
	if !claimed {
		log.Info("notification skipped: outcome announced, being announced, or superseded")
		return stepio.NotifyOutput{Skipped: true}, nil
	}
	id, err := h.pub.Publish(ctx, rec, in.ExecutionArn)
	if err != nil {
		log.Error("publish failed", "error", err.Error(), "errorName", steperr.Name(err))
		if rerr := h.store.ReleaseAnnouncement(ctx, rec.ImageID, in.ExecutionArn); rerr != nil {
			log.Error("giving the announcement back failed", "error", rerr.Error())
		}
		return stepio.NotifyOutput{}, steperr.Boundary(err)
	}
	// The message is out: a failure to mark it is logged, not returned, since
	// a retry would send it again. The claim stays, so no other execution
	// sends it either.
	if err := h.store.MarkNotified(ctx, rec.ImageID, in.ExecutionArn); err != nil {
		log.Error("marking the announcement made failed", "error", err.Error())
	}
	log.Info("notification sent", "messageId", id)
	return stepio.NotifyOutput{MessageID: id}, nil
}
