package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/eventtype"
	"github.com/heraldhq/herald/internal/health"
)

// OwnSend is a request Herald made to an integration on its own account (a
// test notification, a confirmation, a recovery probe): recorded as an
// integration:test event with one delivery and its one attempt, so that it
// shows in the integration's log like any delivery.
type OwnSend struct {
	TeamID, IntegrationID string
	// EventID names the event (and is the request's event id); WorkflowID
	// is the workflow that made the send.
	EventID, WorkflowID string
	Data                json.RawMessage
	// Attempt is the request and its answer, with the delivery id the
	// request carried (its webhook-id).
	Attempt Attempt
	// Enabled: the integration is enabled, so the send may move its health
	// (a disabled one's health stays as its disable left it).
	Enabled bool
}

// RecordOwnSend records s and applies it to the integration's health as
// its trigger says: a success proves the endpoint works (a test's, a
// confirmation's); a failed confirmation is a failed request like any
// other; failed tests and probes change nothing.
func (s *Store) RecordOwnSend(ctx context.Context, o OwnSend) (health.Decision, error) {
	a := storableAttempt(o.Attempt)
	a.IntegrationID = o.IntegrationID
	status := herald.DeliveryFailed
	if a.Outcome == herald.OutcomeDelivered {
		status = herald.DeliveryDelivered
	}
	var dec health.Decision
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO events (team_id, id, type, data, workflow_id, received_at)
			VALUES ($1, $2, $3, $4, $5, $6)`, o.TeamID, o.EventID, eventtype.IntegrationTest, []byte(o.Data), o.WorkflowID, a.StartedAt); err != nil {
			return fmt.Errorf("record the %s's event: %w", a.Trigger, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO deliveries (id, team_id, event_id, integration_id, status, reason,
				attempt_count, last_status_code, last_attempt_at, completed_at)
			VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8, now())`,
			a.DeliveryID, o.TeamID, o.EventID, o.IntegrationID, status, Storable(a.Reason), a.ResponseStatus, a.StartedAt); err != nil {
			return fmt.Errorf("record the %s's delivery: %w", a.Trigger, err)
		}
		if _, err := tx.NamedExecContext(ctx, insertAttempt, a); err != nil {
			return fmt.Errorf("record the %s's attempt: %w", a.Trigger, err)
		}
		counts := a.Outcome == herald.OutcomeDelivered && a.Trigger != herald.TriggerProbe ||
			a.Outcome != herald.OutcomeDelivered && a.Outcome != herald.OutcomeThrottled && a.Trigger == herald.TriggerConfirmation
		if !counts || !o.Enabled {
			return nil
		}
		var err error
		dec, err = applyHealth(ctx, tx, o.IntegrationID, health.Attempt{Outcome: a.Outcome, At: a.StartedAt}, 0, "")
		return err
	})
	return dec, err
}
