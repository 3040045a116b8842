package service

// Teams and their API keys: the operator's (admin) and each team owner's
// work, through the API or, before any key exists, the CLI on the database.

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/problem"
	"github.com/heraldhq/herald/internal/store"
)

// maxTeamNameLen and maxKeyNameLen bound the names people give.
const (
	maxTeamNameLen = 100
	maxKeyNameLen  = 100
)

// CreateTeam makes a team. Its name is trimmed and 1 to 100 characters; a
// name another team has is taken, with a warning.
func (s *Service) CreateTeam(ctx context.Context, a Actor, name string) (api.TeamView, error) {
	name = strings.TrimSpace(name)
	if n := len(name); n == 0 || n > maxTeamNameLen {
		return api.TeamView{}, problem.Field("name", " must be 1 to %d characters", maxTeamNameLen)
	}
	t, err := s.store.CreateTeam(a.in(ctx), name)
	if err != nil {
		return api.TeamView{}, err
	}
	v := TeamView(t)
	if v.Warnings, err = s.store.TeamNameWarnings(ctx, t); err != nil {
		s.log.Warn("look for teams of the same name", "team", t.ID, "error", err)
	}
	return v, nil
}

// ListTeams lists every team (the operator's view).
func (s *Service) ListTeams(ctx context.Context, _ Actor) ([]api.TeamView, error) {
	ts, err := s.store.ListTeams(ctx)
	if err != nil {
		return nil, err
	}
	views := make([]api.TeamView, len(ts))
	for i, t := range ts {
		views[i] = TeamView(t)
	}
	return views, nil
}

// CreateKey makes a key for req's team (the actor's own when none is named)
// with at most the scopes the actor holds; its plaintext is in the view this
// once. An owner's reach ends at its team: another team does not exist for it.
func (s *Service) CreateKey(ctx context.Context, a Actor, req api.KeyRequest) (api.KeyView, error) {
	if req.TeamID == "" {
		req.TeamID = a.TeamID
	}
	if !a.Has(herald.ScopeAdmin) && req.TeamID != a.TeamID {
		return api.KeyView{}, problem.NotFound("team", req.TeamID)
	}
	if len(req.Scopes) == 0 {
		return api.KeyView{}, problem.Field("scopes", " must list at least one of ingest, manage, owner, admin")
	}
	if len(req.Name) > maxKeyNameLen {
		return api.KeyView{}, problem.Field("name", " is longer than %d characters", maxKeyNameLen)
	}
	var scopes []herald.Scope
	for _, sc := range req.Scopes {
		p, err := herald.ParseScope(sc)
		if err != nil {
			return api.KeyView{}, problem.Field("scopes", ": %s", err)
		}
		if !a.Has(p) {
			return api.KeyView{}, problem.New(http.StatusForbidden, "this API key cannot grant the %q scope: it does not hold it", p)
		}
		scopes = append(scopes, p)
	}
	k, plain, err := s.store.CreateKey(a.in(ctx), req.TeamID, req.Name, scopes)
	if errors.Is(err, store.ErrNotFound) {
		return api.KeyView{}, problem.NotFound("team", req.TeamID)
	}
	if err != nil {
		return api.KeyView{}, err
	}
	v := KeyView(k)
	v.Key = plain
	return v, nil
}

// ListKeys lists a team's keys (the actor's own team unless it is the
// operator), never the keys themselves.
func (s *Service) ListKeys(ctx context.Context, a Actor, team string) ([]api.KeyView, error) {
	if team == "" {
		team = a.TeamID
	}
	if !a.Has(herald.ScopeAdmin) && team != a.TeamID {
		return nil, problem.NotFound("team", team)
	}
	keys, err := s.store.ListKeys(ctx, team)
	if err != nil {
		return nil, err
	}
	views := make([]api.KeyView, len(keys))
	for i, k := range keys {
		views[i] = KeyView(k)
	}
	return views, nil
}

// RevokeKey revokes a key of the actor's team (any team's for the operator).
func (s *Service) RevokeKey(ctx context.Context, a Actor, id string) (api.KeyView, error) {
	team := "" // the operator revokes any team's key
	if !a.Has(herald.ScopeAdmin) {
		team = a.TeamID
	}
	k, err := s.store.RevokeKey(a.in(ctx), team, id)
	if errors.Is(err, store.ErrNotFound) {
		return api.KeyView{}, problem.NotFound("api key", id)
	}
	if err != nil {
		return api.KeyView{}, err
	}
	return KeyView(k), nil
}

// KeyView shows a stored key (never the key itself).
func KeyView(k store.APIKey) api.KeyView {
	return api.KeyView{ID: k.ID, TeamID: k.TeamID, Name: k.Name, Prefix: k.Prefix, Scopes: k.Scopes,
		CreatedAt: k.CreatedAt, RevokedAt: k.RevokedAt}
}

// TeamView shows a team.
func TeamView(t store.Team) api.TeamView {
	return api.TeamView{ID: t.ID, Name: t.Name, CreatedAt: t.CreatedAt}
}
