package store

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"time"

	"github.com/lib/pq"

	"github.com/heraldhq/herald"
)

// Delivery is one event going to one integration.
type Delivery struct {
	ID              string                 `db:"id"`
	TeamID          string                 `db:"team_id"`
	EventID         string                 `db:"event_id"`
	IntegrationID   string                 `db:"integration_id"`
	IntegrationName string                 `db:"integration_name"`
	IntegrationType herald.IntegrationType `db:"integration_type"`
	Status          herald.DeliveryStatus  `db:"status"`
	Reason          string                 `db:"reason"`
	AttemptCount    int                    `db:"attempt_count"`
	LastStatusCode  *int                   `db:"last_status_code"`
	LastAttemptAt   *time.Time             `db:"last_attempt_at"`
	NextAttemptAt   *time.Time             `db:"next_attempt_at"`
	CreatedAt       time.Time              `db:"created_at"`
	UpdatedAt       time.Time              `db:"updated_at"`
	CompletedAt     *time.Time             `db:"completed_at"`
}

// Headers is an HTTP header set stored as JSON.
type Headers map[string][]string

// Value implements driver.Valuer.
func (h Headers) Value() (driver.Value, error) {
	if h == nil {
		return nil, nil
	}
	return json.Marshal(h)
}

// Scan implements sql.Scanner.
func (h *Headers) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*h = nil
		return nil
	case []byte:
		return json.Unmarshal(v, h)
	case string:
		return json.Unmarshal([]byte(v), h)
	}
	return fmt.Errorf("headers: cannot scan %T", src)
}

// Attempt is one HTTP request made for a delivery and what came back.
type Attempt struct {
	DeliveryID            string         `db:"delivery_id"`
	AttemptNo             int            `db:"attempt_no"`
	Trigger               herald.Trigger `db:"trigger"`
	Outcome               herald.Outcome `db:"outcome"`
	StartedAt             time.Time      `db:"started_at"`
	DurationMS            int            `db:"duration_ms"`
	RequestMethod         string         `db:"request_method"`
	RequestURL            string         `db:"request_url"`
	RequestHeaders        Headers        `db:"request_headers"`
	RequestBody           string         `db:"request_body"`
	ResponseStatus        *int           `db:"response_status"`
	ResponseHeaders       Headers        `db:"response_headers"`
	ResponseBody          string         `db:"response_body"`
	ResponseBodyTruncated bool           `db:"response_body_truncated"`
	Error                 string         `db:"error"`
	RetryAfterMS          *int64         `db:"retry_after_ms"`
}

const deliveryCols = `d.id, d.team_id, d.event_id, d.integration_id, i.name AS integration_name,
	i.type AS integration_type, d.status, d.reason, d.attempt_count, d.last_status_code,
	d.last_attempt_at, d.next_attempt_at, d.created_at, d.updated_at, d.completed_at`

// EventDeliveries lists the deliveries of one of a team's events.
func (s *Store) EventDeliveries(ctx context.Context, teamID, eventID string) ([]Delivery, error) {
	out := []Delivery{}
	err := s.db.SelectContext(ctx, &out, `SELECT `+deliveryCols+`
		FROM deliveries d JOIN integrations i ON i.id = d.integration_id
		WHERE d.team_id = $1 AND d.event_id = $2 ORDER BY d.id`, teamID, eventID)
	if err != nil {
		return nil, fmt.Errorf("list deliveries of event %s: %w", eventID, err)
	}
	return out, nil
}

// GetDelivery loads one of a team's deliveries.
func (s *Store) GetDelivery(ctx context.Context, teamID, id string) (Delivery, error) {
	var d Delivery
	err := s.db.GetContext(ctx, &d, `SELECT `+deliveryCols+`
		FROM deliveries d JOIN integrations i ON i.id = d.integration_id
		WHERE d.team_id = $1 AND d.id = $2`, teamID, id)
	if err != nil {
		return Delivery{}, notFound(err, "delivery", id)
	}
	return d, nil
}

// Attempts lists a delivery's attempts in order.
func (s *Store) Attempts(ctx context.Context, deliveryID string) ([]Attempt, error) {
	out := []Attempt{}
	err := s.db.SelectContext(ctx, &out, `SELECT * FROM attempts WHERE delivery_id = $1 ORDER BY attempt_no`, deliveryID)
	if err != nil {
		return nil, fmt.Errorf("list attempts of %s: %w", deliveryID, err)
	}
	return out, nil
}

// Target is everything an attempt needs: the delivery, its event and its integration.
type Target struct {
	Delivery    Delivery
	Event       Event
	Integration Integration
}

// LoadTarget loads a delivery with its event and integration, by delivery id.
func (s *Store) LoadTarget(ctx context.Context, deliveryID string) (Target, error) {
	var t Target
	err := s.db.GetContext(ctx, &t.Delivery, `SELECT `+deliveryCols+`
		FROM deliveries d JOIN integrations i ON i.id = d.integration_id WHERE d.id = $1`, deliveryID)
	if err != nil {
		return Target{}, notFound(err, "delivery", deliveryID)
	}
	if t.Event, err = s.GetEvent(ctx, t.Delivery.TeamID, t.Delivery.EventID); err != nil {
		return Target{}, err
	}
	if t.Integration, err = s.LoadIntegration(ctx, t.Delivery.IntegrationID); err != nil {
		return Target{}, err
	}
	return t, nil
}

// DeliveryUpdate is the state a delivery moves to after an attempt.
type DeliveryUpdate struct {
	Status        herald.DeliveryStatus
	Reason        string
	NextAttemptAt *time.Time
}

// RecordAttempt writes an attempt and moves its delivery on, in one transaction.
// The row is keyed (delivery, attempt number), so recording the same attempt
// twice changes nothing; an attempt older than the delivery's latest does not
// overwrite the delivery's state.
func (s *Store) RecordAttempt(ctx context.Context, a Attempt, u DeliveryUpdate) error {
	_, err := s.db.NamedExecContext(ctx, `
		WITH ins AS (
			INSERT INTO attempts (delivery_id, attempt_no, trigger, outcome, started_at, duration_ms,
				request_method, request_url, request_headers, request_body, response_status,
				response_headers, response_body, response_body_truncated, error, retry_after_ms)
			VALUES (:delivery_id, :attempt_no, :trigger, :outcome, :started_at, :duration_ms,
				:request_method, :request_url, :request_headers, :request_body, :response_status,
				:response_headers, :response_body, :response_body_truncated, :error, :retry_after_ms)
			ON CONFLICT (delivery_id, attempt_no) DO NOTHING
			RETURNING delivery_id, attempt_no, response_status, started_at
		)
		UPDATE deliveries d SET
			status = :status, reason = :reason, attempt_count = ins.attempt_no,
			last_status_code = ins.response_status, last_attempt_at = ins.started_at,
			next_attempt_at = :next_attempt_at, updated_at = now(),
			completed_at = CASE WHEN :final THEN now() END
		FROM ins WHERE d.id = ins.delivery_id AND d.attempt_count < ins.attempt_no`,
		struct {
			Attempt
			Status        herald.DeliveryStatus `db:"status"`
			Reason        string                `db:"reason"`
			NextAttemptAt *time.Time            `db:"next_attempt_at"`
			Final         bool                  `db:"final"`
		}{a, u.Status, u.Reason, u.NextAttemptAt, u.Status.Final()})
	if err != nil {
		return fmt.Errorf("record attempt %d of %s: %w", a.AttemptNo, a.DeliveryID, err)
	}
	return nil
}

// FinishDelivery sets a delivery's final status unless it already has one:
// the attempt that ended it recorded the better reason, and a late failure
// never hides a success.
func (s *Store) FinishDelivery(ctx context.Context, id string, status herald.DeliveryStatus, reason string) error {
	_, err := s.db.ExecContext(ctx, `
		UPDATE deliveries SET status = $2, reason = $3, next_attempt_at = NULL,
			completed_at = now(), updated_at = now()
		WHERE id = $1 AND status <> ALL($4)`, id, status, reason, statusArray(herald.FinalStatuses...))
	if err != nil {
		return fmt.Errorf("finish delivery %s: %w", id, err)
	}
	return nil
}

func statusArray(ss ...herald.DeliveryStatus) pq.StringArray {
	out := make(pq.StringArray, len(ss))
	for i, s := range ss {
		out[i] = string(s)
	}
	return out
}
