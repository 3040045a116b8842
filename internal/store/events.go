package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/contract"
)

// Event is one accepted platform event.
type Event struct {
	TeamID     string          `db:"team_id"`
	ID         string          `db:"id"`
	Type       string          `db:"type"`
	ProjectID  string          `db:"project_id"`
	Data       json.RawMessage `db:"data"`
	WorkflowID string          `db:"workflow_id"`
	ReceivedAt time.Time       `db:"received_at"`
	// Filtered are the integrations its type and project matched and
	// their filters turned away (nil: none).
	Filtered JSON[[]Filtered] `db:"filtered"`
}

// Input is the event as a resend's workflow input: what the Web UI shows of
// it (type, project, when it came); its data stays in Postgres.
func (e Event) Input() contract.EventInput {
	return contract.EventInput{TeamID: e.TeamID, EventID: e.ID, Type: e.Type, ProjectID: e.ProjectID, ReceivedAt: e.ReceivedAt}
}

// DeliveryRef names a delivery and where it goes, as the event workflow needs it.
type DeliveryRef struct {
	ID            string `db:"id"`
	IntegrationID string `db:"integration_id"`
	// IntegrationName is for people (the Web UI's current details).
	IntegrationName string `db:"integration_name"`
	// IntegrationType decides the alert-grouping default (alerts.Merge).
	IntegrationType herald.IntegrationType `db:"integration_type"`
	Status          herald.DeliveryStatus  `db:"status"`
	AttemptCount    int                    `db:"attempt_count"`
	// Retry is the integration's own schedule, if it has one.
	Retry RetryJSON `db:"retry_policy"`
	// AlertPolicy is the integration's override of its team's alert policy,
	// TeamAlertPolicy the team's own.
	AlertPolicy     PolicyJSON `db:"alert_policy"`
	TeamAlertPolicy PolicyJSON `db:"team_alert_policy"`
	// RateLimit, MaxInFlight and Ordering are the integration's delivery control.
	RateLimit   RateJSON        `db:"rate_limit"`
	MaxInFlight *int            `db:"max_in_flight"`
	Ordering    herald.Ordering `db:"ordering"`
}

// matchQuery finds a team's live integrations subscribed to any of the candidate
// patterns ($2) and open to the event's project ($3), or to any project ($5): an index lookup on
// integration_subscriptions' primary key, then the integrations by id.
const matchQuery = `
	SELECT DISTINCT i.id, i.name, i.enabled, i.filter
	FROM integration_subscriptions s
	JOIN integrations i ON i.id = s.integration_id
	WHERE s.team_id = $1 AND s.pattern = ANY($2)
	  AND i.deleted_at IS NULL
	  AND ($5 OR cardinality(i.projects) = 0 OR $3 = ANY(i.projects))
	  AND i.id <> $4`

// CountMatching is how many of a team's integrations an event of type
// candidates (eventtype.Candidates) and project would reach now (disabled
// ones included: they get a skipped delivery).
func (s *Store) CountMatching(ctx context.Context, teamID string, candidates []string, project string) (int, error) {
	var n int
	err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM (`+matchQuery+`) m`, teamID, pq.StringArray(candidates), project, "", false)
	if err != nil {
		return 0, fmt.Errorf("count the integrations matching: %w", err)
	}
	return n, nil
}

// Match selects who gets an event: the integrations subscribed to one of
// Candidates (eventtype.Candidates) except Exclude, or Only alone.
type Match struct {
	Candidates []string
	Exclude    string
	Only       string
	// AnyProject ignores the integrations' project restrictions: Herald's own
	// events (integration:disabled, …) belong to no project, and an integration
	// limited to some projects still hears about itself and its team.
	AnyProject bool
	// Carries are the grouped deliveries the event's delivery carries.
	Carries []string
	// Passes applies an integration's filter (its CEL text) to the event:
	// whether it passes, and why not. Nil: filters are not applied (an
	// alert group's message, whose events each passed already).
	Passes func(integrationID, filter string) (bool, string)
	// Replay, with Only, is a replay's run: the delivery to Only that
	// ended is opened again as it says (nil: not a replay).
	Replay *Redeliver
}

// Filtered is an integration the event's type and project matched and its
// filter turned away, with why.
type Filtered struct {
	IntegrationID   string `json:"integrationId"`
	IntegrationName string `json:"integrationName"`
	Reason          string `json:"reason"`
}

// matched is an integration matchQuery found.
type matched struct {
	ID      string `db:"id"`
	Name    string `db:"name"`
	Enabled bool   `db:"enabled"`
	Filter  string `db:"filter"`
}

// filter keeps the integrations whose filter the event passes and lists
// the others with why.
func (m Match) filter(all []matched) (kept []matched, out []Filtered) {
	for _, i := range all {
		if i.Filter != "" && m.Passes != nil {
			if ok, why := m.Passes(i.ID, i.Filter); !ok {
				out = append(out, Filtered{IntegrationID: i.ID, IntegrationName: i.Name, Reason: why})
				continue
			}
		}
		kept = append(kept, i)
	}
	return kept, out
}

// RecordEvent stores the event (once: a repeat changes nothing), matches it
// (see Match), and creates one delivery per matching integration — skipped
// when the integration is disabled. It returns every delivery of the event,
// so calling it again returns the same set.
func (s *Store) RecordEvent(ctx context.Context, ev Event, m Match) ([]DeliveryRef, error) {
	var refs []DeliveryRef
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `
			INSERT INTO events (team_id, id, type, project_id, data, workflow_id, received_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (team_id, id) DO NOTHING`,
			ev.TeamID, ev.ID, ev.Type, ev.ProjectID, []byte(ev.Data), ev.WorkflowID, ev.ReceivedAt)
		if err != nil {
			return fmt.Errorf("insert event: %w", err)
		}
		matched, err := m.integrations(ctx, tx, ev)
		if err != nil {
			return err
		}
		if len(matched) > 0 {
			ids := make(pq.StringArray, len(matched))
			integ := make(pq.StringArray, len(matched))
			status := make([]herald.DeliveryStatus, len(matched))
			reason := make(pq.StringArray, len(matched))
			for i, m := range matched {
				ids[i], integ[i] = NewID("dlv"), m.ID
				status[i] = herald.DeliveryPending
				if reason[i] = (Integration{Enabled: m.Enabled}).SkipReason(); reason[i] != "" {
					status[i] = herald.DeliverySkipped
				}
			}
			_, err = tx.ExecContext(ctx, `
				INSERT INTO deliveries (id, team_id, event_id, integration_id, status, reason, completed_at)
				SELECT d.id, $1, $2, d.integration_id, d.status, d.reason,
					CASE WHEN d.status = ANY($7) THEN now() END
				FROM unnest($3::text[], $4::text[], $5::text[], $6::text[]) AS d(id, integration_id, status, reason)
				ON CONFLICT (team_id, event_id, integration_id) DO NOTHING`,
				ev.TeamID, ev.ID, ids, integ, statusArray(status...), reason, statusArray(herald.FinalStatuses...))
			if err != nil {
				return fmt.Errorf("create deliveries: %w", err)
			}
		}
		if m.Replay != nil && len(matched) > 0 {
			if err := m.Replay.rerun(ctx, tx, ev.TeamID, ev.ID, m.Only); err != nil {
				return err
			}
		}
		refs, err = deliveryRefs(ctx, tx, ev.TeamID, ev.ID)
		if err != nil || len(m.Carries) == 0 || len(refs) == 0 {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE deliveries SET carrier_delivery_id = $2,
				reason = 'sent in the alert group message', completed_at = coalesce(completed_at, now()), updated_at = now()
			WHERE team_id = $3 AND id = ANY($1) AND status = $4`,
			pq.StringArray(m.Carries), refs[0].ID, ev.TeamID, herald.DeliveryGrouped)
		if err != nil {
			return fmt.Errorf("link grouped deliveries: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("record event %s: %w", ev.ID, err)
	}
	return refs, nil
}

// integrations are those that get the event: matched by type and project
// (or the one it is for), less those whose filter it does not pass, which
// the event keeps with why.
func (m Match) integrations(ctx context.Context, tx *sqlx.Tx, ev Event) ([]matched, error) {
	var all []matched
	var err error
	if m.Only != "" {
		err = tx.SelectContext(ctx, &all, `SELECT id, name, enabled, filter FROM integrations
			WHERE team_id = $1 AND id = $2 AND deleted_at IS NULL`, ev.TeamID, m.Only)
	} else {
		err = tx.SelectContext(ctx, &all, matchQuery, ev.TeamID, pq.StringArray(m.Candidates), ev.ProjectID, m.Exclude, m.AnyProject)
	}
	if err != nil {
		return nil, fmt.Errorf("match integrations: %w", err)
	}
	kept, filtered := m.filter(all)
	if len(filtered) > 0 {
		_, err = tx.ExecContext(ctx, `UPDATE events SET filtered = $3 WHERE team_id = $1 AND id = $2`,
			ev.TeamID, ev.ID, JSON[[]Filtered]{V: &filtered})
		if err != nil {
			return nil, fmt.Errorf("note the integrations filtered out: %w", err)
		}
	}
	return kept, nil
}

func deliveryRefs(ctx context.Context, q sqlx.QueryerContext, teamID, eventID string) ([]DeliveryRef, error) {
	refs := []DeliveryRef{}
	err := sqlx.SelectContext(ctx, q, &refs, `
		SELECT d.id, d.integration_id, i.name AS integration_name, i.type AS integration_type, d.status, d.attempt_count, i.retry_policy, i.alert_policy,
			t.alert_policy AS team_alert_policy, i.rate_limit, i.max_in_flight, i.ordering
		FROM deliveries d JOIN integrations i ON i.id = d.integration_id JOIN teams t ON t.id = d.team_id
		WHERE d.team_id = $1 AND d.event_id = $2 ORDER BY d.id`, teamID, eventID)
	if err != nil {
		return nil, fmt.Errorf("list deliveries of event %s: %w", eventID, err)
	}
	return refs, nil
}

// DeliveryRefs lists an event's deliveries as RecordEvent returns them.
func (s *Store) DeliveryRefs(ctx context.Context, teamID, eventID string) ([]DeliveryRef, error) {
	return deliveryRefs(ctx, s.db, teamID, eventID)
}

const eventCols = `team_id, id, type, project_id, data, workflow_id, received_at, filtered`

// GetEvent loads one of a team's events.
func (s *Store) GetEvent(ctx context.Context, teamID, id string) (Event, error) {
	var ev Event
	err := s.db.GetContext(ctx, &ev, `SELECT `+eventCols+` FROM events WHERE team_id = $1 AND id = $2`, teamID, id)
	if err != nil {
		return Event{}, notFound(err, "event", id)
	}
	return ev, nil
}

// ListEvents returns a team's events, newest first, received before the cursor
// (an event id, empty for the first page).
func (s *Store) ListEvents(ctx context.Context, f EventFilter) ([]EventSummary, error) {
	out := []EventSummary{}
	err := s.db.SelectContext(ctx, &out, `SELECT `+eventSummaryFrom+`
		WHERE e.team_id = $1 AND ($2 = '' OR (e.received_at, e.id) < (
			SELECT received_at, id FROM events WHERE team_id = $1 AND id = $2))
		  AND ($4 = '' OR e.type = $4) AND ($5 = '' OR e.project_id = $5)
		  AND ($6::timestamptz IS NULL OR e.received_at >= $6) AND ($7::timestamptz IS NULL OR e.received_at < $7)
		ORDER BY e.received_at DESC, e.id DESC LIMIT $3`,
		f.TeamID, f.Before, f.Limit, f.Type, f.Project, nullTime(f.Since), nullTime(f.Until))
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	return out, nil
}

// SearchEvents finds a team's events by what people know of them: the
// event's id, or an id in its data (the build, the service, the project,
// the deployment, the job run, the backup), newest first. It reads the
// team's events within retention; a console search, not a hot path.
func (s *Store) SearchEvents(ctx context.Context, teamID, q string, limit int) ([]EventSummary, error) {
	out := []EventSummary{}
	err := s.db.SelectContext(ctx, &out, `SELECT `+eventSummaryFrom+`
		WHERE e.team_id = $1 AND (e.id = $2 OR e.project_id = $2
			OR e.data->'build'->>'id' = $2 OR e.data->'service'->>'id' = $2 OR e.data->'service'->>'name' = $2
			OR e.data->'deployment'->>'id' = $2 OR e.data->'jobRun'->>'id' = $2 OR e.data->'run'->>'id' = $2 OR e.data->'job'->>'id' = $2
			OR e.data->'backup'->>'id' = $2 OR e.data->'addon'->>'id' = $2)
		ORDER BY e.received_at DESC, e.id DESC LIMIT $3`, teamID, q, limit)
	if err != nil {
		return nil, fmt.Errorf("search events: %w", err)
	}
	return out, nil
}

// eventSummaryFrom selects events e with their deliveries counted.
const eventSummaryFrom = eventCols + `,
	coalesce(c.total, 0) AS total, coalesce(c.delivered, 0) AS delivered, coalesce(c.failed, 0) AS failed,
	coalesce(c.open, 0) AS open, coalesce(c.skipped, 0) AS skipped
	FROM events e LEFT JOIN LATERAL (` + deliveryCounts + `) c ON true`

// deliveryCounts counts an event e's deliveries by where they stand.
const deliveryCounts = `
	SELECT count(*) AS total,
		count(*) FILTER (WHERE d.status IN ('delivered', 'grouped')) AS delivered,
		count(*) FILTER (WHERE d.status = 'failed') AS failed,
		count(*) FILTER (WHERE d.status IN ('pending', 'retrying')) AS open,
		count(*) FILTER (WHERE d.status = 'skipped') AS skipped
	FROM deliveries d WHERE d.team_id = e.team_id AND d.event_id = e.id`

// EventTypes are the distinct types of a team's events kept, in order
// (at most 1,000): a skip scan of the (team, type) index, one probe a type.
func (s *Store) EventTypes(ctx context.Context, teamID string) ([]string, error) {
	out := []string{}
	err := s.db.SelectContext(ctx, &out, `WITH RECURSIVE t AS (
			(SELECT type FROM events WHERE team_id = $1 ORDER BY type LIMIT 1)
			UNION ALL
			SELECT (SELECT e.type FROM events e WHERE e.team_id = $1 AND e.type > t.type ORDER BY e.type LIMIT 1)
			FROM t WHERE t.type IS NOT NULL)
		SELECT type FROM t WHERE type IS NOT NULL LIMIT 1000`, teamID)
	if err != nil {
		return nil, fmt.Errorf("event types of %s: %w", teamID, err)
	}
	return out, nil
}

// EventFilter selects a team's events, newest first.
type EventFilter struct {
	TeamID string
	// Type and Project, when set, must match exactly.
	Type, Project string
	// Since keeps events received at or after it; Until, before it.
	Since, Until time.Time
	// Before is the cursor: events older than this one.
	Before string
	Limit  int
}

// EventSummary is an event with the count of its deliveries by outcome.
type EventSummary struct {
	Event
	contract.Counts
}

// Status is where the event's deliveries stand, in a word (contract.Summarize).
func (e EventSummary) Status() contract.EventStatus { return contract.Summarize(e.Counts) }

// PruneEvents deletes up to limit events received before cutoff, with their
// deliveries and attempts (the foreign keys cascade), and says how many went.
// An event with a delivery still open (pending or retrying: waiting for a
// retry, its turn, its slot or its pace) stays until that delivery ends:
// retention never takes a delivery's record from under it.
func (s *Store) PruneEvents(ctx context.Context, cutoff time.Time, limit int) (int, error) {
	res, err := s.db.ExecContext(ctx, `
		DELETE FROM events WHERE (team_id, id) IN (
			SELECT e.team_id, e.id FROM events e WHERE e.received_at < $1
			  AND NOT EXISTS (SELECT 1 FROM deliveries d
				WHERE d.team_id = e.team_id AND d.event_id = e.id AND d.status <> ALL($3))
			LIMIT $2)`, cutoff, limit, statusArray(herald.FinalStatuses...))
	if err != nil {
		return 0, fmt.Errorf("prune events before %s: %w", cutoff.Format(time.RFC3339), err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
