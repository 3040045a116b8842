// Package service is what Herald does, independent of HTTP: integrations
// created, changed, checked, enabled, disabled, rotated, tested and deleted.
// Every operation takes (ctx, actor, request) and returns typed results and
// typed errors (internal/problem: a refusal says why and points at the
// field); the JSON API, the console and the Slack install all call it, so
// each decision is made once. Nothing here knows of Fiber.
package service

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"slices"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/channels"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/problem"
	"github.com/heraldhq/herald/internal/ssrf"
	"github.com/heraldhq/herald/internal/store"
)

// workflowCallTimeout bounds an operation that waits on a short workflow.
const workflowCallTimeout = 15 * time.Second

// Service holds what Herald's operations need.
type Service struct {
	cfg      *config.Config
	store    *store.Store
	temporal client.Client
	channels *channels.Registry
	log      *slog.Logger
	// resolver checks integration URLs' hosts (tests replace it).
	resolver ssrf.Resolver
	// rulesChangedHook hears of a team whose data rules changed.
	rulesChangedHook func(team string)
}

// New is the service over st and tc, with the channels of reg.
func New(cfg *config.Config, st *store.Store, tc client.Client, reg *channels.Registry, log *slog.Logger) *Service {
	return &Service{cfg: cfg, store: st, temporal: tc, channels: reg, log: log, resolver: net.DefaultResolver}
}

// SetResolver makes the checks of destinations resolve hosts through r.
func (s *Service) SetResolver(r ssrf.Resolver) { s.resolver = r }

// Actor is who asks: a key of a team (or Herald, or the database), through
// a door, holding Scopes. Every change it makes is audited as its own.
type Actor struct {
	TeamID string
	store.Actor
	Scopes []herald.Scope
}

// Has says whether the actor may act with scope sc: a key's admin scope
// holds every other, and whoever works on the database holds all.
func (a Actor) Has(sc herald.Scope) bool {
	return a.Kind == store.ActorDatabase || slices.Contains(a.Scopes, sc) || slices.Contains(a.Scopes, herald.ScopeAdmin)
}

// in is ctx carrying a as the actor of every change made with it.
func (a Actor) in(ctx context.Context) context.Context { return store.WithActor(ctx, a.Actor) }

// RecordAudit records a change that is not a row of Herald's (a test, a
// resend, a failed console sign-in); a failure to record it is logged, the
// change stands.
func (s *Service) RecordAudit(ctx context.Context, a store.Audit) {
	if err := s.store.RecordAudit(ctx, a); err != nil {
		s.log.Error("audit", "action", a.Action, "object", a.ObjectID, "error", err)
	}
}

// Integration is the actor's team's integration id (404 when it has none).
func (s *Service) Integration(ctx context.Context, a Actor, id string) (store.Integration, error) {
	in, err := s.store.GetIntegration(ctx, a.TeamID, id)
	return in, problem.OrNotFound(err, "integration", id)
}

// ListIntegrations is a page of the team's integrations after cursor, and
// the cursor of the next page ("" at the end).
func (s *Service) ListIntegrations(ctx context.Context, a Actor, cursor string, limit int) ([]api.IntegrationView, string, error) {
	list, err := s.store.ListIntegrations(ctx, a.TeamID, cursor, limit)
	if err != nil {
		return nil, "", err
	}
	views := make([]api.IntegrationView, len(list))
	for i, in := range list {
		views[i] = s.IntegrationView(in)
	}
	next := ""
	if len(list) == limit {
		next = list[len(list)-1].ID
	}
	return views, next, nil
}

// DeleteIntegration deletes an integration; its deliveries stay.
func (s *Service) DeleteIntegration(ctx context.Context, a Actor, id string) error {
	err := s.store.DeleteIntegration(a.in(ctx), a.TeamID, id)
	if errors.Is(err, store.ErrNotFound) {
		return problem.NotFound("integration", id)
	}
	return err
}
