package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// Team owns integrations, events and keys.
type Team struct {
	ID        string    `db:"id" json:"id"`
	Name      string    `db:"name" json:"name"`
	CreatedAt time.Time `db:"created_at" json:"createdAt"`
}

// CreateTeam adds a team.
func (s *Store) CreateTeam(ctx context.Context, name string) (Team, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return Team{}, fmt.Errorf("team name must be 1 to 100 characters")
	}
	var t Team
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := tx.GetContext(ctx, &t,
			`INSERT INTO teams (id, name) VALUES ($1, $2) RETURNING id, name, created_at`,
			NewID("team"), name); err != nil {
			return err
		}
		// The new team's own log starts with its making.
		return s.audit(ctx, tx, Audit{TeamID: t.ID, Action: AuditTeamCreate, ObjectType: "team", ObjectID: t.ID,
			Summary: map[string]any{"name": name}})
	})
	if err != nil {
		return Team{}, fmt.Errorf("create team: %w", err)
	}
	return t, nil
}

// GetTeam loads a team.
func (s *Store) GetTeam(ctx context.Context, id string) (Team, error) {
	var t Team
	err := s.db.GetContext(ctx, &t, `SELECT id, name, created_at FROM teams WHERE id = $1`, id)
	if err != nil {
		return Team{}, notFound(err, "team", id)
	}
	return t, nil
}

// ListTeams lists every team, oldest first.
func (s *Store) ListTeams(ctx context.Context) ([]Team, error) {
	out := []Team{}
	if err := s.db.SelectContext(ctx, &out, `SELECT id, name, created_at FROM teams ORDER BY id`); err != nil {
		return nil, fmt.Errorf("list teams: %w", err)
	}
	return out, nil
}
