// Package notify is the step that announces an image's outcome on SNS, once
// per outcome.
package notify

import (
	"context"
	"log/slog"

	"github.com/imagepipe/imagepipe/shared/notification"
	"github.com/imagepipe/imagepipe/shared/settings"
	"github.com/imagepipe/imagepipe/shared/steperr"
	"github.com/imagepipe/imagepipe/shared/stepio"
)

// Config is the notify step's configuration.
type Config struct {
	// Topic is the SNS topic's ARN (TOPIC_ARN).
	Topic string
}

// LoadConfig reads the configuration from env.
func LoadConfig(env settings.Env) (Config, error) {
	topic, err := env.Required("TOPIC_ARN")
	return Config{Topic: topic}, err
}

// Handler is the notify Lambda.
type Handler struct {
	pub *notification.Publisher
	log *slog.Logger
}

// New returns the handler.
func New(pub *notification.Publisher, log *slog.Logger) *Handler {
	return &Handler{pub: pub, log: log}
}

// Handle publishes the record's outcome, unless persist reported that another
// execution had already stored — and so announced — the same outcome.
func (h *Handler) Handle(ctx context.Context, in stepio.NotifyInput) (stepio.NotifyOutput, error) {
	log := h.log.With("imageId", in.Record.ImageID, "executionArn", in.ExecutionArn,
		"status", in.Record.Status)
	if !in.Record.Changed {
		log.Info("notification skipped: outcome already announced")
		return stepio.NotifyOutput{Skipped: true}, nil
	}
	id, err := h.pub.Publish(ctx, in.Record, in.ExecutionArn)
	if err != nil {
		log.Error("publish failed", "error", err.Error(), "errorName", steperr.Name(err))
		return stepio.NotifyOutput{}, steperr.Boundary(err)
	}
	log.Info("notification sent", "messageId", id)
	return stepio.NotifyOutput{MessageID: id}, nil
}
