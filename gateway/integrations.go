package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/alerts"
	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/catalog"
	"github.com/heraldhq/herald/internal/channels"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/internal/eventtype"
	"github.com/heraldhq/herald/internal/pacing"
	"github.com/heraldhq/herald/internal/retry"
	"github.com/heraldhq/herald/internal/ssrf"
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

// checkRetry checks a retry override as it would be in force: a valid
// schedule that the retention outlasts.
func checkRetry(o *retry.Override, cfg *config.Config) error {
	if o == nil {
		return nil
	}
	p, err := o.Apply(cfg.Retry)
	if err == nil {
		err = config.CheckRetention(cfg.Retention, "this retry schedule", p)
	}
	if err != nil {
		return fieldf("retry", ": %s", err)
	}
	return nil
}

// validate checks and normalizes the fields present; create requires the
// fields an integration cannot do without.
func validateIntegration(r *api.IntegrationRequest, intent api.Intent, cfg *config.Config) error {
	if intent == api.Creating {
		switch {
		case r.Name == nil:
			return fieldf("name", " is required")
		case r.Type == nil:
			return fieldf("type", " is required (one of %v)", channels.Supported())
		case r.URL == nil:
			return fieldf("url", " is required")
		case r.Events == nil:
			return fieldf("events", " is required: a list of event types or patterns such as \"build:*\" or \"*\"")
		}
	} else if r.Type != nil {
		return fieldf("type", " cannot be changed; create a new integration instead")
	}
	if r.Name != nil {
		n := strings.TrimSpace(*r.Name)
		if err := checkText("name", n); err != nil {
			return err
		}
		if l := utf8.RuneCountInString(n); l < minNameLen || l > maxNameLen {
			return fieldf("name", " must be %d to %d characters long", minNameLen, maxNameLen)
		}
		r.Name = &n
	}
	if r.Type != nil && !slices.Contains(channels.Supported(), herald.IntegrationType(*r.Type)) {
		return fieldf("type", ": unknown integration type %q (supported: %v)", *r.Type, channels.Supported())
	}
	// The URL, format and secret are the channel's to check (settingsProblem).
	if r.Secret != nil && r.GenerateSecret {
		return at("generateSecret", badRequest("send either \"secret\" or \"generateSecret\", not both"))
	}
	if r.Events != nil {
		pats, err := normalizePatterns(*r.Events)
		if err != nil {
			return err
		}
		r.Events = &pats
	}
	if r.Format != nil && *r.Format == "auto" {
		*r.Format = "" // the channel's own default
	}
	if r.AlertPolicy != nil {
		if err := r.AlertPolicy.Validate(); err != nil {
			return fieldf("alertPolicy", ": %s", err)
		}
	}
	if err := checkRetry(r.Retry, cfg); err != nil {
		return err
	}
	if r.Projects != nil {
		if len(*r.Projects) > maxProjects {
			return fieldf("projects", " lists more than %d projects", maxProjects)
		}
		out := []string{}
		for _, p := range *r.Projects {
			p = strings.TrimSpace(p)
			if err := checkProjectID("projects", p); err != nil {
				return err
			}
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
		r.Projects = &out
	}
	return nil
}

func normalizePatterns(in []string) ([]string, error) {
	if len(in) == 0 {
		return nil, fieldf("events", " must list at least one event type or pattern (\"*\" for all)")
	}
	if len(in) > maxPatterns {
		return nil, fieldf("events", " lists more than %d patterns", maxPatterns)
	}
	out := make([]string, 0, len(in))
	for i, p := range in {
		n, err := eventtype.NormalizePattern(strings.TrimSpace(p))
		if err != nil {
			return nil, at(fmt.Sprintf("events.%d", i), badRequest("field \"events\": %s", err))
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out, nil
}

// checkSettings has the integration's channel check its URL, format and
// secret: every per-channel rule lives with the channel.
func (s *Server) checkSettings(t herald.IntegrationType, set channels.Settings) error {
	return fieldProblem(s.channels.Validate(t, set))
}

// fieldProblem is a channel's refusal of a field as a 400 naming it (other
// errors as they are).
func fieldProblem(err error) error {
	var fe *channels.FieldError
	if errors.As(err, &fe) {
		return at(fe.Field, badRequest("%s", fe))
	}
	return err
}

// merged is an integration's settings after a patch.
func merged(in store.Integration, r api.IntegrationRequest) channels.Settings {
	set := channels.Settings{URL: in.URL, Format: in.Format, Secret: in.Secret}
	if r.URL != nil {
		set.URL = *r.URL
	}
	if r.Format != nil {
		set.Format = *r.Format
	}
	if r.Secret != nil {
		set.Secret = *r.Secret
	}
	return set
}

// maxInFlightCap bounds maxInFlight: beyond it the cap caps nothing.
const maxInFlightCap = 10_000

// maxDisableAfter bounds an integration's disable threshold.
const maxDisableAfter = 1000

// checkDeliveryControl checks rateLimit, maxInFlight and ordering against
// the channel of type t (its default rate is what an override changes).
func (s *Server) checkDeliveryControl(r *api.IntegrationRequest, t herald.IntegrationType) error {
	if r.RateLimit != nil && *r.RateLimit != (pacing.Override{}) {
		if _, err := r.RateLimit.Apply(s.channels.TraitsOf(t).Rate); err != nil {
			var fe *pacing.FieldError
			if errors.As(err, &fe) {
				return fieldf(fe.Field, ": %s", fe.Problem)
			}
			return fieldf("rateLimit", ": %s", err)
		}
	}
	if r.MaxInFlight != nil && (*r.MaxInFlight < 1 || *r.MaxInFlight > maxInFlightCap) {
		return fieldf("maxInFlight", " must be from 1 to %d", maxInFlightCap)
	}
	if r.DisableAfter != nil && (*r.DisableAfter < 0 || *r.DisableAfter > maxDisableAfter) {
		return fieldf("disableAfter", " must be from 1 to %d failed deliveries in a row, or 0 for the server's default", maxDisableAfter)
	}
	if r.Ordering != nil && !r.Ordering.Known() {
		return fieldf("ordering", " must be %q or %q, not %q", herald.OrderingNone, herald.OrderingFIFO, *r.Ordering)
	}
	return nil
}

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

func (s *Server) createIntegration(c *fiber.Ctx) error {
	var req api.IntegrationRequest
	if err := decodeJSON(c.Body(), &req); err != nil {
		return err
	}
	v, err := s.newIntegration(c, req)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(v)
}

// newIntegration checks and makes an integration for the caller's team (the
// API's and the console's one path), and sends a chat integration its
// confirmation; the view shows its new secret and URL this once.
func (s *Server) newIntegration(c *fiber.Ctx, req api.IntegrationRequest) (api.IntegrationView, error) {
	var none api.IntegrationView
	if err := validateIntegration(&req, api.Creating, s.cfg); err != nil {
		return none, err
	}
	if err := s.checkDeliveryControl(&req, herald.IntegrationType(*req.Type)); err != nil {
		return none, err
	}
	if err := s.checkSettings(herald.IntegrationType(*req.Type), merged(store.Integration{}, req)); err != nil {
		return none, err
	}
	if err := s.checkDestination(c.UserContext(), "url", *req.URL); err != nil {
		return none, err
	}
	auth, err := s.checkAuth(c.UserContext(), herald.IntegrationType(*req.Type), channels.EndpointAuth{}, req)
	if err != nil {
		return none, err
	}
	in := integrationOf(teamID(c), req, auth)
	signing, err := s.requestedSigning(&req, in.Type, "")
	if err != nil {
		return none, err
	}
	// An Ed25519 integration needs a key: Herald makes it.
	if req.GenerateSecret || (signing == channels.SigningEd25519 && req.Secret == nil) {
		sec, err := channels.GenerateSecretFor(signing)
		if err != nil {
			return none, err
		}
		in.Secret = sec
	}
	out, err := s.store.CreateIntegration(c.UserContext(), in)
	if err != nil {
		return none, s.integrationLimitProblem(err)
	}
	out, confirmation := s.confirm(c, out)
	v := s.integrationView(out)
	v.URL, v.Secret = out.URL, shownSecret(out.Secret)
	v.Confirmation = confirmation
	v.Warnings = append(s.nameWarning(c, out), s.patternWarnings(c, out.TeamID, out.Events)...)
	return v, nil
}

// integrationOf is the integration a checked create request makes for team.
func integrationOf(team string, req api.IntegrationRequest, auth channels.EndpointAuth) store.Integration {
	in := store.Integration{
		TeamID:  team,
		Name:    *req.Name,
		Type:    herald.IntegrationType(*req.Type),
		URL:     *req.URL,
		Events:  *req.Events,
		Enabled: true,
		Auth:    auth,
	}
	if req.Projects != nil {
		in.Projects = *req.Projects
	}
	if req.Enabled != nil {
		in.Enabled = *req.Enabled
	}
	if req.Retry != nil {
		in.Retry.V = req.Retry
	}
	if req.AutoRecover != nil {
		in.AutoRecover = *req.AutoRecover
	}
	if req.Format != nil {
		in.Format = *req.Format
	}
	if req.AlertPolicy != nil {
		in.AlertPolicy.V = req.AlertPolicy
	}
	var dc store.IntegrationPatch
	deliveryControl(req, &dc)
	if dc.RateLimit != nil {
		in.RateLimit = *dc.RateLimit
	}
	if dc.MaxInFlight != nil {
		in.MaxInFlight = *dc.MaxInFlight
	}
	if dc.DisableAfter != nil {
		in.DisableAfter = *dc.DisableAfter
	}
	if dc.Ordering != nil {
		in.Ordering = *dc.Ordering
	}
	if req.Secret != nil {
		in.Secret = *req.Secret
	}
	return in
}

func (s *Server) listIntegrations(c *fiber.Ctx) error {
	limit, err := pageLimit(c)
	if err != nil {
		return err
	}
	list, err := s.store.ListIntegrations(c.UserContext(), teamID(c), c.Query("cursor"), limit)
	if err != nil {
		return err
	}
	views := make([]api.IntegrationView, len(list))
	for i, in := range list {
		views[i] = s.integrationView(in)
	}
	next := ""
	if len(list) == limit {
		next = list[len(list)-1].ID
	}
	return c.JSON(api.Page[api.IntegrationView]{Data: views, NextCursor: next})
}

func (s *Server) getIntegration(c *fiber.Ctx) error {
	in, err := s.pathIntegration(c)
	if err != nil {
		return err
	}
	return c.JSON(s.integrationView(in))
}

// pathIntegration loads the caller's team's integration named by :id (404
// when the team has none by that id).
func (s *Server) pathIntegration(c *fiber.Ctx) (store.Integration, error) {
	id := c.Params("id")
	in, err := s.store.GetIntegration(c.UserContext(), teamID(c), id)
	if errors.Is(err, store.ErrNotFound) {
		return in, notFoundProblem("integration", id)
	}
	return in, err
}

func (s *Server) updateIntegration(c *fiber.Ctx) error {
	var req api.IntegrationRequest
	if err := decodeJSON(c.Body(), &req); err != nil {
		return err
	}
	v, err := s.changeIntegration(c, req)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

// changeIntegration applies a change to the integration :id of the
// caller's team (the API's and the console's one path).
func (s *Server) changeIntegration(c *fiber.Ctx, req api.IntegrationRequest) (api.IntegrationView, error) {
	var none api.IntegrationView
	id := c.Params("id")
	if err := validateIntegration(&req, api.Updating, s.cfg); err != nil {
		return none, err
	}
	before, auth, err := s.checkChange(c, &req)
	if err != nil {
		return none, err
	}
	p := patchOf(req, auth)
	signing, err := s.requestedSigning(&req, before.Type, before.Secret)
	if err != nil {
		return none, err
	}
	if req.Signing != nil && !req.GenerateSecret && req.Secret == nil && signing != channels.SigningOf(before.Secret) {
		return none, at("signing", badRequest("changing \"signing\" needs a new key: POST /v1/integrations/%s/rotate-secret with {\"signing\": %q} (the old key keeps signing for the grace period), or send \"generateSecret\": true", id, signing))
	}
	if req.GenerateSecret {
		// A new key of the scheme asked for, else of the one in use.
		sec, err := channels.GenerateSecretFor(signing)
		if err != nil {
			return none, err
		}
		p.Secret = &sec
	}
	out, err := s.store.UpdateIntegration(c.UserContext(), teamID(c), id, p)
	if errors.Is(err, store.ErrNotFound) {
		return none, notFoundProblem("integration", id)
	}
	if err != nil {
		return none, err
	}
	// enabled goes through the same paths as /enable and /disable.
	switch {
	case req.Enabled == nil || *req.Enabled == out.Enabled:
	case *req.Enabled:
		out, err = s.enable(c, out)
	default:
		out, err = s.disable(c, out, "disabled through the API")
	}
	if err != nil {
		return none, err
	}
	var confirmation *contract.TestResult
	if req.URL != nil && *req.URL != before.URL {
		if out, confirmation, err = s.freshStart(c, out); err != nil {
			return none, err
		}
	}
	v := s.integrationView(out)
	v.Confirmation = confirmation
	if req.Name != nil {
		v.Warnings = s.nameWarning(c, out)
	}
	if req.Events != nil {
		v.Warnings = append(v.Warnings, s.patternWarnings(c, out.TeamID, out.Events)...)
	}
	if req.GenerateSecret {
		v.Secret = shownSecret(out.Secret)
	}
	if req.URL != nil {
		v.URL = out.URL
	}
	return v, nil
}

// checkChange checks a change against the integration it changes, read only
// when the change needs it: its settings and delivery control as merged, its
// new destination, its endpoint authentication (returned when changed).
func (s *Server) checkChange(c *fiber.Ctx, req *api.IntegrationRequest) (store.Integration, *channels.EndpointAuth, error) {
	var before store.Integration
	var err error
	patchesRetry := req.Retry != nil && *req.Retry != (retry.Override{})
	if req.URL != nil || req.Format != nil || req.Secret != nil || req.RateLimit != nil || req.MaxInFlight != nil || req.Ordering != nil || req.DisableAfter != nil ||
		req.Signing != nil || req.GenerateSecret || patchesRetry {
		if before, err = s.pathIntegration(c); err != nil {
			return before, nil, err
		}
		if patchesRetry {
			// Field by field, as rateLimit: the fields not sent stay.
			now := before.Retry.V.Patch(*req.Retry)
			if err := checkRetry(&now, s.cfg); err != nil {
				return before, nil, err
			}
			req.Retry = &now
		}
		if err := s.checkSettings(before.Type, merged(before, *req)); err != nil {
			return before, nil, err
		}
		if err := s.checkDeliveryControl(req, before.Type); err != nil {
			return before, nil, err
		}
	}
	if req.URL != nil {
		if err := s.checkDestination(c.UserContext(), "url", *req.URL); err != nil {
			return before, nil, err
		}
	}
	var auth *channels.EndpointAuth
	if req.HasAuth() {
		if before.ID == "" {
			if before, err = s.pathIntegration(c); err != nil {
				return before, nil, err
			}
		}
		a, err := s.checkAuth(c.UserContext(), before.Type, before.Auth, *req)
		if err != nil {
			return before, nil, err
		}
		auth = &a
	}
	return before, auth, nil
}

// patchOf is the store's patch of a checked change request.
func patchOf(req api.IntegrationRequest, auth *channels.EndpointAuth) store.IntegrationPatch {
	p := store.IntegrationPatch{Auth: auth, Name: req.Name, URL: req.URL, Secret: req.Secret,
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
	return p
}

// patternWarnings warns of the patterns that match no known event type
// (catalog.PatternWarnings): Herald's and the team's own.
func (s *Server) patternWarnings(c *fiber.Ctx, team string, patterns []string) []string {
	own, err := s.store.ListEventTypes(c.UserContext(), team)
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
func (s *Server) nameWarning(c *fiber.Ctx, in store.Integration) []string {
	w, err := s.store.IntegrationNameWarnings(c.UserContext(), in)
	if err != nil {
		s.log.Warn("look for integrations of the same name", "integration", in.ID, "error", err)
	}
	return w
}

// shownSecret is a new secret as its response shows it, once: an HMAC secret
// (the receiver needs it to verify); never an Ed25519 private key, which
// stays with Herald (the view's publicKey is what receivers need).
func shownSecret(secret string) string {
	if channels.SigningOf(secret) == channels.SigningEd25519 {
		return ""
	}
	return secret
}

// requestedSigning is the scheme a new key of the integration takes: the
// request's "signing", else the one of its current secret, else HMAC. Only a
// signed channel takes one, and a secret sent with it must be of it.
func (s *Server) requestedSigning(req *api.IntegrationRequest, typ herald.IntegrationType, current string) (channels.Signing, error) {
	if req.Signing == nil {
		if cur := channels.SigningOf(current); cur != channels.SigningNone {
			return cur, nil
		}
		return channels.SigningHMAC, nil
	}
	signing, err := channels.ParseSigning(*req.Signing)
	if err != nil {
		return signing, fieldf("signing", ": %s", err)
	}
	if !s.channels.TraitsOf(typ).Signed {
		return signing, fieldf("signing", ": %s integrations are not signed (they are authenticated by their URL)", typ)
	}
	if req.Secret != nil && *req.Secret != "" && channels.SigningOf(*req.Secret) != signing {
		return signing, fieldf("secret", ": not a %s key (ed25519 keys start with %s, HMAC secrets are anything else)", signing, channels.SigningKeyPrefix)
	}
	return signing, nil
}

// rotateSecret gives a webhook integration a new secret; the old one keeps
// signing (a second webhook-signature) for the grace period, so receivers
// can switch without missing a request.
func (s *Server) rotateSecret(c *fiber.Ctx) error {
	in, err := s.pathIntegration(c)
	if err != nil {
		return err
	}
	// The body may name the scheme of the new key ({"signing": "ed25519"}):
	// old and new both sign during the grace, so receivers can switch.
	var body api.IntegrationRequest
	if len(c.Body()) > 0 {
		if err := decodeJSON(c.Body(), &body); err != nil {
			return err
		}
	}
	out, err := s.rotate(c, in, body.Signing)
	if err != nil {
		return err
	}
	v := s.integrationView(out)
	v.Secret = shownSecret(out.Secret)
	resp := api.RotatedSecret{Integration: v, PreviousSecretExpiresAt: out.PreviousSecretExpiresAt}
	if v.Secret != "" {
		resp.Secret = v.Secret
	} else {
		resp.PublicKey = v.PublicKey
	}
	return c.JSON(resp)
}

// rotate gives in a new key of the scheme asked for (nil: the one in use);
// the old one signs beside it for the grace period.
func (s *Server) rotate(c *fiber.Ctx, in store.Integration, scheme *string) (store.Integration, error) {
	if !s.channels.TraitsOf(in.Type).Signed {
		return in, badRequest("only webhook integrations have secrets; %s integrations are authenticated by their URL", in.Type)
	}
	signing, err := s.requestedSigning(&api.IntegrationRequest{Signing: scheme}, in.Type, in.Secret)
	if err != nil {
		return in, err
	}
	sec, err := channels.GenerateSecretFor(signing)
	if err != nil {
		return in, err
	}
	return s.store.RotateSecret(c.UserContext(), in.TeamID, in.ID, sec, s.cfg.SecretRotationGrace)
}

func (s *Server) deleteIntegration(c *fiber.Ctx) error {
	id := c.Params("id")
	err := s.store.DeleteIntegration(c.UserContext(), teamID(c), id)
	if errors.Is(err, store.ErrNotFound) {
		return notFoundProblem("integration", id)
	}
	if err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// confirm sends an integration its welcome message (the seed does so for
// Discord; Herald for every channel that confirms) and says whether it
// arrived, with the integration as it stands after: a failed confirmation
// is a failed request, which makes it failing.
func (s *Server) confirm(c *fiber.Ctx, in store.Integration) (store.Integration, *contract.TestResult) {
	if !s.channels.TraitsOf(in.Type).Confirms || !in.Enabled {
		return in, nil
	}
	res, err := s.runTest(c, contract.TestInput{IntegrationID: in.ID, Confirmation: true})
	if err != nil {
		s.log.Warn("confirmation message", "integration", in.ID, "error", err)
		return in, &contract.TestResult{Outcome: herald.OutcomeRetry, Reason: "the confirmation could not be sent: the workflow service is unavailable"}
	}
	if !res.Delivered {
		if now, err := s.store.GetIntegration(c.UserContext(), in.TeamID, in.ID); err == nil {
			in = now
		}
	}
	return in, &res
}

func (s *Server) runTest(c *fiber.Ctx, in contract.TestInput) (contract.TestResult, error) {
	ctx, cancel := context.WithTimeout(c.UserContext(), s.cfg.AttemptTimeout+workflowCallTimeout)
	defer cancel()
	return contract.Test(ctx, s.temporal, s.cfg.TaskQueue, store.NewID("test"), in)
}

// testIntegration sends a test notification now and reports the outcome.
func (s *Server) testIntegration(c *fiber.Ctx) error {
	in, err := s.pathIntegration(c)
	if err != nil {
		return err
	}
	res, err := s.sendTest(c, in)
	if err != nil {
		return err
	}
	return c.JSON(res)
}

// sendTest sends an integration a test notification now (API and console)
// and records that it was asked for.
func (s *Server) sendTest(c *fiber.Ctx, in store.Integration) (contract.TestResult, error) {
	res, err := s.runTest(c, contract.TestInput{IntegrationID: in.ID})
	if err != nil {
		s.log.Error("test integration", "integration", in.ID, "error", err)
		return res, unavailable("the test could not be sent because the workflow service is unavailable")
	}
	s.recordAudit(c, store.Audit{TeamID: in.TeamID, Action: store.AuditIntegrationTest, ObjectType: store.ObjectIntegration, ObjectID: in.ID,
		Summary: map[string]any{"outcome": res.Outcome, "delivered": res.Delivered}})
	return res, nil
}

// integrationLimitProblem says a team at its bound of integrations as a
// 409, and other errors as they are.
func (s *Server) integrationLimitProblem(err error) error {
	if errors.Is(err, store.ErrTooMany) {
		return conflict("a team has at most %d integrations; delete one it no longer needs first (the operator sets the bound: HERALD_MAX_INTEGRATIONS)", s.cfg.MaxIntegrations)
	}
	return err
}

// checkDestination refuses a URL whose host is, or resolves to, an address
// deliveries may not reach. A host that does not resolve now is accepted: the
// guard at connect time is the one that counts.
func (s *Server) checkDestination(ctx context.Context, field, raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fieldf(field, ": not a valid URL")
	}
	port := uint16(443)
	if u.Scheme == "http" {
		port = 80
	}
	if p := u.Port(); p != "" {
		n, err := strconv.ParseUint(p, 10, 16)
		if err != nil {
			return fieldf(field, ": port %q is not a number from 0 to 65535", p)
		}
		port = uint16(n)
	}
	policy := s.cfg.DestinationPolicy()
	refuse := func(err error) error { return fieldf(field, ": %s", err) }
	if err := policy.CheckHost(u.Hostname(), port); err != nil {
		return refuse(err)
	}
	host, err := ssrf.ASCIIHost(u.Hostname())
	if err != nil {
		return refuse(err)
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	addrs, err := s.resolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil
	}
	for _, a := range addrs {
		if err := policy.Check(u.Hostname(), a, port); err != nil {
			return refuse(err)
		}
	}
	return nil
}

// checkAuth is the endpoint authentication an integration of type typ has
// after req changes cur: only signed channels (webhooks) take it, each part
// is checked by the channel's rules, and an OAuth token URL passes the same
// SSRF guard as the destination.
func (s *Server) checkAuth(ctx context.Context, typ herald.IntegrationType, cur channels.EndpointAuth, req api.IntegrationRequest) (channels.EndpointAuth, error) {
	if !req.HasAuth() {
		return cur, nil
	}
	if !s.channels.TraitsOf(typ).Signed {
		return cur, atRoot(badRequest("fields \"headers\", \"tls\" and \"oauth2\" apply to webhook integrations only (%s integrations are authenticated by their URL)", typ))
	}
	out := cur
	if req.Headers != nil {
		out.Headers = *req.Headers
	}
	if req.TLS != nil {
		out.TLS = req.TLS
		if *req.TLS == (channels.ClientTLS{}) {
			out.TLS = nil
		}
	}
	if req.OAuth2 != nil {
		out.OAuth2 = req.OAuth2
		if req.OAuth2.TokenURL == "" && req.OAuth2.ClientID == "" && req.OAuth2.ClientSecret == "" && len(req.OAuth2.Scopes) == 0 {
			out.OAuth2 = nil
		}
	}
	if err := fieldProblem(out.Validate(s.cfg.WebhookHeaderPrefix)); err != nil {
		return cur, err
	}
	if out.OAuth2 != nil && req.OAuth2 != nil {
		if err := s.checkDestination(ctx, "oauth2.tokenUrl", out.OAuth2.TokenURL); err != nil {
			return cur, err
		}
	}
	return out, nil
}

func isZeroPolicy(p *alerts.Policy) bool {
	return len(p.Patterns) == 0 && len(p.GroupBy) == 0 && p.GroupWait == nil && p.RepeatInterval == nil && p.Disabled == nil
}
