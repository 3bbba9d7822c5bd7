package notification

import (
	"context"
	"log/slog"

	"github.com/imagepipe/imagepipe/shared/metadata"
	"github.com/imagepipe/imagepipe/shared/stepio"
)

// Announcer sends each stored outcome's notification once, whichever
// executions try: the notify step and the failure recorder both announce
// through it.
type Announcer struct {
	store *metadata.Store
	pub   *Publisher
}

// NewAnnouncer returns an Announcer that claims announcements in store and
// publishes with pub.
func NewAnnouncer(store *metadata.Store, pub *Publisher) *Announcer {
	return &Announcer{store: store, pub: pub}
}

// Announce publishes rec's outcome on behalf of executionArn, unless it was
// announced already, another execution is announcing it, or the item holds
// another outcome: then sent is false. It claims the announcement on the
// item ([metadata.Store.ClaimAnnouncement]), publishes, and marks it made. A
// failed publish gives the claim back, so that a retry or a replay
// announces it; a failed mark is only logged, since the message is out and
// the claim it keeps stops any other execution from sending it again.
func (a *Announcer) Announce(ctx context.Context, rec stepio.Record, executionArn string,
	log *slog.Logger) (messageID string, sent bool, err error) {
	claimed, err := a.store.ClaimAnnouncement(ctx, rec.ImageID, rec.Status, rec.Sequencer,
		executionArn)
	if err != nil || !claimed {
		return "", false, err
	}

	id, err := a.pub.Publish(ctx, rec, executionArn)
	if err != nil {
		if rerr := a.store.ReleaseAnnouncement(ctx, rec.ImageID, executionArn); rerr != nil {
			log.Error("giving the announcement back failed", "error", rerr.Error())
		}
		return "", false, err
	}

	if err := a.store.MarkNotified(ctx, rec.ImageID, executionArn); err != nil {
		log.Error("marking the announcement made failed", "error", err.Error())
	}
	return id, true, nil
}
