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
	announcer *notification.Announcer
	log       *slog.Logger
}

// New returns the handler, which claims announcements in store and
// publishes with pub.
func New(store *metadata.Store, pub *notification.Publisher, log *slog.Logger) *Handler {
	return &Handler{announcer: notification.NewAnnouncer(store, pub), log: log}
}

// Handle publishes the record's outcome once ([notification.Announcer]):
// nothing is sent when the outcome was announced already or is being
// announced by another execution (a duplicated event), or when the item holds
// a newer outcome. A failed publish is returned, and a retry, a redrive or a
// new execution then announces the outcome.
func (h *Handler) Handle(ctx context.Context, in stepio.NotifyInput) (stepio.NotifyOutput, error) {
	log := h.log.With("imageId", in.Record.ImageID, "executionArn", in.ExecutionArn,
		"status", in.Record.Status)
	id, sent, err := h.announcer.Announce(ctx, in.Record, in.ExecutionArn, log)
	if err != nil {
		log.Error("announcing failed", "error", err.Error(), "errorName", steperr.Name(err))
		return stepio.NotifyOutput{}, steperr.Boundary(err)
	}
	if !sent {
		log.Info("notification skipped: outcome announced, being announced, or superseded")
		return stepio.NotifyOutput{Skipped: true}, nil
	}
	log.Info("notification sent", "messageId", id)
	return stepio.NotifyOutput{MessageID: id}, nil
}
