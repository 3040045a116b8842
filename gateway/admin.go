package gateway

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/store"
)

// NewKeyView shows a stored key (never the key itself).
func NewKeyView(k store.APIKey) api.KeyView {
	return api.KeyView{ID: k.ID, TeamID: k.TeamID, Name: k.Name, Prefix: k.Prefix, Scopes: k.Scopes,
		CreatedAt: k.CreatedAt, RevokedAt: k.RevokedAt}
}

func (s *Server) createTeam(c *fiber.Ctx) error {
	var req api.TeamRequest
	if err := decodeJSON(c.Body(), &req); err != nil {
		return err
	}
	if n := len(strings.TrimSpace(req.Name)); n == 0 || n > 100 {
		return fieldf("name", " must be 1 to 100 characters")
	}
	t, err := s.store.CreateTeam(c.UserContext(), req.Name)
	if err != nil {
		return err
	}
	v := NewTeamView(t)
	if v.Warnings, err = s.store.TeamNameWarnings(c.UserContext(), t); err != nil {
		s.log.Warn("look for teams of the same name", "team", t.ID, "error", err)
	}
	return c.Status(fiber.StatusCreated).JSON(v)
}

func (s *Server) listTeams(c *fiber.Ctx) error {
	ts, err := s.store.ListTeams(c.UserContext())
	if err != nil {
		return err
	}
	views := make([]api.TeamView, len(ts))
	for i, t := range ts {
		views[i] = NewTeamView(t)
	}
	return c.JSON(api.Page[api.TeamView]{Data: views})
}

func (s *Server) createKey(c *fiber.Ctx) error {
	var req api.KeyRequest
	if err := decodeJSON(c.Body(), &req); err != nil {
		return err
	}
	me := apiKey(c)
	if req.TeamID == "" {
		req.TeamID = me.TeamID
	}
	if !me.Has(herald.ScopeAdmin) && req.TeamID != me.TeamID {
		// An owner's reach ends at its team: another team does not exist for it.
		return notFoundProblem("team", req.TeamID)
	}
	if len(req.Scopes) == 0 {
		return fieldf("scopes", " must list at least one of ingest, manage, owner, admin")
	}
	if len(req.Name) > 100 {
		return fieldf("name", " is longer than 100 characters")
	}
	var scopes []herald.Scope
	for _, sc := range req.Scopes {
		p, err := herald.ParseScope(sc)
		if err != nil {
			return fieldf("scopes", ": %s", err)
		}
		if !me.Has(p) {
			return problemf(fiber.StatusForbidden, "this API key cannot grant the %q scope: it does not hold it", p)
		}
		scopes = append(scopes, p)
	}
	k, plain, err := s.store.CreateKey(c.UserContext(), req.TeamID, req.Name, scopes)
	if errors.Is(err, store.ErrNotFound) {
		return notFoundProblem("team", req.TeamID)
	}
	if err != nil {
		return err
	}
	v := NewKeyView(k)
	v.Key = plain
	return c.Status(fiber.StatusCreated).JSON(v)
}

func (s *Server) listKeys(c *fiber.Ctx) error {
	team := c.Query("teamId", teamID(c))
	if !apiKey(c).Has(herald.ScopeAdmin) && team != teamID(c) {
		return notFoundProblem("team", team)
	}
	keys, err := s.store.ListKeys(c.UserContext(), team)
	if err != nil {
		return err
	}
	views := make([]api.KeyView, len(keys))
	for i, k := range keys {
		views[i] = NewKeyView(k)
	}
	return c.JSON(api.Page[api.KeyView]{Data: views})
}

func (s *Server) revokeKey(c *fiber.Ctx) error {
	id := c.Params("id")
	team := "" // the operator revokes any team's key
	if !apiKey(c).Has(herald.ScopeAdmin) {
		team = teamID(c)
	}
	k, err := s.store.RevokeKey(c.UserContext(), team, id)
	if errors.Is(err, store.ErrNotFound) {
		return notFoundProblem("api key", id)
	}
	if err != nil {
		return err
	}
	s.keys.evict(id)
	return c.JSON(NewKeyView(k))
}

// NewTeamView shows a team.
func NewTeamView(t store.Team) api.TeamView {
	return api.TeamView{ID: t.ID, Name: t.Name, CreatedAt: t.CreatedAt}
}
