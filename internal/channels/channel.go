// Package channels renders events into HTTP requests for each kind of
// integration and reads the answers into typed outcomes.
package channels

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/chattemplate"
	"github.com/heraldhq/herald/internal/expr"
)

// Message is one event on its way to one integration.
type Message struct {
	DeliveryID string
	EventID    string
	EventType  string
	Data       json.RawMessage
	// Integration fields: URL and Secret are secrets and never leave the activity.
	IntegrationID   string
	IntegrationName string
	URL             string
	Secret          string
	// PreviousSecret also signs while a rotation's grace lasts.
	PreviousSecret string
	// Format picks a message format where a channel has several (Teams); empty: by URL.
	Format string
	// Timestamp is when this attempt is made (signed into webhook requests).
	Timestamp time.Time
	// Auth is how the receiver authenticates Herald beyond the signature
	// (webhooks): its headers and client certificate. A secret, like URL.
	Auth EndpointAuth
	// Bearer is the OAuth 2.0 access token for this attempt ("": none).
	Bearer string
	// ProjectID is the event's project ("": none), for templates and transforms.
	ProjectID string
	// Template is the chat integration's message template (nil: the
	// built-in message).
	Template *chattemplate.Template
	// Transform makes the webhook body from the event (nil: {"event","data"}).
	Transform *expr.Program
}

// Request is a rendered HTTP request.
type Request struct {
	Method string
	URL    string
	Header http.Header
	Body   []byte
	// Format is the message format chosen (Teams), for Classify.
	Format string
	// TLS is the client certificate to present (mutual TLS; nil: none).
	TLS *ClientTLS
}

// Response is what the receiver answered.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Result is the meaning of one attempt's answer.
type Result struct {
	Outcome herald.Outcome
	// Reason says why, in words fit for a person and for history (no secrets).
	Reason string
	// RetryAfter is the delay the receiver asked for (0: none asked).
	RetryAfter time.Duration
	// Hold is how long the platform said its bucket stays empty after this
	// answer (Discord's X-RateLimit-Remaining 0 and -Reset-After): the
	// integration's next request waits for it.
	Hold time.Duration
}

// Channel renders events for one integration type and classifies its answers.
type Channel interface {
	// Render builds the request for a message.
	Render(m Message) (*Request, error)
	// Classify reads the response to req; channel-specific checks come before
	// the shared table.
	Classify(req *Request, r *Response, now time.Time) Result
	// SecretHeaders names request headers whose values are masked before storing.
	SecretHeaders() []string
	// Validate checks an integration's settings for this channel.
	Validate(s Settings) error
	// Traits say whether its requests are signed and whether it confirms.
	Traits() Traits
}

// Options are settings every channel may need.
type Options struct {
	// WebhookHeaderPrefix prefixes the seed-compatible webhook headers.
	WebhookHeaderPrefix string
	// UserAgent is sent with every request.
	UserAgent string
}

// Registry maps integration types to their channels.
type Registry struct {
	byType map[herald.IntegrationType]Channel
}

// NewRegistry builds every channel Herald supports.
func NewRegistry(o Options) *Registry {
	return &Registry{byType: map[herald.IntegrationType]Channel{
		herald.IntegrationWebhook: &Webhook{HeaderPrefix: o.WebhookHeaderPrefix, UserAgent: o.UserAgent},
		herald.IntegrationSlack:   &Slack{UserAgent: o.UserAgent},
		herald.IntegrationDiscord: &Discord{UserAgent: o.UserAgent},
		herald.IntegrationTeams:   &Teams{UserAgent: o.UserAgent},
	}}
}

// For returns the channel of an integration type.
func (r *Registry) For(t herald.IntegrationType) (Channel, error) {
	c, ok := r.byType[t]
	if !ok {
		return nil, fmt.Errorf("unknown integration type %q (supported: %v)", t, Supported())
	}
	return c, nil
}

// Supported lists the integration types Herald can deliver to.
func Supported() []herald.IntegrationType {
	out := []herald.IntegrationType{}
	for t := range NewRegistry(Options{}).byType {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
