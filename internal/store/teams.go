package store

import (
	"context"
	"fmt"
	"slices"
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

// CreateTeam adds a team. Its name is the caller's to check (service.CreateTeam
// holds the rule).
func (s *Store) CreateTeam(ctx context.Context, name string) (Team, error) {
	var t Team
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := tx.GetContext(ctx, &t,
			`INSERT INTO teams (id, name) VALUES ($1, $2) RETURNING id, name, created_at`,
			NewID("team"), name); err != nil {
			return err
		}
		// The new team's own log starts with its making.
		return s.audit(ctx, tx, Audit{TeamID: t.ID, Action: AuditTeamCreate, ObjectType: ObjectTeam, ObjectID: t.ID,
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

// TeamsNamed are the ids of the teams named name.
func (s *Store) TeamsNamed(ctx context.Context, name string) ([]string, error) {
	return s.ids(ctx, `SELECT id FROM teams WHERE name = $1 ORDER BY id`, strings.TrimSpace(name))
}

// TeamNameWarnings warn when another team is named as t (nil: none is).
func (s *Store) TeamNameWarnings(ctx context.Context, t Team) ([]string, error) {
	ids, err := s.TeamsNamed(ctx, t.Name)
	return nameWarning("team", t.Name, t.ID, ids), err
}

// IntegrationNameWarnings warn when another live integration of its team
// is named as in (nil: none is).
func (s *Store) IntegrationNameWarnings(ctx context.Context, in Integration) ([]string, error) {
	ids, err := s.ids(ctx, `SELECT id FROM integrations WHERE team_id = $1 AND name = $2 AND deleted_at IS NULL ORDER BY id`, in.TeamID, in.Name)
	return nameWarning("integration", in.Name, in.ID, ids), err
}

func (s *Store) ids(ctx context.Context, q string, args ...any) ([]string, error) {
	ids := []string{}
	if err := s.db.SelectContext(ctx, &ids, q, args...); err != nil {
		return nil, fmt.Errorf("find names: %w", err)
	}
	return ids, nil
}

// nameWarning is what is said of a name others than self have too.
func nameWarning(what, name, self string, ids []string) []string {
	others := slices.DeleteFunc(ids, func(id string) bool { return id == self })
	if len(others) == 0 {
		return nil
	}
	return []string{fmt.Sprintf("another %s is named %q already (%s): name it by id where names are ambiguous", what, name, strings.Join(others, ", "))}
}
