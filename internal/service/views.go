package service

import (
	"time"

	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/channels"
	"github.com/heraldhq/herald/internal/pacing"
	"github.com/heraldhq/herald/internal/redact"
	"github.com/heraldhq/herald/internal/store"
)

// An integration as the API and the console show it: secrets masked, the
// rate, retry schedule and in-flight cap in force.

func (s *Service) IntegrationView(i store.Integration) api.IntegrationView {
	p, err := i.Retry.V.Apply(s.cfg.Retry)
	if err != nil {
		p = s.cfg.Retry
	}
	h := i.Health()
	v := api.IntegrationView{
		// The URL is shown whole only in the response that set it: chat
		// webhook URLs are credentials, and webhook URLs often carry tokens.
		ID: i.ID, Name: i.Name, Type: i.Type, URL: redact.URL(i.URL), HasSecret: i.Secret != "",
		Events: i.Events, Projects: i.Projects, Enabled: i.Enabled,
		Health: api.HealthView{Status: h.Status(), FirstFailedAt: i.FirstFailedAt, FailedRequests: i.FailedRequests,
			ConsecutiveFailures: i.ConsecutiveFailures, DisabledReason: i.DisabledReason,
			DisabledAt: i.DisabledAt, DisabledBy: i.DisabledBy,
			DisableAfter: i.DisableThreshold(s.cfg.DisableAfter), DisableNotice: i.DisableNotice()},
		Retry: api.RetryView{MaxAttempts: p.MaxAttempts, InitialInterval: p.InitialInterval.String(),
			MaxInterval: p.MaxInterval.String(), BackoffCoefficient: p.BackoffCoefficient, Custom: i.Retry.V != nil},
		AutoRecover: i.AutoRecover, Format: i.Format, Channel: i.Channel, AlertPolicy: i.AlertPolicy.V,
		RateLimit: rateLimitView(s.rateOf(i), i.RateLimit.V), MaxInFlight: s.maxInFlightOf(i),
		Ordering:  i.Ordering.OrNone(),
		CreatedAt: i.CreatedAt, UpdatedAt: i.UpdatedAt,
		Signing: string(channels.SigningOf(i.Secret)), PublicKey: channels.PublicKey(i.Secret),
		PreviousPublicKey: previousPublicKey(i, time.Now()),
		Headers:           maskedHeaders(i.Auth.Headers),
		Filter:            i.Filter, Template: i.Template.V, Transform: i.Transform,
	}
	if t := i.Auth.TLS; t != nil {
		sum := t.Summary()
		v.TLS = &sum
	}
	if o := i.Auth.OAuth2; o != nil {
		v.OAuth2 = &api.OAuth2View{TokenURL: redact.URL(o.TokenURL), ClientID: o.ClientID, Scopes: o.Scopes, HasClientSecret: o.ClientSecret != ""}
	}
	return v
}

// maskedHeaders are custom headers as views show them: names, no values.
func maskedHeaders(h map[string]string) map[string]string {
	if len(h) == 0 {
		return nil
	}
	out := make(map[string]string, len(h))
	for k := range h {
		out[k] = redact.Mask
	}
	return out
}

// previousPublicKey is the public key of a rotated-out Ed25519 key that still
// signs ("" once its grace ended, or for any other secret).
func previousPublicKey(i store.Integration, now time.Time) string {
	if i.PreviousSecretExpiresAt == nil || !now.Before(*i.PreviousSecretExpiresAt) {
		return ""
	}
	return channels.PublicKey(i.PreviousSecret)
}

// rateOf is an integration's send rate in force: its override of its
// channel's default.
func (s *Service) rateOf(i store.Integration) pacing.Limit {
	base := s.channels.TraitsOf(i.Type).Rate
	l, err := i.RateLimit.V.Apply(base)
	if err != nil {
		return base
	}
	return l
}

func (s *Service) maxInFlightOf(i store.Integration) int {
	if i.MaxInFlight != nil {
		return *i.MaxInFlight
	}
	return s.channels.TraitsOf(i.Type).MaxInFlight
}

// rateLimitView is the rate in force, l; custom when the integration's own
// override set it.
func rateLimitView(l pacing.Limit, override *pacing.Override) api.RateLimitView {
	custom := override != nil
	if l.Unlimited() {
		return api.RateLimitView{Unlimited: true, Custom: custom}
	}
	return api.RateLimitView{Count: l.Count, Per: l.Per.String(), Burst: l.Burst, Custom: custom}
}

// shownSecret is a new secret as its response shows it, once: an HMAC secret
// (the receiver needs it to verify); never an Ed25519 private key, which
// stays with Herald (the view's publicKey is what receivers need).
func ShownSecret(secret string) string {
	if channels.SigningOf(secret) == channels.SigningEd25519 {
		return ""
	}
	return secret
}

func EventView(ev store.Event, ds []store.Delivery) api.EventView {
	v := api.EventView{ID: ev.ID, Event: ev.Type, ProjectID: ev.ProjectID, Data: ev.Data,
		WorkflowID: ev.WorkflowID, ReceivedAt: ev.ReceivedAt}
	if f := ev.Filtered.V; f != nil {
		for _, x := range *f {
			v.Filtered = append(v.Filtered, api.FilteredView(x))
		}
	}
	if ds != nil {
		v.Deliveries = make([]api.DeliveryView, len(ds))
		for i, d := range ds {
			v.Deliveries[i] = DeliveryView(d)
		}
	}
	return v
}

func DeliveryView(d store.Delivery) api.DeliveryView {
	return api.DeliveryView{
		ID: d.ID, EventID: d.EventID, EventType: d.EventType, IntegrationID: d.IntegrationID, IntegrationName: d.IntegrationName,
		IntegrationType: d.IntegrationType, Status: d.Status, Reason: d.Reason, Attempts: d.AttemptCount,
		LastStatusCode: d.LastStatusCode, LastAttemptAt: d.LastAttemptAt, NextAttemptAt: d.NextAttemptAt,
		CreatedAt: d.CreatedAt, CompletedAt: d.CompletedAt, CarrierDeliveryID: d.CarrierDeliveryID,
		WaitingFor: d.WaitingFor, OutOfOrder: d.OutOfOrder,
	}
}

func AttemptView(a store.Attempt) api.AttemptView {
	v := api.AttemptView{
		AttemptNo: a.AttemptNo, Trigger: a.Trigger, Outcome: a.Outcome, Reason: a.Reason, StartedAt: a.StartedAt,
		DurationMS: a.DurationMS, Error: a.Error, RetryAfterMS: a.RetryAfterMS,
		Request: api.RequestView{Method: a.RequestMethod, URL: redact.URL(a.RequestURL), Headers: a.RequestHeaders, Body: a.RequestBody},
	}
	if a.ResponseStatus != nil {
		v.Response = &api.ResponseView{Status: *a.ResponseStatus, Headers: a.ResponseHeaders,
			Body: a.ResponseBody, BodyTruncated: a.ResponseBodyTruncated}
	}
	return v
}
