// Package api holds Herald's HTTP API on the wire: the request bodies, the
// views and pages it answers with, and RFC 9457 problem details. The gateway
// serves them, and the CLI and the tests decode them, without importing the
// gateway server.
package api

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/alerts"
	"github.com/heraldhq/herald/internal/channels"
	"github.com/heraldhq/herald/internal/chattemplate"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/internal/pacing"
	"github.com/heraldhq/herald/internal/retry"
)

// Intent says whether a request makes a thing or changes one: a create
// requires what an update may leave out.
type Intent int

// Intents.
const (
	Creating Intent = iota + 1
	Updating
)

// AcceptedState is where an event stands that its workflow has not recorded yet.
type AcceptedState string

// Accepted states: its workflow started; waiting in the outbox for its
// start; or set aside, refused by Temporal (Error says why).
const (
	AcceptedStarted AcceptedState = "accepted"
	AcceptedQueued  AcceptedState = "queued"
	AcceptedFailed  AcceptedState = "failed"
)

// Page is a list response with an opaque cursor for the next page.
type Page[T any] struct {
	Data       []T    `json:"data"`
	NextCursor string `json:"nextCursor,omitempty"`
}

// IntegrationView is an integration as the API shows it.
type IntegrationView struct {
	ID   string                 `json:"id"`
	Name string                 `json:"name"`
	Type herald.IntegrationType `json:"type"`
	// URL is masked (redact.URL) except in the response that created or changed it.
	URL       string `json:"url"`
	HasSecret bool   `json:"hasSecret"`
	// Signing is the webhook's signature scheme (hmac or ed25519; empty:
	// unsigned); PublicKey its Ed25519 public key (whpk_…), and
	// PreviousPublicKey the one that still signs during a rotation's grace.
	Signing           string `json:"signing,omitempty"`
	PublicKey         string `json:"publicKey,omitempty"`
	PreviousPublicKey string `json:"previousPublicKey,omitempty"`
	// Secret is filled only in the response that created or regenerated it.
	Secret      string     `json:"secret,omitempty"`
	Events      []string   `json:"events"`
	Projects    []string   `json:"projects"`
	Enabled     bool       `json:"enabled"`
	Health      HealthView `json:"health"`
	Retry       RetryView  `json:"retry"`
	AutoRecover bool       `json:"autoRecover"`
	Format      string     `json:"format,omitempty"`
	Channel     string     `json:"channel,omitempty"`
	// AlertPolicy is the integration's override of the team's alert policy.
	AlertPolicy *alerts.Policy `json:"alertPolicy,omitempty"`
	// RateLimit is the send rate in force; MaxInFlight the cap on
	// concurrent requests (0: none); Ordering none or fifo.
	RateLimit   RateLimitView   `json:"rateLimit"`
	MaxInFlight int             `json:"maxInFlight"`
	Ordering    herald.Ordering `json:"ordering"`
	// Headers are the custom headers' names, their values masked; TLS
	// describes the client certificate; OAuth2 the grant (webhooks).
	Headers map[string]string     `json:"headers,omitempty"`
	TLS     *channels.CertSummary `json:"tls,omitempty"`
	OAuth2  *OAuth2View           `json:"oauth2,omitempty"`
	// Filter, Template and Transform shape what it gets (docs/routing.md).
	Filter    string             `json:"filter,omitempty"`
	Template  *chattemplate.Spec `json:"template,omitempty"`
	Transform string             `json:"transform,omitempty"`
	// Confirmation says whether the welcome message of a new chat integration arrived.
	Confirmation *contract.TestResult `json:"confirmation,omitempty"`
	// Warnings are said once, in the answer that made or renamed it (another
	// integration of the team has that name: name it by id).
	Warnings  []string  `json:"warnings,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// HealthView is an integration's health (the seed's status).
type HealthView struct {
	Status herald.Health `json:"status"`
	// FirstFailedAt and FailedRequests describe failed requests since the last success.
	FirstFailedAt  *time.Time `json:"firstFailedAt,omitempty"`
	FailedRequests int        `json:"failedRequests"`
	// ConsecutiveFailures counts failed deliveries since the last success.
	ConsecutiveFailures int        `json:"consecutiveFailures"`
	DisabledReason      string     `json:"disabledReason,omitempty"`
	DisabledAt          *time.Time `json:"disabledAt,omitempty"`
	DisabledBy          string     `json:"disabledBy,omitempty"`
	// DisableAfter is the threshold of failed deliveries in a row in force.
	DisableAfter int `json:"disableAfter"`
	// DisableNotice says, for a disabled integration, whom the notice of it
	// (integration:disabled) reached, or that it reached no one.
	DisableNotice string `json:"disableNotice,omitempty"`
}

// RetryView is the retry schedule in force.
type RetryView struct {
	MaxAttempts        int     `json:"maxAttempts"`
	InitialInterval    string  `json:"initialInterval"`
	MaxInterval        string  `json:"maxInterval"`
	BackoffCoefficient float64 `json:"backoffCoefficient"`
	// Custom is true when the integration overrides the default.
	Custom bool `json:"custom"`
}

// RateLimitView is an integration's send rate in force.
type RateLimitView struct {
	// Unlimited: no pacing (count, per and burst are then absent).
	Unlimited bool   `json:"unlimited,omitempty"`
	Count     int    `json:"count,omitempty"`
	Per       string `json:"per,omitempty"`
	Burst     int    `json:"burst,omitempty"`
	// Custom is true when the integration overrides its channel's default.
	Custom bool `json:"custom"`
}

// EventView is an event as the API shows it.
type EventView struct {
	ID         string          `json:"id"`
	Event      string          `json:"event"`
	ProjectID  string          `json:"projectId,omitempty"`
	Data       json.RawMessage `json:"data"`
	WorkflowID string          `json:"workflowId"`
	ReceivedAt time.Time       `json:"receivedAt"`
	// Outcome sums up its deliveries (lists): none (nothing subscribed),
	// delivering, delivered, partial, failed or skipped; Counts by outcome.
	Outcome    string         `json:"outcome,omitempty"`
	Counts     *EventCounts   `json:"counts,omitempty"`
	Deliveries []DeliveryView `json:"deliveries,omitempty"`
	// Filtered are the integrations its type and project matched whose
	// filters turned it away, each with why (GET /v1/events/{id}).
	Filtered []FilteredView `json:"filtered,omitempty"`
}

// FilteredView is an integration whose filter turned an event away.
type FilteredView struct {
	IntegrationID   string `json:"integrationId"`
	IntegrationName string `json:"integrationName"`
	Reason          string `json:"reason"`
}

// EventCounts counts an event's deliveries by where they stand.
type EventCounts struct {
	Total      int `json:"total"`
	Delivered  int `json:"delivered"`
	Failed     int `json:"failed"`
	InProgress int `json:"inProgress"`
	Skipped    int `json:"skipped"`
}

// DeliveryView is a delivery as the API shows it; AttemptLog only on GET /v1/deliveries/{id}.
type DeliveryView struct {
	ID              string                 `json:"id"`
	EventID         string                 `json:"eventId"`
	EventType       string                 `json:"eventType,omitempty"`
	IntegrationID   string                 `json:"integrationId"`
	IntegrationName string                 `json:"integrationName"`
	IntegrationType herald.IntegrationType `json:"integrationType"`
	Status          herald.DeliveryStatus  `json:"status"`
	Reason          string                 `json:"reason,omitempty"`
	Attempts        int                    `json:"attempts"`
	LastStatusCode  *int                   `json:"lastStatusCode,omitempty"`
	LastAttemptAt   *time.Time             `json:"lastAttemptAt,omitempty"`
	NextAttemptAt   *time.Time             `json:"nextAttemptAt,omitempty"`
	CreatedAt       time.Time              `json:"createdAt"`
	CompletedAt     *time.Time             `json:"completedAt,omitempty"`
	// CarrierDeliveryID is the alert group message that carried a grouped alert.
	CarrierDeliveryID *string `json:"carrierDeliveryId,omitempty"`
	// WaitingFor says what holds the next attempt back until nextAttemptAt:
	// "slot" (the integration's rate), "turn" (an earlier delivery of a fifo
	// integration) or "in-flight" (its cap on concurrent requests).
	WaitingFor contract.WaitingFor `json:"waitingFor,omitempty"`
	// OutOfOrder: it went before an earlier delivery of a fifo integration
	// that waited past the head-of-line limit.
	OutOfOrder bool          `json:"outOfOrder,omitempty"`
	AttemptLog []AttemptView `json:"attemptLog,omitempty"`
}

// RequestView is the request an attempt sent.
type RequestView struct {
	Method  string              `json:"method"`
	URL     string              `json:"url"`
	Headers map[string][]string `json:"headers"`
	Body    string              `json:"body"`
}

// ResponseView is the answer an attempt got.
type ResponseView struct {
	Status        int                 `json:"status"`
	Headers       map[string][]string `json:"headers"`
	Body          string              `json:"body"`
	BodyTruncated bool                `json:"bodyTruncated,omitempty"`
}

// AttemptView is one attempt as the API shows it.
type AttemptView struct {
	AttemptNo    int            `json:"attemptNo"`
	Trigger      herald.Trigger `json:"trigger"`
	Outcome      herald.Outcome `json:"outcome"`
	Reason       string         `json:"reason"`
	StartedAt    time.Time      `json:"startedAt"`
	DurationMS   int            `json:"durationMs"`
	Request      RequestView    `json:"request"`
	Response     *ResponseView  `json:"response"`
	Error        string         `json:"error,omitempty"`
	RetryAfterMS *int64         `json:"retryAfterMs,omitempty"`
}

// KeyView is an API key as the API shows it: never the key itself, except
// Key in the response that created it.
type KeyView struct {
	ID        string     `json:"id"`
	TeamID    string     `json:"teamId"`
	Name      string     `json:"name"`
	Prefix    string     `json:"prefix"`
	Scopes    []string   `json:"scopes"`
	CreatedAt time.Time  `json:"createdAt"`
	RevokedAt *time.Time `json:"revokedAt,omitempty"`
	Key       string     `json:"key,omitempty"`
}

// AlertPolicyView is a team's alert policy with every field in force.
type AlertPolicyView struct {
	Patterns       []string `json:"patterns"`
	GroupBy        []string `json:"groupBy"`
	GroupWait      string   `json:"groupWait"`
	RepeatInterval string   `json:"repeatInterval"`
	// Disabled: chat integrations deliver every alert at once.
	Disabled bool `json:"disabled"`
	// WebhooksGrouped: webhook integrations group alerts too (they pass each
	// alert through unless the team or the integration sets disabled: false).
	WebhooksGrouped bool `json:"webhooksGrouped"`
	// Custom is false while the team uses the defaults.
	Custom bool `json:"custom"`
}

type EventRequest struct {
	ID    *string         `json:"id"`
	Event string          `json:"event"`
	Data  json.RawMessage `json:"data"`
}

// EventBatchRequest is POST /v1/events/batch: up to 100 events.
type EventBatchRequest struct {
	Events []EventRequest `json:"events"`
}

// PreviewRequest is POST /v1/integrations/{id}/preview (an event given by
// type and data, or a past one by id) and POST /v1/integrations/preview,
// which also carries the integration's settings as a create body.
type PreviewRequest struct {
	Integration *IntegrationRequest `json:"integration"`
	Event       string              `json:"event"`
	Data        json.RawMessage     `json:"data"`
	EventID     string              `json:"eventId"`
}

// Preview is the request Herald would send an integration for an event,
// secrets masked; nothing is sent, recorded or audited. Matched says whether
// the event would reach it at all (type, project, filter), Reason why not.
type Preview struct {
	Matched bool        `json:"matched"`
	Reason  string      `json:"reason,omitempty"`
	Request RequestView `json:"request"`
}

// RotatedSecret answers POST /v1/integrations/{id}/rotate-secret: the new
// secret (HMAC) or public key (Ed25519), shown once, and until when the
// previous one keeps signing.
type RotatedSecret struct {
	Integration             IntegrationView `json:"integration"`
	PreviousSecretExpiresAt *time.Time      `json:"previousSecretExpiresAt"`
	Secret                  string          `json:"secret,omitempty"`
	PublicKey               string          `json:"publicKey,omitempty"`
}

// BatchResult is one event's fate in a batch: accepted, or a problem.
type BatchResult struct {
	// Accepted: what a single event's 202 says (absent with a problem).
	Accepted
	Status  int      `json:"status"`
	Problem *Problem `json:"problem,omitempty"`
}

// Problem is an RFC 9457 problem detail. Handlers return it as an error.
type Problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
	// Errors point at what in the request is wrong, where one place is
	// (an event's data that does not match its type's schema).
	Errors []ProblemError `json:"errors,omitempty"`
	// RetryAfter, when set, is sent as the Retry-After header (seconds).
	RetryAfter int `json:"-"`
	// SchemaMismatch: an event's data does not match its type's schema
	// (counted apart from other invalid events).
	SchemaMismatch bool `json:"-"`
}

// ProblemError is one thing wrong in a request: Pointer is the RFC 6901
// JSON pointer into the request body ("/data/build/id").
type ProblemError struct {
	Pointer string `json:"pointer"`
	Detail  string `json:"detail"`
}

type IntegrationRequest struct {
	Name           *string `json:"name"`
	Type           *string `json:"type"`
	URL            *string `json:"url"`
	Secret         *string `json:"secret"`
	GenerateSecret bool    `json:"generateSecret"`
	// Signing (webhooks): "hmac" (a whsec_ secret, the default) or "ed25519"
	// (a whsk_ key Herald keeps; receivers verify with its public key).
	Signing  *string   `json:"signing"`
	Events   *[]string `json:"events"`
	Projects *[]string `json:"projects"`
	Enabled  *bool     `json:"enabled"`
	// Retry overrides the default schedule field by field; {} restores the default.
	Retry       *retry.Override `json:"retry"`
	AutoRecover *bool           `json:"autoRecover"`
	// Format (Teams only): adaptive-card, message-card, or auto (by URL).
	Format *string `json:"format"`
	// AlertPolicy overrides the team's alert policy for this integration; {} removes the override.
	AlertPolicy *alerts.Policy `json:"alertPolicy"`
	// RateLimit overrides the channel's send rate field by field ({"count":
	// N, "per": "1s", "burst": B}); {"off": true} removes pacing; {}
	// restores the channel's default.
	RateLimit *pacing.Override `json:"rateLimit"`
	// MaxInFlight caps the requests in flight at once (1 to 10,000).
	MaxInFlight *int `json:"maxInFlight"`
	// DisableAfter is how many failed deliveries in a row disable it (1 to
	// 1,000; 0: the server's HERALD_DISABLE_AFTER).
	DisableAfter *int `json:"disableAfter"`
	// Ordering is "none" or "fifo" (attempts in the order events arrived).
	Ordering *herald.Ordering `json:"ordering"`
	// Endpoint authentication (webhooks), each a secret stored sealed:
	// Headers replaces the custom headers ({} removes them); TLS is a client
	// certificate for mutual TLS ({} removes it); OAuth2 a client-credentials
	// grant whose token is sent as Authorization: Bearer ({} removes it).
	Headers *map[string]string  `json:"headers"`
	TLS     *channels.ClientTLS `json:"tls"`
	OAuth2  *channels.OAuth2    `json:"oauth2"`
	// Filter is a CEL expression over event, data and project that an
	// event must pass after its type and project matched ("" removes it).
	Filter *string `json:"filter"`
	// Template shapes chat messages (Slack, Discord, Teams): title and text
	// in Go template syntax, every action's output escaped for the
	// platform ({} removes it).
	Template *chattemplate.Spec `json:"template"`
	// Transform (webhooks) is a CEL expression yielding the body, an object
	// ("" removes it).
	Transform *string `json:"transform"`
}

// HasAuth says whether the request sets any endpoint authentication.
func (r IntegrationRequest) HasAuth() bool {
	return r.Headers != nil || r.TLS != nil || r.OAuth2 != nil
}

// OAuth2View is an OAuth 2.0 grant as views show it: never the client secret.
type OAuth2View struct {
	TokenURL        string   `json:"tokenUrl"`
	ClientID        string   `json:"clientId"`
	Scopes          []string `json:"scopes,omitempty"`
	HasClientSecret bool     `json:"hasClientSecret"`
}

// CLIUserAgent is the User-Agent of the CLI's requests (the audit log says
// a change came through the CLI); CLIUserAgentPrefix recognises it.
const (
	CLIUserAgentPrefix = "herald-cli/"
	CLIUserAgent       = CLIUserAgentPrefix + "1"
)

// AuditView is one entry of a team's audit log: who changed what, when, and
// a summary of the change (never a secret value).
type AuditView struct {
	ID     string    `json:"id"`
	At     time.Time `json:"at"`
	Action string    `json:"action"`
	Object struct {
		Type string `json:"type"`
		ID   string `json:"id"`
	} `json:"object"`
	Actor struct {
		// Kind is key (a person or program with an API key), herald (Herald
		// itself) or database (the CLI's bootstrap on the database).
		Kind string `json:"kind"`
		ID   string `json:"id,omitempty"`
		Name string `json:"name,omitempty"`
		// Via is api, console, cli or herald.
		Via string `json:"via,omitempty"`
	} `json:"actor"`
	Summary json.RawMessage `json:"summary"`
}

// AuditQuery filters GET /v1/audit.
type AuditQuery struct {
	Object, Actor, Action, Cursor string
	Limit                         int
}

type BulkResendRequest struct {
	Status string `json:"status"`
	Since  string `json:"since"`
}

// ReplayRequest is POST /v1/integrations/{id}/replay: the team's past
// events received in [since, until) (until: now when empty), of the types
// in events when given, re-delivered to the integration; again also
// delivers what it had already.
type ReplayRequest struct {
	Since  string   `json:"since"`
	Until  string   `json:"until"`
	Events []string `json:"events"`
	Again  bool     `json:"again"`
}

// ReplayStatus is where a replay stands.
type ReplayStatus string

// Replay statuses.
const (
	ReplayRunning   ReplayStatus = "running"
	ReplayDone      ReplayStatus = "done"
	ReplayCancelled ReplayStatus = "cancelled"
	ReplayFailed    ReplayStatus = "failed"
)

// ReplayView is a replay: of Total past events its integration takes, Done
// were gone through and Started of them given a delivery (the others it
// had already, or its filter turned away).
type ReplayView struct {
	ID         string       `json:"id"`
	WorkflowID string       `json:"workflowId"`
	Status     ReplayStatus `json:"status"`
	Total      int          `json:"total"`
	Done       int          `json:"done"`
	Started    int          `json:"started"`
}

// IntegrationStats is GET /v1/integrations/{id}/stats: an integration's
// attempts in a window (24h or 7d) by outcome, its success rate
// (delivered ÷ attempts), attempt latency percentiles and a series of
// buckets (hourly for 24h, daily for 7d), oldest first.
type IntegrationStats struct {
	Window      string                   `json:"window"`
	From        time.Time                `json:"from"`
	To          time.Time                `json:"to"`
	Attempts    int64                    `json:"attempts"`
	Outcomes    map[herald.Outcome]int64 `json:"outcomes"`
	SuccessRate *float64                 `json:"successRate"`
	// LatencyMs are percentiles of the attempts' durations, from a
	// log-scale histogram (each within 19 % above the true value).
	LatencyMs LatencyView   `json:"latencyMs"`
	Series    []StatsBucket `json:"series"`
}

// LatencyView holds attempt latency percentiles in milliseconds (absent:
// no attempts).
type LatencyView struct {
	P50 *int `json:"p50"`
	P95 *int `json:"p95"`
}

// StatsBucket is one bucket of the series.
type StatsBucket struct {
	Start     time.Time `json:"start"`
	Attempts  int64     `json:"attempts"`
	Delivered int64     `json:"delivered"`
}

type DisableRequest struct {
	Reason string `json:"reason"`
}

func (p *Problem) Error() string { return fmt.Sprintf("%d %s: %s", p.Status, p.Title, p.Detail) }

// TeamView is a team.
type TeamView struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"createdAt"`
	// Warnings are said once, when it was made (another team of that name).
	Warnings []string `json:"warnings,omitempty"`
}

// TeamSettingsView is the caller's team with what it sets for itself.
type TeamSettingsView struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"createdAt"`
	// ValidateData: events whose data does not match their type's schema
	// (GET /v1/event-types) are refused with 400.
	ValidateData bool `json:"validateData"`
}

// TeamSettingsRequest changes the caller's team (absent: unchanged).
type TeamSettingsRequest struct {
	ValidateData *bool `json:"validateData"`
}

// EventTypeView is an event type of the catalog: Herald's own (builtIn) or
// the team's.
type EventTypeView struct {
	Name        string `json:"name"`
	Category    string `json:"category"`
	Description string `json:"description"`
	// Schema is the JSON Schema (2020-12) of the event's data.
	Schema json.RawMessage `json:"schema"`
	// Example is an event body of this type ({"event", "data"}), when known.
	Example   json.RawMessage `json:"example,omitempty"`
	BuiltIn   bool            `json:"builtIn"`
	CreatedAt *time.Time      `json:"createdAt,omitempty"`
	UpdatedAt *time.Time      `json:"updatedAt,omitempty"`
}

// EventTypeRequest registers (POST) or changes (PATCH: absent fields
// unchanged; "example": null removes it) a team's event type. Example is the
// data of an example event, checked against the schema.
type EventTypeRequest struct {
	Name        *string         `json:"name"`
	Description *string         `json:"description"`
	Schema      json.RawMessage `json:"schema"`
	Example     json.RawMessage `json:"example"`
}

// TeamRequest creates a team.
type TeamRequest struct {
	Name string `json:"name"`
}

// KeyRequest creates an API key.
type KeyRequest struct {
	TeamID string   `json:"teamId"`
	Name   string   `json:"name"`
	Scopes []string `json:"scopes"`
}

// Accepted answers POST /v1/events: the event and its workflow. Queued: the
// event is in the outbox; its workflow starts shortly.
type Accepted struct {
	ID         string `json:"id,omitempty"`
	WorkflowID string `json:"workflowId,omitempty"`
	Queued     bool   `json:"queued,omitempty"`
	// Duplicate: this id was received before; nothing new is delivered.
	// BodyDiffers says whether this body differed from the one kept (absent
	// while the first is not recorded yet).
	Duplicate   bool  `json:"duplicate,omitempty"`
	BodyDiffers *bool `json:"bodyDiffers,omitempty"`
	// Matched is how many of the team's integrations the event reaches (0:
	// none subscribes to its type and project); absent when not known.
	Matched *int `json:"matched,omitempty"`
}

// Batch answers POST /v1/events/batch, one result per event.
type Batch struct {
	Results []BatchResult `json:"results"`
}

// ResendAccepted answers POST /v1/deliveries/{id}/resend.
type ResendAccepted struct {
	DeliveryID string `json:"deliveryId"`
	WorkflowID string `json:"workflowId"`
}

// BulkResendAccepted answers POST /v1/integrations/{id}/resend.
type BulkResendAccepted struct {
	ID         string `json:"id"`
	WorkflowID string `json:"workflowId"`
}

// BulkResendCancelled answers DELETE /v1/resends/{id}.
type BulkResendCancelled struct {
	ID        string `json:"id"`
	Cancelled bool   `json:"cancelled"`
}

// SlackInstallLink answers GET /v1/slack/install for an API client.
type SlackInstallLink struct {
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// QueuedEventView is an accepted event not yet recorded by its workflow:
// queued, being started ("accepted"), or set aside ("failed", with Error).
type QueuedEventView struct {
	ID         string        `json:"id"`
	WorkflowID string        `json:"workflowId"`
	Status     AcceptedState `json:"status"`
	Error      string        `json:"error,omitempty"`
	Deliveries []string      `json:"deliveries"`
}
