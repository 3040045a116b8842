package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/heraldhq/herald"
)

// EventRef is an event as a replay pages through it: its data only where
// asked for (EventsBetween's withData).
type EventRef struct {
	ID         string          `db:"id"`
	Type       string          `db:"type"`
	ProjectID  string          `db:"project_id"`
	ReceivedAt time.Time       `db:"received_at"`
	Data       json.RawMessage `db:"data"`
}

// EventFields is what EventsBetween reads of each event.
type EventFields int

const (
	// EventHeads: id, type, project, when it came (counting).
	EventHeads EventFields = iota
	// EventsWithData: the data too (a filter reads it).
	EventsWithData
)

// EventsBetween lists up to limit of a team's events received in [since,
// until), oldest first, after the event (afterAt, afterID) (zero: from the
// start).
func (s *Store) EventsBetween(ctx context.Context, teamID string, since, until, afterAt time.Time, afterID string, limit int, fields EventFields) ([]EventRef, error) {
	out := []EventRef{}
	if afterAt.IsZero() {
		afterAt = since.Add(-time.Microsecond)
	}
	data := `'{}'::jsonb`
	if fields == EventsWithData {
		data = `data`
	}
	err := s.db.SelectContext(ctx, &out, `SELECT id, type, project_id, received_at, `+data+` AS data FROM events
		WHERE team_id = $1 AND received_at >= $2 AND received_at < $3 AND (received_at, id) > ($4, $5)
		ORDER BY received_at, id LIMIT $6`, teamID, since, until, afterAt, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("list events between %s and %s: %w", since, until, err)
	}
	return out, nil
}

// DeliveryStatuses are where an integration's deliveries of these events
// stand (an event it has none of is absent).
func (s *Store) DeliveryStatuses(ctx context.Context, teamID, integrationID string, eventIDs []string) (map[string]herald.DeliveryStatus, error) {
	var rows []struct {
		EventID string                `db:"event_id"`
		Status  herald.DeliveryStatus `db:"status"`
	}
	err := s.db.SelectContext(ctx, &rows, `SELECT event_id, status FROM deliveries
		WHERE team_id = $1 AND integration_id = $2 AND event_id = ANY($3)`, teamID, integrationID, pq.StringArray(eventIDs))
	if err != nil {
		return nil, fmt.Errorf("deliveries of %d events to %s: %w", len(eventIDs), integrationID, err)
	}
	out := make(map[string]herald.DeliveryStatus, len(rows))
	for _, r := range rows {
		out[r.EventID] = r.Status
	}
	return out, nil
}

// Redeliver is what a replay delivers of what an integration had already.
type Redeliver int

const (
	// RedeliverMissed: only events it never had, or whose delivery ended
	// without arriving (failed, or skipped while it was disabled).
	RedeliverMissed Redeliver = iota
	// RedeliverAll: also those it had delivered ("again": true).
	RedeliverAll
)

// Replayable says whether a replay gives an event a delivery, given where
// the integration's delivery of it stands ("": it has none). A delivery
// still open is left to the run that has it.
func (r Redeliver) Replayable(status herald.DeliveryStatus) bool {
	switch {
	case status == "":
		return true
	case !status.Final():
		return false
	case status == herald.DeliveryDelivered || status == herald.DeliveryGrouped:
		return r == RedeliverAll
	}
	return true
}

// reset are the statuses of the deliveries Replayable opens again.
func (r Redeliver) reset() pq.StringArray {
	out := statusArray(herald.DeliveryFailed, herald.DeliverySkipped)
	if r == RedeliverAll {
		out = append(out, string(herald.DeliveryDelivered), string(herald.DeliveryGrouped))
	}
	return out
}

// rerun opens an integration's finished delivery of an event again for a
// replay's run, in tx: pending, its end cleared.
func (r Redeliver) rerun(ctx context.Context, tx *sqlx.Tx, teamID, eventID, integrationID string) error {
	_, err := tx.ExecContext(ctx, `UPDATE deliveries SET status = $5, reason = 'replayed', completed_at = NULL,
			next_attempt_at = NULL, updated_at = now()
		WHERE team_id = $1 AND event_id = $2 AND integration_id = $3 AND status = ANY($4)`,
		teamID, eventID, integrationID, r.reset(), herald.DeliveryPending)
	if err != nil {
		return fmt.Errorf("open delivery of %s to %s again: %w", eventID, integrationID, err)
	}
	return nil
}

// RecentDeliveries counts, up to limit, the deliveries made since t across
// every team (delivery ids sort by the time they were made): how busy
// Herald is now, which a replay yields to.
func (s *Store) RecentDeliveries(ctx context.Context, since time.Time, limit int) (int, error) {
	var n int
	err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM (SELECT 1 FROM deliveries WHERE id > $1 AND id < 'dlv`+"`"+`' LIMIT $2) d`,
		IDAt("dlv", since), limit)
	if err != nil {
		return 0, fmt.Errorf("count recent deliveries: %w", err)
	}
	return n, nil
}
