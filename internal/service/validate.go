package service

// The checks of an integration's settings: each refusal is a 400 naming the
// field (internal/problem).

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
	"unicode"
	"unicode/utf8"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/channels"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/eventtype"
	"github.com/heraldhq/herald/internal/pacing"
	"github.com/heraldhq/herald/internal/problem"
	"github.com/heraldhq/herald/internal/retry"
	"github.com/heraldhq/herald/internal/ssrf"
	"github.com/heraldhq/herald/internal/store"
)

// maxDisableAfter bounds an integration's disable threshold.
const maxDisableAfter = 1000

// maxInFlightCap bounds maxInFlight: beyond it the cap caps nothing.
const maxInFlightCap = 10_000

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
		return problem.Field("retry", ": %s", err)
	}
	return nil
}

// validate checks and normalizes the fields present; create requires the
// fields an integration cannot do without.
func ValidateRequest(r *api.IntegrationRequest, intent api.Intent, cfg *config.Config) error {
	if intent == api.Creating {
		switch {
		case r.Name == nil:
			return problem.Field("name", " is required")
		case r.Type == nil:
			return problem.Field("type", " is required (one of %v)", channels.Supported())
		case r.URL == nil:
			return problem.Field("url", " is required")
		case r.Events == nil:
			return problem.Field("events", " is required: a list of event types or patterns such as \"build:*\" or \"*\"")
		}
	} else if r.Type != nil {
		return problem.Field("type", " cannot be changed; create a new integration instead")
	}
	if r.Name != nil {
		n := strings.TrimSpace(*r.Name)
		if err := CheckText("name", n); err != nil {
			return err
		}
		if l := utf8.RuneCountInString(n); l < minNameLen || l > maxNameLen {
			return problem.Field("name", " must be %d to %d characters long", minNameLen, maxNameLen)
		}
		r.Name = &n
	}
	if r.Type != nil && !slices.Contains(channels.Supported(), herald.IntegrationType(*r.Type)) {
		return problem.Field("type", ": unknown integration type %q (supported: %v)", *r.Type, channels.Supported())
	}
	// The URL, format and secret are the channel's to check (settingsProblem).
	if r.Secret != nil && r.GenerateSecret {
		return problem.At("generateSecret", problem.BadRequest("send either \"secret\" or \"generateSecret\", not both"))
	}
	if r.Events != nil {
		pats, err := NormalizePatterns(*r.Events)
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
			return problem.Field("alertPolicy", ": %s", err)
		}
	}
	if err := checkRetry(r.Retry, cfg); err != nil {
		return err
	}
	if r.Projects != nil {
		if len(*r.Projects) > maxProjects {
			return problem.Field("projects", " lists more than %d projects", maxProjects)
		}
		out := []string{}
		for _, p := range *r.Projects {
			p = strings.TrimSpace(p)
			if err := CheckProjectID("projects", p); err != nil {
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

func NormalizePatterns(in []string) ([]string, error) {
	if len(in) == 0 {
		return nil, problem.Field("events", " must list at least one event type or pattern (\"*\" for all)")
	}
	if len(in) > maxPatterns {
		return nil, problem.Field("events", " lists more than %d patterns", maxPatterns)
	}
	out := make([]string, 0, len(in))
	for i, p := range in {
		n, err := eventtype.NormalizePattern(strings.TrimSpace(p))
		if err != nil {
			return nil, problem.At(fmt.Sprintf("events.%d", i), problem.BadRequest("field \"events\": %s", err))
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out, nil
}

// checkSettings has the integration's channel check its URL, format and
// secret: every per-channel rule lives with the channel.
func (s *Service) checkSettings(t herald.IntegrationType, set channels.Settings) error {
	return fieldProblem(s.channels.Validate(t, set))
}

// fieldProblem is a channel's refusal of a field as a 400 naming it (other
// errors as they are).
func fieldProblem(err error) error {
	var fe *channels.FieldError
	if errors.As(err, &fe) {
		return problem.At(fe.Field, problem.BadRequest("%s", fe))
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

// checkDeliveryControl checks rateLimit, maxInFlight and ordering against
// the channel of type t (its default rate is what an override changes).
func (s *Service) checkDeliveryControl(r *api.IntegrationRequest, t herald.IntegrationType) error {
	if r.RateLimit != nil && *r.RateLimit != (pacing.Override{}) {
		if _, err := r.RateLimit.Apply(s.channels.TraitsOf(t).Rate); err != nil {
			var fe *pacing.FieldError
			if errors.As(err, &fe) {
				return problem.Field(fe.Field, ": %s", fe.Problem)
			}
			return problem.Field("rateLimit", ": %s", err)
		}
	}
	if r.MaxInFlight != nil && (*r.MaxInFlight < 1 || *r.MaxInFlight > maxInFlightCap) {
		return problem.Field("maxInFlight", " must be from 1 to %d", maxInFlightCap)
	}
	if r.DisableAfter != nil && (*r.DisableAfter < 0 || *r.DisableAfter > maxDisableAfter) {
		return problem.Field("disableAfter", " must be from 1 to %d failed deliveries in a row, or 0 for the server's default", maxDisableAfter)
	}
	if r.Ordering != nil && !r.Ordering.Known() {
		return problem.Field("ordering", " must be %q or %q, not %q", herald.OrderingNone, herald.OrderingFIFO, *r.Ordering)
	}
	return nil
}

// requestedSigning is the scheme a new key of the integration takes: the
// request's "signing", else the one of its current secret, else HMAC. Only a
// signed channel takes one, and a secret sent with it must be of it.
func (s *Service) requestedSigning(req *api.IntegrationRequest, typ herald.IntegrationType, current string) (channels.Signing, error) {
	if req.Signing == nil {
		if cur := channels.SigningOf(current); cur != channels.SigningNone {
			return cur, nil
		}
		return channels.SigningHMAC, nil
	}
	signing, err := channels.ParseSigning(*req.Signing)
	if err != nil {
		return signing, problem.Field("signing", ": %s", err)
	}
	if !s.channels.TraitsOf(typ).Signed {
		return signing, problem.Field("signing", ": %s integrations are not signed (they are authenticated by their URL)", typ)
	}
	if req.Secret != nil && *req.Secret != "" && channels.SigningOf(*req.Secret) != signing {
		return signing, problem.Field("secret", ": not a %s key (ed25519 keys start with %s, HMAC secrets are anything else)", signing, channels.SigningKeyPrefix)
	}
	return signing, nil
}

// checkDestination refuses a URL whose host is, or resolves to, an address
// deliveries may not reach. A host that does not resolve now is accepted: the
// guard at connect time is the one that counts.
func (s *Service) checkDestination(ctx context.Context, field, raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return problem.Field(field, ": not a valid URL")
	}
	port := uint16(443)
	if u.Scheme == "http" {
		port = 80
	}
	if p := u.Port(); p != "" {
		n, err := strconv.ParseUint(p, 10, 16)
		if err != nil {
			return problem.Field(field, ": port %q is not a number from 0 to 65535", p)
		}
		port = uint16(n)
	}
	policy := s.cfg.DestinationPolicy()
	refuse := func(err error) error { return problem.Field(field, ": %s", err) }
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
func (s *Service) checkAuth(ctx context.Context, typ herald.IntegrationType, cur channels.EndpointAuth, req api.IntegrationRequest) (channels.EndpointAuth, error) {
	if !req.HasAuth() {
		return cur, nil
	}
	if !s.channels.TraitsOf(typ).Signed {
		return cur, problem.AtRoot(problem.BadRequest("fields \"headers\", \"tls\" and \"oauth2\" apply to webhook integrations only (%s integrations are authenticated by their URL)", typ))
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

// checkText refuses what Postgres cannot store or a log line or header should
// not carry: invalid UTF-8 and control characters (NUL, CR, LF, …).
func CheckText(field, v string) error {
	if !utf8.ValidString(v) {
		return problem.Field(field, " is not valid UTF-8")
	}
	for _, r := range v {
		if unicode.IsControl(r) {
			return problem.Field(field, " must not hold control characters (found %U)", r)
		}
	}
	return nil
}

// checkProjectID: a project id, in an event or an integration's project
// list, is 1 to maxProjectLen bytes of text without control characters. An
// event's becomes the HeraldProjectId search attribute, which Temporal bounds.
func CheckProjectID(field, id string) error {
	if id == "" || len(id) > maxProjectLen {
		return problem.Field(field, ": a project id must be 1 to %d bytes; this one is %d", maxProjectLen, len(id))
	}
	return CheckText(field, id)
}
