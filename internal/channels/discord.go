package channels

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/alerts"
	"github.com/heraldhq/herald/internal/chattemplate"
	"github.com/heraldhq/herald/internal/eventread"
	"github.com/heraldhq/herald/internal/pacing"
	"github.com/heraldhq/herald/internal/runes"
)

// Discord embed limits: https://discord.com/developers/docs/resources/message#embed-object-embed-limits
const (
	DiscordContentMax     = 2000
	DiscordEmbedsMax      = 10
	DiscordTitleMax       = 256
	DiscordDescriptionMax = 4096
	DiscordFieldsMax      = 25
	DiscordFieldNameMax   = 256
	DiscordFieldValueMax  = 1024
	DiscordFooterMax      = 2048
	DiscordAuthorMax      = 256
	// DiscordEmbedTotalMax bounds all embeds' text together.
	DiscordEmbedTotalMax = 6000
	// DiscordUnknownWebhook is the error code of a deleted webhook:
	// https://discord.com/developers/docs/topics/opcodes-and-status-codes#json
	DiscordUnknownWebhook = 10015
	// DiscordInvalidWebhookToken: the URL's token no longer matches.
	DiscordInvalidWebhookToken = 50027
)

// Discord posts one embed per event to an execute-webhook URL.
type Discord struct {
	UserAgent string
}

// DiscordEmbedField is one field of an embed.
type DiscordEmbedField struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Inline bool   `json:"inline"`
}

// DiscordEmbed is a rich embed.
type DiscordEmbed struct {
	Title       string              `json:"title"`
	URL         string              `json:"url,omitempty"`
	Description string              `json:"description,omitempty"`
	Color       int                 `json:"color"`
	Fields      []DiscordEmbedField `json:"fields,omitempty"`
	Footer      *struct {
		Text string `json:"text"`
	} `json:"footer,omitempty"`
	Timestamp string `json:"timestamp,omitempty"`
}

// DiscordMessage is the execute-webhook payload.
type DiscordMessage struct {
	Content string         `json:"content,omitempty"`
	Embeds  []DiscordEmbed `json:"embeds"`
	// AllowedMentions is empty for the built-in message: event text can
	// never ping anyone. A template's content may mention users and roles
	// (its author's literal text; event text in it is escaped).
	AllowedMentions struct {
		Parse []string `json:"parse"`
	} `json:"allowed_mentions"`
}

// discordValueMax keeps the embed within its total when every field is full.
const discordValueMax = 400

// discordTextMax bounds the one-sentence description.
const discordTextMax = 1000

// RenderDiscord builds the embed of an event.
func RenderDiscord(m Message) DiscordMessage {
	s := eventread.Summarize(m.EventType, m.Data)
	t, ok, failed := templated(m, discordDialect, discordDialect)
	if ok {
		return renderDiscordTemplated(m, s, t)
	}
	e := DiscordEmbed{Title: discordMarkdown.fit(runes.OneLine(s.Title), DiscordTitleMax), Color: s.Tone.Colour()}
	if s.Link != "" && runes.Len(s.Link) <= 2048 {
		e.URL = s.Link
	}
	footer := discordFooter(m, failed)
	e.Footer = &struct {
		Text string `json:"text"`
	}{footer}
	if ts, err := time.Parse(time.RFC3339Nano, s.Timestamp); err == nil {
		e.Timestamp = ts.UTC().Format(time.RFC3339Nano)
	}
	e.Description = discordMarkdown.fit(s.Text, discordTextMax)
	total := runes.Len(e.Title) + runes.Len(e.Description) + runes.Len(footer)
	for _, f := range s.Fields {
		if len(e.Fields) == DiscordFieldsMax {
			break
		}
		name := discordMarkdown.fit(runes.OneLine(f.Name), 100)
		value := discordMarkdown.fit(f.Value, min(discordValueMax, DiscordFieldValueMax))
		if name == "" || strings.TrimSpace(value) == "" {
			continue // Discord rejects empty field names and values
		}
		if total+runes.Len(name)+runes.Len(value) > DiscordEmbedTotalMax {
			break
		}
		total += runes.Len(name) + runes.Len(value)
		e.Fields = append(e.Fields, DiscordEmbedField{Name: name, Value: value, Inline: runes.Len(value) <= 40})
	}
	msg := DiscordMessage{Embeds: []DiscordEmbed{e}}
	msg.AllowedMentions.Parse = []string{}
	return msg
}

// discordFooter is the event's type and id (the footer renders no
// markdown), and why its template was not used when it failed.
func discordFooter(m Message, failed string) string {
	footer := m.EventType + " · event " + m.EventID
	if failed != "" {
		footer += " · " + failed
	}
	return runes.Truncate(runes.OneLine(footer), 600)
}

// renderDiscordTemplated is the message of a template: its text as the
// content, where mentions notify, and its title on an embed in the event's
// colour.
func renderDiscordTemplated(m Message, s eventread.Summary, t chattemplate.Rendered) DiscordMessage {
	e := DiscordEmbed{Title: runes.Truncate(runes.OneLine(t.Title), DiscordTitleMax), Color: s.Tone.Colour()}
	if e.Title == "" {
		e.Title = discordMarkdown.fit(runes.OneLine(s.Title), DiscordTitleMax)
	}
	e.Footer = &struct {
		Text string `json:"text"`
	}{discordFooter(m, "")}
	msg := DiscordMessage{Content: runes.Truncate(t.Text, DiscordContentMax), Embeds: []DiscordEmbed{e}}
	msg.AllowedMentions.Parse = []string{"users", "roles"}
	return msg
}

// Render implements Channel. ?wait=true makes Discord answer with the message
// (and with errors) instead of an empty 204.
func (c *Discord) Render(m Message) (*Request, error) {
	body, err := json.Marshal(RenderDiscord(m))
	if err != nil {
		return nil, fmt.Errorf("encode discord message: %w", err)
	}
	u, err := url.Parse(m.URL)
	if err != nil {
		return nil, fmt.Errorf("discord webhook URL does not parse")
	}
	q := u.Query()
	q.Set("wait", "true")
	u.RawQuery = q.Encode()
	return jsonRequest(u.String(), body, c.UserAgent), nil
}

// SecretHeaders implements Channel: the URL itself is the secret.
func (c *Discord) SecretHeaders() []string { return nil }

// discordError is Discord's JSON error body (429s add retry_after and global).
type discordError struct {
	Message    string   `json:"message"`
	Code       int      `json:"code"`
	RetryAfter *float64 `json:"retry_after"`
	Global     bool     `json:"global"`
}

// Classify implements Channel: 2xx is success; a deleted webhook is gone (and
// must not be tried again); a 429's retry_after sets the next delay.
func (c *Discord) Classify(req *Request, r *Response, now time.Time) Result {
	res := c.classify(r, now)
	res.Hold = discordHold(r.Header)
	return res
}

// discordHold reads the bucket Discord announces on every answer: when
// X-RateLimit-Remaining is 0, nothing more goes until X-RateLimit-Reset-After
// (seconds, fractional) has passed.
func discordHold(h http.Header) time.Duration {
	if strings.TrimSpace(h.Get("X-RateLimit-Remaining")) != "0" {
		return 0
	}
	secs, err := strconv.ParseFloat(strings.TrimSpace(h.Get("X-RateLimit-Reset-After")), 64)
	if err != nil || secs <= 0 || math.IsNaN(secs) {
		return 0
	}
	return capRetryAfter(time.Duration(math.Round(secs*1000)) * time.Millisecond)
}

func (c *Discord) classify(r *Response, now time.Time) Result {
	var de discordError
	_ = json.Unmarshal(r.Body, &de)
	switch {
	case r.Status == http.StatusNotFound || de.Code == DiscordUnknownWebhook:
		return Result{Outcome: herald.OutcomeGone, Reason: fmt.Sprintf("HTTP %d: Discord says %s (code %d): the webhook was deleted", r.Status, runes.OneLine(runes.Truncate(de.Message, 100)), de.Code)}
	case r.Status == http.StatusUnauthorized && de.Code == DiscordInvalidWebhookToken:
		return Result{Outcome: herald.OutcomeGone, Reason: "HTTP 401: Discord says the webhook token is invalid"}
	case r.Status == http.StatusTooManyRequests:
		res := ClassifyStatus(r, now)
		if de.RetryAfter != nil && *de.RetryAfter > 0 {
			res.RetryAfter = capRetryAfter(time.Duration(math.Round(*de.RetryAfter*1000)) * time.Millisecond)
		}
		if de.Global {
			res.Reason += " (global rate limit)"
		}
		return res
	}
	res := ClassifyStatus(r, now)
	if de.Message != "" && res.Outcome != herald.OutcomeDelivered {
		res.Reason += ": Discord says " + runes.OneLine(runes.Truncate(de.Message, 200))
	}
	return res
}

// Traits: a new integration gets a confirmation message; alerts are grouped.
func (c *Discord) Traits() Traits {
	return Traits{Confirms: true, Alerts: alerts.GroupedByDefault, Rate: DiscordRate, Shaping: ShapeTemplate}
}

// DiscordRate is where pacing starts before a webhook's first answer: about
// five requests per two seconds (https://discord.com/developers/docs/topics/rate-limits),
// spread evenly (burst 1): Discord counts in fixed windows, and a burst of
// five plus the steady rate would fill one before its headers could say so.
// Each webhook's real bucket comes in X-RateLimit-* headers, which hold the
// pace when the bucket is empty (Classify sets Result.Hold).
var DiscordRate = pacing.Limit{Count: 5, Per: 2 * time.Second, Burst: 1}

// Validate checks a Discord webhook's settings.
func (c *Discord) Validate(s Settings) error { return first(validateCommon(s), noFormat(s)) }
