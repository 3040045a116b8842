package store

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/internal/health"
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
	// CarrierDeliveryID is the delivery of the alert group message that
	// carried this grouped alert.
	CarrierDeliveryID *string `db:"carrier_delivery_id"`
	// WaitingFor is what it waits for before its next attempt (slot, turn,
	// in-flight; "" when nothing holds it back).
	WaitingFor contract.WaitingFor `db:"waiting_for"`
	// OutOfOrder: it went before an earlier delivery of a fifo integration.
	OutOfOrder bool `db:"out_of_order"`
	// EventType is the event's type (read for views only).
	EventType string `db:"event_type"`
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
	DeliveryID string `db:"delivery_id"`
	// IntegrationID is set by the store when it records the attempt.
	IntegrationID         string         `db:"integration_id"`
	AttemptNo             int            `db:"attempt_no"`
	Trigger               herald.Trigger `db:"trigger"`
	Outcome               herald.Outcome `db:"outcome"`
	Reason                string         `db:"reason"`
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
	d.last_attempt_at, d.next_attempt_at, d.created_at, d.updated_at, d.completed_at, d.carrier_delivery_id,
	d.waiting_for, d.out_of_order`

// deliveryViewCols are deliveryCols with the event's type, for what people
// read (one primary-key lookup a row; the attempt path does without).
const deliveryViewCols = deliveryCols + `,
	(SELECT e.type FROM events e WHERE e.team_id = d.team_id AND e.id = d.event_id) AS event_type`

// EventDeliveries lists the deliveries of one of a team's events.
func (s *Store) EventDeliveries(ctx context.Context, teamID, eventID string) ([]Delivery, error) {
	out := []Delivery{}
	err := s.db.SelectContext(ctx, &out, `SELECT `+deliveryViewCols+`
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
	err := s.db.GetContext(ctx, &d, `SELECT `+deliveryViewCols+`
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
	// Recorded: an attempt of the number asked for is recorded already.
	Recorded bool
}

// targetRow is a Target as one joined row: the integration's and the event's
// columns are prefixed "i." and "e." (sqlx's nested structs).
type targetRow struct {
	Delivery
	Integration Integration `db:"i"`
	Event       Event       `db:"e"`
	Recorded    bool        `db:"recorded"`
}

// targetQuery loads a delivery, its integration, its event and whether an
// attempt number is recorded, in one round trip: it runs before every attempt.
var targetQuery = `SELECT ` + deliveryCols + `, ` + nested("i", integrationCols) + `, ` + nested("e", eventCols) + `,
	EXISTS (SELECT 1 FROM attempts a WHERE a.delivery_id = d.id AND a.attempt_no = $2) AS recorded
	FROM deliveries d JOIN integrations i ON i.id = d.integration_id
	JOIN events e ON e.team_id = d.team_id AND e.id = d.event_id
	WHERE d.id = $1`

// nested selects cols of the table aliased alias as "alias.col", the names
// sqlx gives the fields of a struct field tagged db:"alias".
func nested(alias, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		c = strings.TrimSpace(c)
		parts[i] = fmt.Sprintf(`%s.%s AS "%s.%s"`, alias, c, alias, c)
	}
	return strings.Join(parts, ", ")
}

// LoadTarget loads a delivery with its event and integration, by delivery
// id, and says whether attempt attemptNo is recorded (0: no such attempt).
func (s *Store) LoadTarget(ctx context.Context, deliveryID string, attemptNo int) (Target, error) {
	var r targetRow
	if err := s.db.GetContext(ctx, &r, targetQuery, deliveryID, attemptNo); err != nil {
		return Target{}, notFound(err, "delivery", deliveryID)
	}
	if err := s.openIntegration(&r.Integration); err != nil {
		return Target{}, err
	}
	return Target{Delivery: r.Delivery, Event: r.Event, Integration: r.Integration, Recorded: r.Recorded}, nil
}

// DeliveryUpdate is the state a delivery moves to after an attempt.
type DeliveryUpdate struct {
	Status        herald.DeliveryStatus
	Reason        string
	NextAttemptAt *time.Time
	// FreeSlotOf, when set, is the integration whose in-flight slot the
	// attempt held: it is freed in the same transaction.
	FreeSlotOf string
}

// Recorded is what recording an attempt did.
type Recorded struct {
	// Inserted is false when this attempt was recorded before (nothing changed).
	Inserted bool
	// Decision is what the integration's health asks for.
	Decision health.Decision
}

// RecordAttempt writes an attempt, moves its delivery on and updates its
// integration's health, in one transaction. The row is keyed (delivery,
// attempt number): recording the same attempt twice changes nothing, and an
// attempt older than the delivery's latest does not overwrite its state.
// threshold is the consecutive failed deliveries that disable the integration.
func (s *Store) RecordAttempt(ctx context.Context, integrationID string, a Attempt, u DeliveryUpdate, threshold int) (Recorded, error) {
	var rec Recorded
	// What a receiver sent is made storable first: a NUL or invalid UTF-8
	// must not fail the write of an attempt that was already sent.
	a = storableAttempt(a)
	a.IntegrationID = integrationID
	u.Reason = Storable(u.Reason)
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var prev struct {
			Status       herald.DeliveryStatus `db:"status"`
			AttemptCount int                   `db:"attempt_count"`
		}
		if err := tx.GetContext(ctx, &prev, `SELECT status, attempt_count FROM deliveries WHERE id = $1 FOR UPDATE`, a.DeliveryID); err != nil {
			return notFound(err, "delivery", a.DeliveryID)
		}
		if u.FreeSlotOf != "" {
			// Durable with the rest: the transaction commits as it would anyway.
			if _, err := tx.ExecContext(ctx, `UPDATE integration_slots SET holder = NULL, expires_at = '1970-01-01'
				WHERE integration_id = $1 AND holder = $2`, u.FreeSlotOf, a.DeliveryID); err != nil {
				return fmt.Errorf("free the in-flight slot: %w", err)
			}
		}
		res, err := tx.NamedExecContext(ctx, insertAttempt, a)
		if err != nil {
			return fmt.Errorf("insert attempt: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		rec.Inserted = true
		if a.AttemptNo > prev.AttemptCount {
			_, err = tx.ExecContext(ctx, `
				UPDATE deliveries SET status = $2, reason = $3, attempt_count = $4, last_status_code = $5,
					last_attempt_at = $6, next_attempt_at = $7, waiting_for = '', updated_at = now(),
					completed_at = CASE WHEN $8 THEN now() END
				WHERE id = $1`,
				a.DeliveryID, u.Status, u.Reason, a.AttemptNo, a.ResponseStatus, a.StartedAt, u.NextAttemptAt, u.Status.Final())
			if err != nil {
				return fmt.Errorf("update delivery: %w", err)
			}
		}
		dec, err := applyHealth(ctx, tx, integrationID, health.Attempt{
			Outcome:        a.Outcome,
			DeliveryFailed: u.Status == herald.DeliveryFailed && !prev.Status.Final(),
			At:             a.StartedAt,
		}, threshold, a.DeliveryID)
		if err != nil {
			return err
		}
		rec.Decision = dec
		return nil
	})
	if err != nil {
		return Recorded{}, fmt.Errorf("record attempt %d of %s: %w", a.AttemptNo, a.DeliveryID, err)
	}
	return rec, nil
}

// applyHealth moves an integration's health on after an attempt (health.Next)
// inside tx and returns the decision. A recovery is only worth deciding when
// deliveries other than exceptDelivery wait on backoff.
func applyHealth(ctx context.Context, tx *sqlx.Tx, integrationID string, a health.Attempt, threshold int, exceptDelivery string) (health.Decision, error) {
	var integ Integration
	if a.Outcome == herald.OutcomeDelivered || a.Outcome == herald.OutcomeThrottled {
		// The common case: a success on a healthy integration (or a 429)
		// changes nothing, and takes no lock on the integration's row, which
		// every concurrent delivery to it would otherwise queue on. Failures
		// lock it: their counts decide the disable, once.
		if err := tx.GetContext(ctx, &integ, `SELECT `+integrationCols+` FROM integrations WHERE id = $1`, integrationID); err != nil {
			return health.Decision{}, notFound(err, "integration", integrationID)
		}
		if after, dec := health.Next(integ.Health(), a, threshold); after == integ.Health() && dec == (health.Decision{}) {
			return dec, nil
		}
	}
	if err := tx.GetContext(ctx, &integ, `SELECT `+integrationCols+` FROM integrations WHERE id = $1 FOR UPDATE`, integrationID); err != nil {
		return health.Decision{}, notFound(err, "integration", integrationID)
	}
	before := integ.Health()
	after, dec := health.Next(before, a, threshold)
	if after != before {
		_, err := tx.ExecContext(ctx, `
			UPDATE integrations SET failed_requests = $2, first_failed_at = $3, consecutive_failures = $4,
				disable_pending = $5
			WHERE id = $1`, integrationID, after.FailedRequests, after.FirstFailedAt, after.ConsecutiveFailures, after.DisablePending)
		if err != nil {
			return dec, fmt.Errorf("update health of %s: %w", integrationID, err)
		}
	}
	if dec.Recovered {
		err := tx.GetContext(ctx, &dec.Recovered, `SELECT EXISTS (SELECT 1 FROM deliveries
			WHERE integration_id = $1 AND status = $2 AND id <> $3)`,
			integrationID, herald.DeliveryRetrying, exceptDelivery)
		if err != nil {
			return dec, fmt.Errorf("find waiting deliveries: %w", err)
		}
	}
	return dec, nil
}

// insertAttempt writes an attempt once per (delivery, attempt number).
const insertAttempt = `
	INSERT INTO attempts (delivery_id, integration_id, attempt_no, trigger, outcome, reason, started_at, duration_ms,
		request_method, request_url, request_headers, request_body, response_status,
		response_headers, response_body, response_body_truncated, error, retry_after_ms)
	VALUES (:delivery_id, :integration_id, :attempt_no, :trigger, :outcome, :reason, :started_at, :duration_ms,
		:request_method, :request_url, :request_headers, :request_body, :response_status,
		:response_headers, :response_body, :response_body_truncated, :error, :retry_after_ms)
	ON CONFLICT (delivery_id, attempt_no) DO NOTHING`

// LoadAttempt loads one attempt (ErrNotFound when it was never recorded).
func (s *Store) LoadAttempt(ctx context.Context, deliveryID string, attemptNo int) (Attempt, error) {
	var a Attempt
	err := s.db.GetContext(ctx, &a, `SELECT * FROM attempts WHERE delivery_id = $1 AND attempt_no = $2`, deliveryID, attemptNo)
	if err != nil {
		return Attempt{}, notFound(err, "attempt", fmt.Sprintf("%s/%d", deliveryID, attemptNo))
	}
	return a, nil
}

// DeliveryFilter selects an integration's deliveries (a bulk resend carries
// it through workflow history, so it lives in contract).
type DeliveryFilter = contract.DeliveryFilter

// ReasonIntegrationDisabled is the reason of a delivery skipped because its
// integration was disabled (DeliveryFilter.DisabledSkips finds them).
const ReasonIntegrationDisabled = "integration disabled"

// ReasonIntegrationDeleted is the reason of a delivery skipped because its
// integration was deleted before its attempt.
const ReasonIntegrationDeleted = "integration deleted"

// SkipReason says why a delivery to i is skipped rather than attempted (""
// when it may go): i was deleted, or is disabled. Planning an event's
// deliveries and making an attempt ask this one question.
func (i Integration) SkipReason() string {
	switch {
	case i.DeletedAt != nil:
		return ReasonIntegrationDeleted
	case !i.Enabled:
		return ReasonIntegrationDisabled
	}
	return ""
}

// statusesOf are the statuses f keeps; the skipped ones it keeps for their
// reason are matched apart (skippedForDisable).
func statusesOf(f DeliveryFilter) pq.StringArray {
	statuses := statusArray(f.Statuses...)
	if f.Status != "" {
		statuses = append(statuses, string(f.Status))
	}
	return statuses
}

// statusCond is the SQL condition on d.status and d.reason of a filter whose
// statuses are the parameter $statuses and DisabledSkips $skips.
func statusCond(statuses, skips int) string {
	return fmt.Sprintf(`(cardinality($%d::text[]) = 0 OR d.status = ANY($%d)
		OR ($%d AND d.status = 'skipped' AND d.reason = '`+ReasonIntegrationDisabled+`'))`, statuses, statuses, skips)
}

// ListDeliveries returns an integration's deliveries newest first (or oldest
// first after f.After), by keyset on the time-ordered id.
func (s *Store) ListDeliveries(ctx context.Context, f DeliveryFilter) ([]Delivery, error) {
	order, cursorCond, cursor := "DESC", "($7 = '' OR d.id < $7)", f.Before
	if f.After != "" {
		order, cursorCond, cursor = "ASC", "d.id > $7", f.After
	}
	statuses := statusesOf(f)
	until := "~" // sorts after every id
	if !f.Until.IsZero() {
		until = IDAt("dlv", f.Until)
	}
	out := []Delivery{}
	err := s.db.SelectContext(ctx, &out, `SELECT `+deliveryViewCols+`
		FROM deliveries d JOIN integrations i ON i.id = d.integration_id
		WHERE d.team_id = $1 AND ($2 = '' OR d.integration_id = $2)
		  AND `+statusCond(3, 11)+`
		  AND ($4 = '' OR EXISTS (SELECT 1 FROM events e WHERE e.team_id = d.team_id AND e.id = d.event_id AND e.type = $4))
		  AND d.id >= $5 AND ($6::timestamptz IS NULL OR d.created_at >= $6)
		  AND `+cursorCond+`
		  AND d.id < $9 AND ($10 = '' OR i.type = $10)
		ORDER BY d.id `+order+` LIMIT $8`,
		f.TeamID, f.IntegrationID, statuses, f.EventType, IDAt("dlv", f.Since), nullTime(f.Since), cursor, f.Limit,
		until, string(f.Channel), f.DisabledSkips)
	if err != nil {
		return nil, fmt.Errorf("list deliveries of %s: %w", f.TeamID, err)
	}
	return out, nil
}

// CountDeliveries counts what ListDeliveries would page through.
func (s *Store) CountDeliveries(ctx context.Context, f DeliveryFilter) (int, error) {
	var n int
	err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM deliveries d
		WHERE d.team_id = $1 AND d.integration_id = $2 AND `+statusCond(3, 4)+`
		  AND d.id >= $5 AND ($6::timestamptz IS NULL OR d.created_at >= $6)`,
		f.TeamID, f.IntegrationID, statusesOf(f), f.DisabledSkips, IDAt("dlv", f.Since), nullTime(f.Since))
	if err != nil {
		return 0, fmt.Errorf("count deliveries of %s: %w", f.IntegrationID, err)
	}
	return n, nil
}

// Waiting is a delivery waiting on retry backoff and the workflow that holds it.
type Waiting struct {
	DeliveryID string `db:"id"`
	WorkflowID string `db:"workflow_id"`
}

// WaitingDeliveries pages through an integration's deliveries waiting on backoff.
func (s *Store) WaitingDeliveries(ctx context.Context, integrationID, after string, limit int) ([]Waiting, error) {
	out := []Waiting{}
	err := s.db.SelectContext(ctx, &out, `
		SELECT d.id, e.workflow_id FROM deliveries d
		JOIN events e ON e.team_id = d.team_id AND e.id = d.event_id
		WHERE d.integration_id = $1 AND d.status = $2 AND d.id > $3
		ORDER BY d.id LIMIT $4`, integrationID, herald.DeliveryRetrying, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list waiting deliveries of %s: %w", integrationID, err)
	}
	return out, nil
}

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// FinishDelivery sets a delivery's final status unless it already has one:
// the attempt that ended it recorded the better reason, and a late failure
// never hides a success.
func (s *Store) FinishDelivery(ctx context.Context, id string, status herald.DeliveryStatus, reason string) error {
	_, err := s.db.ExecContext(ctx, `
		UPDATE deliveries SET status = $2, reason = $3, next_attempt_at = NULL, waiting_for = '',
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
