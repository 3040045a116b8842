package channels

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/heraldhq/herald/internal/expr"
)

// Webhook posts {"event","data"} with the seed's headers and a Standard
// Webhooks signature when the integration has a secret.
type Webhook struct {
	HeaderPrefix string
	UserAgent    string
}

// Header suffixes of the seed's webhook integration headers.
const (
	HeaderID        = "Id"
	HeaderName      = "Name"
	HeaderToken     = "Token"
	HeaderEventID   = "Event-Id"
	HeaderEventType = "Event-Type"
)

// Render implements Channel.
func (w *Webhook) Render(m Message) (*Request, error) {
	body, err := webhookBodyOf(m)
	if err != nil {
		return nil, err
	}
	h := http.Header{}
	// The receiver's own headers first: Herald's below are never replaced
	// (EndpointAuth.Validate refuses their names as well).
	for name, v := range m.Auth.Headers {
		h.Set(name, v)
	}
	if m.Bearer != "" {
		h.Set(AuthorizationHeader, "Bearer "+m.Bearer)
	}
	h.Set("Content-Type", "application/json")
	if w.UserAgent != "" {
		h.Set("User-Agent", w.UserAgent)
	}
	h.Set(w.HeaderPrefix+HeaderID, m.IntegrationID)
	h.Set(w.HeaderPrefix+HeaderName, m.IntegrationName)
	h.Set(w.HeaderPrefix+HeaderEventID, m.EventID)
	h.Set(w.HeaderPrefix+HeaderEventType, m.EventType)
	// webhook-id is the delivery id, signed or not: stable across retries,
	// so every receiver can drop a request it has handled already.
	h.Set("webhook-id", m.DeliveryID)
	if m.Secret != "" {
		if tok := tokenSecret(m); tok != "" {
			h.Set(w.HeaderPrefix+HeaderToken, tok)
		}
		h.Set("webhook-timestamp", strconv.FormatInt(m.Timestamp.Unix(), 10))
		sig := Sign(m.Secret, m.DeliveryID, m.Timestamp, body)
		if m.PreviousSecret != "" {
			// During a rotation both signatures go, space separated: receivers
			// holding either secret verify.
			sig += " " + Sign(m.PreviousSecret, m.DeliveryID, m.Timestamp, body)
		}
		h.Set("webhook-signature", sig)
	}
	return &Request{Method: http.MethodPost, URL: m.URL, Header: h, Body: body, TLS: m.Auth.TLS}, nil
}

// tokenSecret is what the seed's token header carries: the shared secret a
// receiver compares it with. During a rotation's overlap that stays the
// previous secret, so a receiver written like the seed's (one secret,
// compared) keeps working the whole overlap and moves to the new one at its
// own pace; the signatures carry both meanwhile. An Ed25519 key is private
// and never leaves Herald: with one, the header is sent only with the
// previous HMAC secret a receiver may still compare.
func tokenSecret(m Message) string {
	if m.PreviousSecret != "" && SigningOf(m.PreviousSecret) == SigningHMAC {
		return m.PreviousSecret
	}
	if SigningOf(m.Secret) == SigningHMAC {
		return m.Secret
	}
	return ""
}

// SecretHeaders names the request headers whose values are secrets, to be
// masked before a request is stored or shown.
func (w *Webhook) SecretHeaders() []string { return []string{w.HeaderPrefix + HeaderToken} }

// Classify implements Channel: any 2xx is success.
func (w *Webhook) Classify(_ *Request, r *Response, now time.Time) Result {
	return ClassifyStatus(r, now)
}

// webhookBodyOf is the body m's integration gets: its transform's object,
// or {"event","data"}. The signature and the token are over this body.
func webhookBodyOf(m Message) ([]byte, error) {
	if m.Transform == nil {
		return WebhookBody(m.EventType, m.Data)
	}
	return m.Transform.Body(expr.Input{Event: m.EventType, Data: m.Data, Project: m.ProjectID})
}

// WebhookBody is {"event": type, "data": data} with data passed through as posted.
func WebhookBody(eventType string, data json.RawMessage) ([]byte, error) {
	if len(data) == 0 {
		data = json.RawMessage("{}")
	}
	t, err := json.Marshal(eventType)
	if err != nil {
		return nil, fmt.Errorf("encode event type: %w", err)
	}
	body := make([]byte, 0, len(data)+len(t)+20)
	body = append(body, `{"event":`...)
	body = append(body, t...)
	body = append(body, `,"data":`...)
	body = append(body, data...)
	body = append(body, '}')
	return body, nil
}

// Traits: requests are signed with the secret.
func (w *Webhook) Traits() Traits {
	return Traits{Signed: true, MaxInFlight: WebhookMaxInFlight, Shaping: ShapeTransform}
}

// WebhookMaxInFlight is how many requests a webhook receiver gets from
// Herald at once unless its integration says otherwise. A receiver is often
// one small process (the seed's own example is one Express server): a storm
// of hundreds of events sent at once only queues at its end until requests
// time out and come back as retries. Ten in flight still carry 100
// deliveries a second to a receiver that answers in 100 ms.
const WebhookMaxInFlight = 10

// Validate checks a webhook's settings.
func (w *Webhook) Validate(s Settings) error { return first(validateCommon(s), noFormat(s)) }
