package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// OutboxEvent is an accepted event waiting for its workflow to be started.
type OutboxEvent struct {
	TeamID     string          `db:"team_id"`
	EventID    string          `db:"event_id"`
	Input      json.RawMessage `db:"input"`
	ReceivedAt time.Time       `db:"received_at"`
}

// EnqueueEvent keeps an accepted event until a dispatcher starts it. The same
// (team, event) twice is kept once.
func (s *Store) EnqueueEvent(ctx context.Context, e OutboxEvent) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO event_outbox (team_id, event_id, input, received_at)
		VALUES ($1, $2, $3, $4) ON CONFLICT (team_id, event_id) DO NOTHING`, e.TeamID, e.EventID, []byte(e.Input), e.ReceivedAt)
	if err != nil {
		return fmt.Errorf("enqueue event %s: %w", e.EventID, err)
	}
	return nil
}

// OutboxDepth counts the events waiting.
func (s *Store) OutboxDepth(ctx context.Context) (int, error) {
	var n int
	if err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM event_outbox`); err != nil {
		return 0, fmt.Errorf("count the outbox: %w", err)
	}
	return n, nil
}

// InOutbox says whether an event is waiting to be started.
func (s *Store) InOutbox(ctx context.Context, teamID, eventID string) (bool, error) {
	var ok bool
	err := s.db.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM event_outbox WHERE team_id = $1 AND event_id = $2)`, teamID, eventID)
	if err != nil {
		return false, fmt.Errorf("look up event %s in the outbox: %w", eventID, err)
	}
	return ok, nil
}

// DispatchOutbox locks up to limit of the oldest waiting events (skipping
// those another dispatcher holds), hands them to start, and removes the ones
// start reports started, all in one transaction: an event leaves the outbox
// only once its workflow exists.
func (s *Store) DispatchOutbox(ctx context.Context, limit int, start func([]OutboxEvent) []bool) (started int, err error) {
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		var batch []OutboxEvent
		if err := tx.SelectContext(ctx, &batch, `SELECT team_id, event_id, input, received_at FROM event_outbox
			ORDER BY received_at LIMIT $1 FOR UPDATE SKIP LOCKED`, limit); err != nil {
			return fmt.Errorf("claim outbox events: %w", err)
		}
		if len(batch) == 0 {
			return nil
		}
		ok := start(batch)
		for i, e := range batch {
			if !ok[i] {
				continue
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM event_outbox WHERE team_id = $1 AND event_id = $2`, e.TeamID, e.EventID); err != nil {
				return fmt.Errorf("remove started event %s: %w", e.EventID, err)
			}
			started++
		}
		return nil
	})
	return started, err
}
