package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/heraldhq/herald/internal/contract"
)

// OutboxEvent is an accepted event waiting for its workflow to be started.
type OutboxEvent struct {
	TeamID     string          `db:"team_id"`
	EventID    string          `db:"event_id"`
	Input      json.RawMessage `db:"input"`
	ReceivedAt time.Time       `db:"received_at"`
	// Tries counts the starts that failed for a reason of the event's own.
	Tries int `db:"tries"`
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

// OutboxDepth counts the events waiting to be started (not those set aside).
func (s *Store) OutboxDepth(ctx context.Context) (int, error) {
	var n int
	if err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM event_outbox WHERE set_aside_at IS NULL`); err != nil {
		return 0, fmt.Errorf("count the outbox: %w", err)
	}
	return n, nil
}

// OutboxSetAside counts the events set aside because they could not be started.
func (s *Store) OutboxSetAside(ctx context.Context) (int, error) {
	var n int
	if err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM event_outbox WHERE set_aside_at IS NOT NULL`); err != nil {
		return 0, fmt.Errorf("count the events set aside: %w", err)
	}
	return n, nil
}

// QueuedEvent is an event in the outbox as the API shows it.
type QueuedEvent struct {
	Tries      int        `db:"tries"`
	LastError  string     `db:"last_error"`
	SetAsideAt *time.Time `db:"set_aside_at"`
}

// InOutbox finds an event in the outbox: waiting to be started, or set aside.
func (s *Store) InOutbox(ctx context.Context, teamID, eventID string) (QueuedEvent, error) {
	var q QueuedEvent
	err := s.db.GetContext(ctx, &q, `SELECT tries, last_error, set_aside_at FROM event_outbox WHERE team_id = $1 AND event_id = $2`, teamID, eventID)
	if errors.Is(err, sql.ErrNoRows) {
		return q, ErrNotFound
	}
	if err != nil {
		return q, fmt.Errorf("look up event %s in the outbox: %w", eventID, err)
	}
	return q, nil
}

// OutboxMaxTries is how many starts that failed for a reason of the event's
// own (not Temporal being slow or down) an event gets before it is set aside.
const OutboxMaxTries = 5

// OutboxStart is what became of one claimed event.
type OutboxStart struct {
	Started bool
	// Failure is what a failed start meant (contract.ClassifyStart): refused
	// for what the event carries, it is set aside at once; its own failure
	// counts toward OutboxMaxTries; Temporal slow (or the start not tried),
	// it waits a moment.
	Failure contract.StartFailure
	// Error is why the start failed.
	Error string
}

// outboxRetryIn is how long a failed event waits before its next try: a
// second after Temporal was slow, doubling with each counted failure.
func outboxRetryIn(tries int) time.Duration {
	return time.Second << min(tries, 6)
}

// ClaimOutbox claims for owner, until lease ends, up to limit waiting events
// whose turn has come, taking the teams in turn (each team's oldest first,
// then each team's second…) and skipping those another dispatcher holds or
// has claimed. The claim is one statement, committed at once: nothing stays
// locked while the events' workflows are started.
func (s *Store) ClaimOutbox(ctx context.Context, owner string, limit int, lease time.Duration) ([]OutboxEvent, error) {
	var batch []claimedEvent
	// Candidates: each team's oldest events (an index range per team),
	// ranked by turn; then the first limit of them that no other dispatcher
	// holds or has claimed are locked by key and claimed. The work is
	// bounded by teams × candidates whatever the depth (a window over the
	// whole outbox, joined back, took 6 s per batch at 7,000 queued
	// events). Four times the batch in candidates lets four dispatchers at
	// once each fill theirs.
	err := s.db.SelectContext(ctx, &batch, `
		WITH pick AS (
			SELECT w.team_id, w.event_id, w.received_at,
				row_number() OVER (PARTITION BY w.team_id ORDER BY w.received_at) AS turn
			FROM (SELECT DISTINCT team_id FROM event_outbox WHERE set_aside_at IS NULL) t
			CROSS JOIN LATERAL (
				SELECT e.team_id, e.event_id, e.received_at FROM event_outbox e
				WHERE e.team_id = t.team_id AND e.set_aside_at IS NULL AND e.next_try_at <= now()
					AND (e.claimed_until IS NULL OR e.claimed_until <= now())
				ORDER BY e.received_at LIMIT $2) w
			ORDER BY turn, w.received_at LIMIT $2),
		claim AS (
			SELECT o.team_id, o.event_id, pick.turn
			FROM pick JOIN event_outbox o ON o.team_id = pick.team_id AND o.event_id = pick.event_id
			WHERE o.set_aside_at IS NULL AND (o.claimed_until IS NULL OR o.claimed_until <= now())
			ORDER BY pick.turn, pick.received_at
			LIMIT $1 FOR UPDATE OF o SKIP LOCKED)
		UPDATE event_outbox o SET claimed_by = $3, claimed_until = now() + $4 * interval '1 millisecond'
		FROM claim WHERE o.team_id = claim.team_id AND o.event_id = claim.event_id
		RETURNING o.team_id, o.event_id, o.input, o.received_at, o.tries, claim.turn`,
		limit, 4*limit, owner, lease.Milliseconds())
	if err != nil {
		return nil, fmt.Errorf("claim outbox events: %w", err)
	}
	// RETURNING keeps no order: the teams' turns, then arrival.
	sort.SliceStable(batch, func(i, j int) bool {
		if batch[i].Turn != batch[j].Turn {
			return batch[i].Turn < batch[j].Turn
		}
		return batch[i].ReceivedAt.Before(batch[j].ReceivedAt)
	})
	out := make([]OutboxEvent, len(batch))
	for i, e := range batch {
		out[i] = e.OutboxEvent
	}
	return out, nil
}

type claimedEvent struct {
	OutboxEvent
	Turn int `db:"turn"`
}

// SettleOutbox records what became of owner's claimed events: a started one
// leaves the outbox (its workflow exists, whoever claims it now); one that
// did not start is rescheduled or set aside and its claim ends, unless its
// lease lapsed and another dispatcher claimed it meanwhile.
func (s *Store) SettleOutbox(ctx context.Context, owner string, batch []OutboxEvent, outcomes []OutboxStart) (started int, err error) {
	for i, e := range batch {
		o := outcomes[i]
		var err error
		switch {
		case o.Started:
			_, err = s.db.ExecContext(ctx, `DELETE FROM event_outbox WHERE team_id = $1 AND event_id = $2`, e.TeamID, e.EventID)
			started++
		case o.Failure == contract.StartRefused || (o.Failure == contract.StartOther && e.Tries+1 >= OutboxMaxTries):
			_, err = s.db.ExecContext(ctx, `UPDATE event_outbox SET tries = tries + 1, last_error = $4, set_aside_at = now(),
					claimed_by = NULL, claimed_until = NULL
				WHERE team_id = $1 AND event_id = $2 AND claimed_by = $3`, e.TeamID, e.EventID, owner, Storable(o.Error))
		default:
			tries := e.Tries
			if o.Failure == contract.StartOther {
				tries++
			}
			_, err = s.db.ExecContext(ctx, `UPDATE event_outbox SET tries = $4, last_error = $5, next_try_at = now() + $6 * interval '1 millisecond',
					claimed_by = NULL, claimed_until = NULL
				WHERE team_id = $1 AND event_id = $2 AND claimed_by = $3`, e.TeamID, e.EventID, owner, tries, Storable(o.Error), outboxRetryIn(tries).Milliseconds())
		}
		if err != nil {
			return started, fmt.Errorf("settle queued event %s: %w", e.EventID, err)
		}
	}
	return started, nil
}

// DispatchOutbox claims a batch for owner (ClaimOutbox), hands it to start
// with no transaction open, and settles it (SettleOutbox): an event leaves
// the outbox only once its workflow exists, and one that cannot start never
// holds up the rest. It returns how many it claimed and how many started.
func (s *Store) DispatchOutbox(ctx context.Context, owner string, limit int, lease time.Duration, start func([]OutboxEvent) []OutboxStart) (claimed, started int, err error) {
	batch, err := s.ClaimOutbox(ctx, owner, limit, lease)
	if err != nil || len(batch) == 0 {
		return 0, 0, err
	}
	started, err = s.SettleOutbox(context.WithoutCancel(ctx), owner, batch, start(batch))
	return len(batch), started, err
}

// SetAsideEvent is an event the outbox gave up starting, as the console lists it.
type SetAsideEvent struct {
	EventID    string    `db:"event_id"`
	ReceivedAt time.Time `db:"received_at"`
	SetAsideAt time.Time `db:"set_aside_at"`
	Tries      int       `db:"tries"`
	LastError  string    `db:"last_error"`
}

// ListSetAside lists a team's set-aside events, newest first.
func (s *Store) ListSetAside(ctx context.Context, teamID string, limit int) ([]SetAsideEvent, error) {
	var out []SetAsideEvent
	err := s.db.SelectContext(ctx, &out, `SELECT event_id, received_at, set_aside_at, tries, last_error FROM event_outbox
		WHERE team_id = $1 AND set_aside_at IS NOT NULL ORDER BY set_aside_at DESC, event_id LIMIT $2`, teamID, limit)
	if err != nil {
		return nil, fmt.Errorf("list events set aside for team %s: %w", teamID, err)
	}
	return out, nil
}
