package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/internal/pacing"
)

// paceRow is an integration's shared pace (integration_pace).
type paceRow struct {
	TAT      time.Time `db:"tat"`
	SentTAT  time.Time `db:"sent_tat"`
	Slowdown int       `db:"slowdown"`
	SlowedAt time.Time `db:"slowed_at"`
	// HeldUntil is the latest time a platform said nothing may go before.
	HeldUntil time.Time `db:"held_until"`
}

// PaceBook names which of an integration's two schedules a reservation is
// made in.
type PaceBook int

const (
	// BookReserved is the schedule a workflow waits for with a timer.
	BookReserved PaceBook = iota
	// BookSent is the check made just before the request goes.
	BookSent
)

// PlatformAnswer names what a platform said about its limit.
type PlatformAnswer int

const (
	// AnswerThrottled is a 429 despite pacing: slow down and hold.
	AnswerThrottled PlatformAnswer = iota
	// AnswerBucketEmpty is a bucket announced empty: hold until it refills.
	AnswerBucketEmpty
)

func (p paceRow) state(book PaceBook) pacing.State {
	s := pacing.State{TAT: p.TAT, Slowdown: p.Slowdown, SlowedAt: p.SlowedAt}
	if book == BookSent {
		s.TAT = p.SentTAT
	}
	return s
}

// lockPace locks an integration's pace row inside tx, making it on first use.
// Reservations of one integration queue on this row; those of others never
// meet it.
func lockPace(ctx context.Context, tx *sqlx.Tx, integrationID string) (paceRow, error) {
	const q = `SELECT tat, sent_tat, slowdown, slowed_at, held_until FROM integration_pace WHERE integration_id = $1 FOR UPDATE`
	var p paceRow
	err := tx.GetContext(ctx, &p, q, integrationID)
	if errors.Is(err, sql.ErrNoRows) {
		if _, err = tx.ExecContext(ctx, `INSERT INTO integration_pace (integration_id) VALUES ($1)
			ON CONFLICT (integration_id) DO NOTHING`, integrationID); err != nil {
			return p, fmt.Errorf("create pace of %s: %w", integrationID, err)
		}
		err = tx.GetContext(ctx, &p, q, integrationID)
	}
	if err != nil {
		return p, fmt.Errorf("lock pace of %s: %w", integrationID, err)
	}
	return p, nil
}

func savePace(ctx context.Context, tx *sqlx.Tx, integrationID string, p paceRow) error {
	_, err := tx.ExecContext(ctx, `UPDATE integration_pace SET tat = $2, sent_tat = $3, slowdown = $4, slowed_at = $5,
		held_until = $6 WHERE integration_id = $1`, integrationID, p.TAT, p.SentTAT, p.Slowdown, p.SlowedAt, p.HeldUntil)
	if err != nil {
		return fmt.Errorf("save pace of %s: %w", integrationID, err)
	}
	return nil
}

// ReservePace takes the next slot of an integration's pace under l and
// returns how long from now (clock, read once the row is locked) it is, in
// the schedule book names. Time spent queueing for the row lock is not
// counted as spacing. The clocks of the workers sharing a pace differ by
// their NTP error, milliseconds against intervals of hundreds of them.
func (s *Store) ReservePace(ctx context.Context, integrationID string, l pacing.Limit, book PaceBook, clock func() time.Time) (time.Duration, error) {
	var wait time.Duration
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		p, err := lockPace(ctx, tx, integrationID)
		if err != nil {
			return err
		}
		now := clock()
		st, slot := pacing.Reserve(p.state(book), l, now)
		if book == BookSent {
			p.SentTAT = st.TAT
		} else {
			p.TAT = st.TAT
		}
		wait = slot.Sub(now)
		return savePace(ctx, tx, integrationID, p)
	})
	return wait, err
}

// PaceAnswer applies what the platform said about its limit: a 429 despite
// pacing (AnswerThrottled; wait is its Retry-After) slows the integration
// down and holds it, a bucket announced empty (wait is until it refills)
// holds it.
func (s *Store) PaceAnswer(ctx context.Context, integrationID string, l pacing.Limit, answer PlatformAnswer, wait time.Duration, clock func() time.Time) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		p, err := lockPace(ctx, tx, integrationID)
		if err != nil {
			return err
		}
		now := clock()
		// One answer moves the slowdown once; both states are held.
		reserved := p.state(BookReserved)
		if answer == AnswerThrottled {
			reserved = pacing.Throttled(reserved, l, now, wait)
		} else {
			reserved = pacing.Hold(reserved, l, now.Add(wait))
		}
		sent := p.state(BookSent)
		sent.Slowdown, sent.SlowedAt = reserved.Slowdown, reserved.SlowedAt
		sent = pacing.Hold(sent, l, now.Add(wait))
		p.TAT, p.SentTAT, p.Slowdown, p.SlowedAt = reserved.TAT, sent.TAT, reserved.Slowdown, reserved.SlowedAt
		if until := now.Add(wait); until.After(p.HeldUntil) {
			p.HeldUntil = until
		}
		return savePace(ctx, tx, integrationID, p)
	})
}

// HeldUntil is the latest time the platform said nothing may go before.
func (s *Store) HeldUntil(ctx context.Context, integrationID string) (time.Time, error) {
	var t time.Time
	err := s.db.GetContext(ctx, &t, `SELECT held_until FROM integration_pace WHERE integration_id = $1`, integrationID)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return t, fmt.Errorf("read the hold of %s: %w", integrationID, err)
	}
	return t, nil
}

// AcquireSlot takes one of an integration's max places for a request in
// flight, for ttl; false when all are held. One statement: FOR UPDATE SKIP
// LOCKED hands concurrent takers different slots, and a slot whose holder
// died is free again at its expiry. The slots are made the first time.
func (s *Store) AcquireSlot(ctx context.Context, integrationID, deliveryID string, max int, ttl time.Duration) (bool, error) {
	for try := 0; try < 2; try++ {
		var slot int
		err := s.db.GetContext(ctx, &slot, `
			UPDATE integration_slots SET holder = $2, expires_at = now() + $4 * interval '1 millisecond'
			FROM `+asyncCommit+`
			WHERE (integration_id, slot) = (
				SELECT integration_id, slot FROM integration_slots
				WHERE integration_id = $1 AND slot <= $3 AND (holder IS NULL OR holder = $2 OR expires_at < now())
				ORDER BY holder IS NOT DISTINCT FROM $2 DESC, slot
				LIMIT 1 FOR UPDATE SKIP LOCKED)
			RETURNING slot`, integrationID, deliveryID, max, ttl.Milliseconds())
		if err == nil {
			return true, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return false, fmt.Errorf("take an in-flight slot of %s: %w", integrationID, err)
		}
		res, err := s.db.ExecContext(ctx, `INSERT INTO integration_slots (integration_id, slot)
			SELECT $1, n FROM generate_series(1, $2) AS n ON CONFLICT DO NOTHING`, integrationID, max)
		if err != nil {
			return false, fmt.Errorf("make the in-flight slots of %s: %w", integrationID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 && try > 0 {
			return false, nil // all there and all held
		}
		// Made now, or by a concurrent first request whose rows the update
		// above could not yet see: take one of them.
	}
	return false, nil
}

// ReleaseSlot frees the in-flight slot a delivery holds, if any.
func (s *Store) ReleaseSlot(ctx context.Context, integrationID, deliveryID string) error {
	if _, err := s.db.ExecContext(ctx, releaseSlot, integrationID, deliveryID); err != nil {
		return fmt.Errorf("free the in-flight slot of %s: %w", deliveryID, err)
	}
	return nil
}

// releaseSlot frees the slot delivery $2 holds on integration $1, if any.
const releaseSlot = `UPDATE integration_slots SET holder = NULL, expires_at = '1970-01-01'
	FROM ` + asyncCommit + ` WHERE integration_id = $1 AND holder = $2`

// asyncCommit, as a FROM item of a statement run on its own, makes its
// implicit transaction commit without waiting for the WAL flush, in one round
// trip: in-flight slots are leases that expire on their own, so one lost in a
// Postgres crash costs nothing, while a flush per request would cost every
// webhook delivery two disk syncs. Inside a transaction it lasts to its end.
const asyncCommit = `(SELECT set_config('synchronous_commit', 'off', true)) AS async_commit`

// SetWaiting records what a delivery waits for before its next attempt, and
// until when (the API, console and CLI show it).
func (s *Store) SetWaiting(ctx context.Context, deliveryID string, waitingFor contract.WaitingFor, until time.Time) error {
	_, err := s.db.ExecContext(ctx, `UPDATE deliveries SET waiting_for = $2, next_attempt_at = $3, updated_at = now()
		WHERE id = $1 AND status IN ($4, $5)`, deliveryID, waitingFor, until, herald.DeliveryPending, herald.DeliveryRetrying)
	if err != nil {
		return fmt.Errorf("mark %s waiting for its %s: %w", deliveryID, waitingFor, err)
	}
	return nil
}

// receivedAt is when the event of the delivery aliased a was received.
func receivedAt(a string) string {
	return `(SELECT e.received_at FROM events e WHERE e.team_id = ` + a + `.team_id AND e.id = ` + a + `.event_id)`
}

// fifoOrder is the query of the open delivery next to me in a fifo
// integration's order (by when their events were received at the gateway,
// then by when they were recorded): before it when cmp is "<", after it
// when ">".
func fifoOrder(cmp string) string {
	dir := map[string]string{"<": "DESC", ">": "ASC"}[cmp]
	return `
		SELECT d.id, (SELECT e.workflow_id FROM events e WHERE e.team_id = d.team_id AND e.id = d.event_id) AS workflow_id
		FROM deliveries d, deliveries me
		WHERE me.id = $2 AND d.integration_id = $1 AND d.status IN ($3, $4) AND d.id <> me.id
		  AND (` + receivedAt("d") + `, d.seq) ` + cmp + ` (` + receivedAt("me") + `, me.seq)
		ORDER BY ` + receivedAt("d") + ` ` + dir + `, d.seq ` + dir + ` LIMIT 1`
}

type fifoRow struct {
	ID         string `db:"id"`
	WorkflowID string `db:"workflow_id"`
}

// Ahead is the delivery a fifo delivery waits behind: the latest earlier
// delivery to the same integration that is still open ("" when none).
func (s *Store) Ahead(ctx context.Context, integrationID, deliveryID string) (string, error) {
	var row fifoRow
	err := s.db.GetContext(ctx, &row, fifoOrder("<"), integrationID, deliveryID, herald.DeliveryPending, herald.DeliveryRetrying)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("find the delivery ahead of %s: %w", deliveryID, err)
	}
	return row.ID, nil
}

// MarkOutOfOrder records that a fifo delivery went past an open earlier one.
func (s *Store) MarkOutOfOrder(ctx context.Context, deliveryID string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE deliveries SET out_of_order = true WHERE id = $1`, deliveryID)
	return err
}

// Next is the delivery whose turn comes after deliveryID's (the earliest
// later open delivery to the same integration) and its event's workflow.
func (s *Store) Next(ctx context.Context, integrationID, deliveryID string) (next, workflowID string, err error) {
	var row fifoRow
	err = s.db.GetContext(ctx, &row, fifoOrder(">"), integrationID, deliveryID, herald.DeliveryPending, herald.DeliveryRetrying)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", nil
	}
	if err != nil {
		return "", "", fmt.Errorf("find the delivery after %s: %w", deliveryID, err)
	}
	return row.ID, row.WorkflowID, nil
}
