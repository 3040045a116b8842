package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// EventType is an event type a team registered, with the JSON Schema of its data.
type EventType struct {
	TeamID      string          `db:"team_id"`
	Name        string          `db:"name"`
	Description string          `db:"description"`
	Schema      json.RawMessage `db:"schema"`
	Example     json.RawMessage `db:"example"` // null when none
	CreatedAt   time.Time       `db:"created_at"`
	UpdatedAt   time.Time       `db:"updated_at"`
}

// MaxEventTypes bounds a team's own types: every gateway compiles them.
const MaxEventTypes = 200

// ErrExists is a name already taken.
var ErrExists = errors.New("already exists")

// ErrTooMany is a team at one of its bounds (MaxEventTypes, LimitIntegrations).
var ErrTooMany = errors.New("too many")

// A missing example reads as JSON null.
const eventTypeColumns = `team_id, name, description, schema, coalesce(example, 'null'::jsonb) AS example, created_at, updated_at`

// ListEventTypes lists a team's own types by name.
func (s *Store) ListEventTypes(ctx context.Context, teamID string) ([]EventType, error) {
	out := []EventType{}
	if err := s.db.SelectContext(ctx, &out, `SELECT `+eventTypeColumns+` FROM event_types WHERE team_id = $1 ORDER BY name`, teamID); err != nil {
		return nil, fmt.Errorf("list event types of %s: %w", teamID, err)
	}
	return out, nil
}

// GetEventType loads one of a team's types.
func (s *Store) GetEventType(ctx context.Context, teamID, name string) (EventType, error) {
	var t EventType
	if err := s.db.GetContext(ctx, &t, `SELECT `+eventTypeColumns+` FROM event_types WHERE team_id = $1 AND name = $2`, teamID, name); err != nil {
		return EventType{}, notFound(err, "event type", name)
	}
	return t, nil
}

// CreateEventType registers a type (ErrExists, ErrTooMany).
func (s *Store) CreateEventType(ctx context.Context, t EventType) (EventType, error) {
	var out EventType
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		// The team's row serializes concurrent creations, so the bound holds.
		if err := lockTeam(ctx, tx, t.TeamID); err != nil {
			return err
		}
		var n int
		if err := tx.GetContext(ctx, &n, `SELECT count(*) FROM event_types WHERE team_id = $1`, t.TeamID); err != nil {
			return fmt.Errorf("count event types: %w", err)
		}
		if n >= MaxEventTypes {
			return fmt.Errorf("a team has at most %d event types: %w", MaxEventTypes, ErrTooMany)
		}
		err := tx.GetContext(ctx, &out, `INSERT INTO event_types (team_id, name, description, schema, example)
			VALUES ($1, $2, $3, $4, $5) RETURNING `+eventTypeColumns, t.TeamID, t.Name, t.Description, []byte(t.Schema), nullJSON(t.Example))
		var pe *pq.Error
		if errors.As(err, &pe) && pe.Code == "23505" {
			return fmt.Errorf("event type %s: %w", t.Name, ErrExists)
		}
		if err != nil {
			return fmt.Errorf("create event type %s: %w", t.Name, err)
		}
		return s.audit(ctx, tx, Audit{TeamID: t.TeamID, Action: AuditEventTypeCreate, ObjectType: ObjectEventType, ObjectID: t.Name,
			Summary: map[string]any{"description": t.Description}})
	})
	return out, err
}

// EventTypeChange is what an update sets (nil: unchanged).
type EventTypeChange struct {
	Description *string
	Schema      json.RawMessage
	// Example: set to replace; ClearExample to remove.
	Example      json.RawMessage
	ClearExample bool
}

// UpdateEventType changes one of a team's types.
func (s *Store) UpdateEventType(ctx context.Context, teamID, name string, c EventTypeChange) (EventType, error) {
	var out EventType
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &out, `UPDATE event_types SET
				description = coalesce($3, description),
				schema = coalesce($4, schema),
				example = CASE WHEN $6 THEN NULL ELSE coalesce($5, example) END,
				updated_at = now()
			WHERE team_id = $1 AND name = $2 RETURNING `+eventTypeColumns,
			teamID, name, c.Description, nullJSON(c.Schema), nullJSON(c.Example), c.ClearExample)
		if err != nil {
			return notFound(err, "event type", name)
		}
		changed := []string{}
		if c.Description != nil {
			changed = append(changed, "description")
		}
		if c.Schema != nil {
			changed = append(changed, "schema")
		}
		if c.Example != nil || c.ClearExample {
			changed = append(changed, "example")
		}
		return s.audit(ctx, tx, Audit{TeamID: teamID, Action: AuditEventTypeUpdate, ObjectType: ObjectEventType, ObjectID: name,
			Summary: map[string]any{"changed": changed}})
	})
	return out, err
}

// DeleteEventType removes one of a team's types.
func (s *Store) DeleteEventType(ctx context.Context, teamID, name string) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM event_types WHERE team_id = $1 AND name = $2`, teamID, name)
		if err != nil {
			return fmt.Errorf("delete event type %s: %w", name, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("event type %s: %w", name, ErrNotFound)
		}
		return s.audit(ctx, tx, Audit{TeamID: teamID, Action: AuditEventTypeDelete, ObjectType: ObjectEventType, ObjectID: name})
	})
}

// TeamSettings are what a team sets for itself.
type TeamSettings struct {
	Team
	// ValidateData: an event whose data does not match its type's schema is refused.
	ValidateData bool `db:"validate_data"`
}

// GetTeamSettings loads a team with its settings.
func (s *Store) GetTeamSettings(ctx context.Context, teamID string) (TeamSettings, error) {
	var t TeamSettings
	if err := s.db.GetContext(ctx, &t, `SELECT id, name, created_at, validate_data FROM teams WHERE id = $1`, teamID); err != nil {
		return TeamSettings{}, notFound(err, "team", teamID)
	}
	return t, nil
}

// TeamSettingsChange is a change of what a team sets for itself: the
// fields set change.
type TeamSettingsChange struct {
	// ValidateData turns the checking of the team's event data on or off.
	ValidateData *bool
}

// ChangeTeamSettings applies ch to the team's settings.
func (s *Store) ChangeTeamSettings(ctx context.Context, teamID string, ch TeamSettingsChange) (TeamSettings, error) {
	if ch.ValidateData == nil {
		return s.GetTeamSettings(ctx, teamID)
	}
	var t TeamSettings
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &t, `UPDATE teams SET validate_data = $2 WHERE id = $1 RETURNING id, name, created_at, validate_data`, teamID, *ch.ValidateData)
		if err != nil {
			return notFound(err, "team", teamID)
		}
		return s.audit(ctx, tx, Audit{TeamID: teamID, Action: AuditTeamUpdate, ObjectType: ObjectTeam, ObjectID: teamID,
			Summary: map[string]any{"validateData": *ch.ValidateData}})
	})
	return t, err
}

// DataRules are what ingest checks a team's events with: whether to check,
// and the team's own schemas by type.
type DataRules struct {
	ValidateData bool
	Schemas      map[string]json.RawMessage
}

// TeamDataRules loads a team's data rules in one round trip.
func (s *Store) TeamDataRules(ctx context.Context, teamID string) (DataRules, error) {
	rows := []struct {
		ValidateData bool            `db:"validate_data"`
		Name         *string         `db:"name"`
		Schema       json.RawMessage `db:"schema"`
	}{}
	err := s.db.SelectContext(ctx, &rows, `SELECT t.validate_data, e.name, coalesce(e.schema, 'null'::jsonb) AS schema FROM teams t
		LEFT JOIN event_types e ON e.team_id = t.id AND t.validate_data WHERE t.id = $1`, teamID)
	if err != nil {
		return DataRules{}, fmt.Errorf("load the data rules of %s: %w", teamID, err)
	}
	r := DataRules{Schemas: map[string]json.RawMessage{}}
	for _, row := range rows {
		r.ValidateData = row.ValidateData
		if row.Name != nil {
			r.Schemas[*row.Name] = row.Schema
		}
	}
	return r, nil
}

func nullJSON(b json.RawMessage) any {
	if b == nil {
		return nil
	}
	return []byte(b)
}
