package service

import (
	"context"
	"errors"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/alerts"
	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/catalog"
	"github.com/heraldhq/herald/internal/channels"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/internal/pacing"
	"github.com/heraldhq/herald/internal/problem"
	"github.com/heraldhq/herald/internal/retry"
	"github.com/heraldhq/herald/internal/store"
)

// Limits on integration fields. Names follow the seed (3–39 characters).
const (
	minNameLen    = 3
	maxNameLen    = 39
	maxPatterns   = 100
	maxProjects   = 100
	maxProjectLen = 100
)

// deliveryControl copies a request's rateLimit, maxInFlight and ordering
// into a patch ({} as rateLimit restores the channel's default).
func deliveryControl(r api.IntegrationRequest, p *store.IntegrationPatch) {
	if r.RateLimit != nil {
		p.RateLimit = &store.RateJSON{V: r.RateLimit}
		if *r.RateLimit == (pacing.Override{}) {
			p.RateLimit.V = nil
		}
	}
	if r.MaxInFlight != nil {
		p.MaxInFlight = &r.MaxInFlight
	}
	if r.DisableAfter != nil {
		threshold := r.DisableAfter
		if *threshold == 0 {
			threshold = nil // the server's
		}
		p.DisableAfter = &threshold
	}
	p.Ordering = r.Ordering
}

// newIntegration checks and makes an integration for the caller's team (the
// API's and the console's one path), and sends a chat integration its
// confirmation; the view shows its new secret and URL this once.
func (s *Service) CreateIntegration(ctx context.Context, a Actor, req api.IntegrationRequest) (api.IntegrationView, error) {
	ctx = a.in(ctx)
	var none api.IntegrationView
	in, err := s.newIntegration(ctx, a, req)
	if err != nil {
		return none, err
	}
	out, err := s.store.CreateIntegration(ctx, in)
	if err != nil {
		return none, s.LimitProblem(err)
	}
	out, confirmation := s.Confirm(ctx, a, out)
	v := s.IntegrationView(out)
	v.URL, v.Secret = out.URL, ShownSecret(out.Secret)
	v.Confirmation = confirmation
	v.Warnings = append(s.nameWarning(ctx, out), s.patternWarnings(ctx, out.TeamID, out.Events)...)
	return v, nil
}

// newIntegration is the integration a create request makes, checked, with
// the secret it asks for made (an Ed25519 integration needs a key: Herald
// makes it); not stored.
func (s *Service) newIntegration(ctx context.Context, a Actor, req api.IntegrationRequest) (store.Integration, error) {
	if err := ValidateRequest(&req, api.Creating, s.cfg); err != nil {
		return store.Integration{}, err
	}
	auth, err := s.check(ctx, store.Integration{Type: herald.IntegrationType(*req.Type)}, &req)
	if err != nil {
		return store.Integration{}, err
	}
	in := integrationOf(a.TeamID, req, auth)
	signing, err := s.requestedSigning(&req, in.Type, "")
	if err != nil {
		return in, err
	}
	if req.GenerateSecret || (signing == channels.SigningEd25519 && req.Secret == nil) {
		if in.Secret, err = channels.GenerateSecretFor(signing); err != nil {
			return in, err
		}
	}
	return in, nil
}

// integrationOf is the integration a checked create request makes for
// team: every field the request sets, as a change would set it.
func integrationOf(team string, req api.IntegrationRequest, auth channels.EndpointAuth) store.Integration {
	in := store.Integration{TeamID: team, Type: herald.IntegrationType(*req.Type), Enabled: true, Auth: auth}
	patchOf(req).ApplyTo(&in)
	if req.Enabled != nil {
		in.Enabled = *req.Enabled
	}
	return in
}

// changeIntegration applies a change to the integration :id of the
// caller's team (the API's and the console's one path).
func (s *Service) ChangeIntegration(ctx context.Context, a Actor, id string, req api.IntegrationRequest) (api.IntegrationView, error) {
	ctx = a.in(ctx)
	var none api.IntegrationView
	if err := ValidateRequest(&req, api.Updating, s.cfg); err != nil {
		return none, err
	}
	before, err := s.Integration(ctx, a, id)
	if err != nil {
		return none, err
	}
	auth, err := s.check(ctx, before, &req)
	if err != nil {
		return none, err
	}
	p := patchOf(req)
	if req.HasAuth() {
		p.Auth = &auth
	}
	signing, err := s.requestedSigning(&req, before.Type, before.Secret)
	if err != nil {
		return none, err
	}
	if req.Signing != nil && !req.GenerateSecret && req.Secret == nil && signing != channels.SigningOf(before.Secret) {
		return none, problem.At("signing", problem.BadRequest("changing \"signing\" needs a new key: POST /v1/integrations/%s/rotate-secret with {\"signing\": %q} (the old key keeps signing for the grace period), or send \"generateSecret\": true", id, signing))
	}
	if req.GenerateSecret {
		// A new key of the scheme asked for, else of the one in use.
		sec, err := channels.GenerateSecretFor(signing)
		if err != nil {
			return none, err
		}
		p.Secret = &sec
	}
	out, err := s.store.UpdateIntegration(ctx, a.TeamID, id, p)
	if errors.Is(err, store.ErrNotFound) {
		return none, problem.NotFound("integration", id)
	}
	if err != nil {
		return none, err
	}
	// enabled goes through the same paths as /enable and /disable.
	switch {
	case req.Enabled == nil || *req.Enabled == out.Enabled:
	case *req.Enabled:
		out, err = s.Enable(ctx, a, out)
	default:
		out, err = s.Disable(ctx, a, out, "disabled through the API")
	}
	if err != nil {
		return none, err
	}
	var confirmation *contract.TestResult
	if req.URL != nil && *req.URL != before.URL {
		if out, confirmation, err = s.FreshStart(ctx, a, out); err != nil {
			return none, err
		}
	}
	v := s.IntegrationView(out)
	v.Confirmation = confirmation
	if req.Name != nil {
		v.Warnings = s.nameWarning(ctx, out)
	}
	if req.Events != nil {
		v.Warnings = append(v.Warnings, s.patternWarnings(ctx, out.TeamID, out.Events)...)
	}
	if req.GenerateSecret {
		v.Secret = ShownSecret(out.Secret)
	}
	if req.URL != nil {
		v.URL = out.URL
	}
	return v, nil
}

// check checks a request against the integration it makes or changes
// (before: for a create, a new integration of the request's type), as the
// integration will be after it: the merged settings (the channel's URL,
// format and secret), the merged retry schedule, the delivery control, the
// new destination, and the endpoint authentication, which it returns. It
// is the one check of an integration's settings, for create and change
// alike; ValidateRequest has checked the request's own fields before it.
func (s *Service) check(ctx context.Context, before store.Integration, req *api.IntegrationRequest) (channels.EndpointAuth, error) {
	if before.ID != "" && req.Retry != nil && *req.Retry != (retry.Override{}) {
		// Field by field, as rateLimit: the fields not sent stay.
		now := before.Retry.V.Patch(*req.Retry)
		if err := checkRetry(&now, s.cfg); err != nil {
			return before.Auth, err
		}
		req.Retry = &now
	}
	// A change that leaves the URL, format and secret alone is not held to
	// the channel's rules of today by what it did not touch.
	if before.ID == "" || req.URL != nil || req.Format != nil || req.Secret != nil || req.Signing != nil || req.GenerateSecret {
		if err := s.checkSettings(before.Type, merged(before, *req)); err != nil {
			return before.Auth, err
		}
	}
	if err := s.checkDeliveryControl(req, before.Type); err != nil {
		return before.Auth, err
	}
	if err := checkRouting(req, s.channels.TraitsOf(before.Type)); err != nil {
		return before.Auth, err
	}
	if req.URL != nil {
		if err := s.checkDestination(ctx, "url", *req.URL); err != nil {
			return before.Auth, err
		}
	}
	return s.checkAuth(ctx, before.Type, before.Auth, *req)
}

// patchOf is the store's patch of a checked change request.
func patchOf(req api.IntegrationRequest) store.IntegrationPatch {
	p := store.IntegrationPatch{Name: req.Name, URL: req.URL, Secret: req.Secret,
		Events: req.Events, Projects: req.Projects, AutoRecover: req.AutoRecover, Format: req.Format}
	if req.AlertPolicy != nil {
		p.AlertPolicy = &store.PolicyJSON{V: req.AlertPolicy}
		if isZeroPolicy(req.AlertPolicy) {
			p.AlertPolicy.V = nil
		}
	}
	if req.Retry != nil {
		p.Retry = &store.RetryJSON{V: req.Retry}
		if *req.Retry == (retry.Override{}) {
			p.Retry.V = nil
		}
	}
	deliveryControl(req, &p)
	routingOf(req, &p)
	return p
}

// patternWarnings warns of the patterns that match no known event type
// (catalog.PatternWarnings): Herald's and the team's own.
func (s *Service) patternWarnings(ctx context.Context, team string, patterns []string) []string {
	own, err := s.store.ListEventTypes(ctx, team)
	if err != nil {
		s.log.Warn("read the team's event types for the pattern check", "team", team, "error", err)
	}
	names := make([]string, len(own))
	for i, t := range own {
		names[i] = t.Name
	}
	return catalog.PatternWarnings(patterns, names)
}

// nameWarning warns when another integration of the team has in's name.
func (s *Service) nameWarning(ctx context.Context, in store.Integration) []string {
	w, err := s.store.IntegrationNameWarnings(ctx, in)
	if err != nil {
		s.log.Warn("look for integrations of the same name", "integration", in.ID, "error", err)
	}
	return w
}

// integrationLimitProblem says a team at its bound of integrations as a
// 409, and other errors as they are.
func (s *Service) LimitProblem(err error) error {
	if errors.Is(err, store.ErrTooMany) {
		return problem.Conflict("a team has at most %d integrations; delete one it no longer needs first (the operator sets the bound: HERALD_MAX_INTEGRATIONS)", s.cfg.MaxIntegrations)
	}
	return err
}

func isZeroPolicy(p *alerts.Policy) bool {
	return len(p.Patterns) == 0 && len(p.GroupBy) == 0 && p.GroupWait == nil && p.RepeatInterval == nil && p.Disabled == nil
}
