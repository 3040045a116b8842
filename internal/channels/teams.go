package channels

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/alerts"
	"github.com/heraldhq/herald/internal/eventread"
	"github.com/heraldhq/herald/internal/pacing"
	"github.com/heraldhq/herald/internal/runes"
)

// Teams message formats.
const (
	// TeamsAdaptiveCard: an Adaptive Card in the Workflows (Power Automate) envelope.
	TeamsAdaptiveCard = "adaptive-card"
	// TeamsMessageCard: the legacy Office 365 connector MessageCard.
	TeamsMessageCard = "message-card"
)

// Teams limits: https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using
const (
	// TeamsMaxBytes is the largest message Teams accepts (28 KB).
	TeamsMaxBytes = 28 << 10
	teamsTitleMax = 300
	teamsFactsMax = 20
	teamsValueMax = 1000
	teamsTextMax  = 1000
	// teamsTemplateTextMax bounds a template's text in runes: JSON writes
	// a rune in at most 6 bytes (\u003c for an escaped '<'), so a card of
	// 4,000 stays within TeamsMaxBytes with its title and envelope
	// (FuzzTemplateOutputStaysText found 8,000 too many).
	teamsTemplateTextMax = 4000
)

// Teams posts Adaptive Cards to Workflows URLs and MessageCards to legacy
// connector URLs.
type Teams struct {
	UserAgent string
}

// TeamsFormatFor picks the format of a Teams URL: legacy connector hosts and
// paths get a MessageCard, anything else (Workflows) an Adaptive Card.
// override, when set, wins.
func TeamsFormatFor(rawURL, override string) string {
	if override == TeamsAdaptiveCard || override == TeamsMessageCard {
		return override
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return TeamsAdaptiveCard
	}
	host := strings.ToLower(u.Hostname())
	if strings.HasSuffix(host, ".webhook.office.com") || host == "outlook.office.com" || host == "outlook.office365.com" ||
		strings.Contains(u.Path, "/webhookb2/") || strings.Contains(u.Path, "/IncomingWebhook/") {
		return TeamsMessageCard
	}
	return TeamsAdaptiveCard
}

type adaptiveElement map[string]any

// RenderTeamsAdaptive builds the Workflows envelope with an Adaptive Card.
func RenderTeamsAdaptive(m Message) map[string]any {
	s := eventread.Summarize(m.EventType, m.Data)
	title, text := adaptiveMarkdown.fit(runes.OneLine(s.Title), teamsTitleMax), adaptiveMarkdown.fit(s.Text, teamsTextMax)
	t, templ, failed := templated(m, adaptiveDialect, adaptiveDialect)
	if templ {
		title, text = runes.Truncate(runes.OneLine(t.Title), teamsTitleMax), runes.Truncate(t.Text, teamsTemplateTextMax)
		if title == "" {
			title = adaptiveMarkdown.fit(runes.OneLine(s.Title), teamsTitleMax)
		}
	}
	body := []adaptiveElement{{
		"type": "TextBlock", "text": title, "weight": "Bolder",
		"size": "Medium", "wrap": true, "color": adaptiveColour(s.Tone),
	}}
	if text != "" {
		body = append(body, adaptiveElement{"type": "TextBlock", "text": text, "wrap": true})
	}
	if facts := teamsFacts(s, "title", adaptiveMarkdown.fit); len(facts) > 0 && !templ {
		body = append(body, adaptiveElement{"type": "FactSet", "facts": facts})
	}
	footer := m.EventType + " · event " + m.EventID
	if failed != "" {
		footer += " · " + failed
	}
	body = append(body, adaptiveElement{"type": "TextBlock", "text": adaptiveMarkdown.fit(runes.OneLine(footer), 600),
		"isSubtle": true, "size": "Small", "wrap": true})
	card := map[string]any{
		"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
		"type":    "AdaptiveCard",
		"version": "1.4",
		"msteams": map[string]any{"width": "Full"},
		"body":    body,
	}
	if s.Link != "" && runes.Len(s.Link) <= 2048 {
		card["actions"] = []adaptiveElement{{"type": "Action.OpenUrl", "title": "Open", "url": s.Link}}
	}
	return map[string]any{
		"type": "message",
		"attachments": []map[string]any{{
			"contentType": "application/vnd.microsoft.card.adaptive",
			"contentUrl":  nil,
			"content":     card,
		}},
	}
}

// RenderTeamsMessageCard builds the legacy connector MessageCard.
func RenderTeamsMessageCard(m Message) map[string]any {
	s := eventread.Summarize(m.EventType, m.Data)
	title, text := runes.Truncate(runes.OneLine(s.Title), teamsTitleMax), runes.Truncate(s.Text, teamsTextMax)
	// A MessageCard's markdown stays off: a template's output is plain text here.
	t, templ, failed := templated(m, plainDialect, plainDialect)
	if templ {
		title, text = cmp.Or(runes.Truncate(runes.OneLine(t.Title), teamsTitleMax), title), runes.Truncate(t.Text, teamsTemplateTextMax)
	}
	subtitle := m.EventType + " · event " + m.EventID
	if failed != "" {
		subtitle += " · " + failed
	}
	section := map[string]any{
		"activityTitle":    title,
		"activitySubtitle": runes.Truncate(runes.OneLine(subtitle), 600),
		"markdown":         false, // event text is shown as it is
	}
	if text != "" {
		section["text"] = text
	}
	if facts := teamsFacts(s, "name", runes.Truncate); len(facts) > 0 && !templ {
		section["facts"] = facts
	}
	card := map[string]any{
		"@type":      "MessageCard",
		"@context":   "https://schema.org/extensions",
		"themeColor": fmt.Sprintf("%06X", s.Tone.Colour()),
		"summary":    title,
		"sections":   []any{section},
	}
	if s.Link != "" && runes.Len(s.Link) <= 2048 {
		card["potentialAction"] = []any{map[string]any{"@type": "OpenUri", "name": "Open",
			"targets": []any{map[string]any{"os": "default", "uri": s.Link}}}}
	}
	return card
}

// teamsFacts are the summary's fields as {nameKey, value} facts, each text
// made fit (and, for Adaptive Cards, escaped) by fit.
func teamsFacts(s eventread.Summary, nameKey string, fit func(string, int) string) []map[string]string {
	var facts []map[string]string
	for _, f := range s.Fields {
		if len(facts) == teamsFactsMax {
			break
		}
		facts = append(facts, map[string]string{nameKey: fit(runes.OneLine(f.Name), 100), "value": fit(f.Value, teamsValueMax)})
	}
	return facts
}

// Render implements Channel.
func (c *Teams) Render(m Message) (*Request, error) {
	format := TeamsFormatFor(m.URL, m.Format)
	var payload any
	if format == TeamsMessageCard {
		payload = RenderTeamsMessageCard(m)
	} else {
		payload = RenderTeamsAdaptive(m)
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("encode teams message: %w", err)
	}
	if len(body) > TeamsMaxBytes {
		// Cannot happen with the caps above; refuse rather than be rejected.
		return nil, fmt.Errorf("teams message is %d bytes, over the %d limit", len(body), TeamsMaxBytes)
	}
	req := jsonRequest(m.URL, body, c.UserAgent)
	req.Format = format
	return req, nil
}

// SecretHeaders implements Channel: the URL itself is the secret.
func (c *Teams) SecretHeaders() []string { return nil }

// Classify implements Channel. Workflows answer 202 (or 200); a legacy
// connector answers 200 with body "1", and reports errors, throttling
// included, as 200 with another body.
func (c *Teams) Classify(req *Request, r *Response, now time.Time) Result {
	body := strings.TrimSpace(string(r.Body))
	if req != nil && req.Format == TeamsMessageCard && r.Status == http.StatusOK {
		switch {
		case body == "1":
			return Result{Outcome: herald.OutcomeDelivered, Reason: "HTTP 200 1"}
		case strings.Contains(body, "429"):
			return Result{Outcome: herald.OutcomeThrottled, Reason: "HTTP 200: Teams is throttling: " + runes.OneLine(runes.Truncate(body, 200)),
				RetryAfter: RetryAfter(r.Header, now)}
		}
		return Result{Outcome: herald.OutcomePermanent, Reason: "HTTP 200: Teams says " + runes.OneLine(runes.Truncate(body, 200))}
	}
	res := ClassifyStatus(r, now)
	if body != "" && res.Outcome != herald.OutcomeDelivered {
		res.Reason += ": Teams says " + runes.OneLine(runes.Truncate(body, 200))
	}
	return res
}

// Traits: a new integration gets a confirmation message; alerts are grouped.
func (c *Teams) Traits() Traits {
	return Traits{Confirms: true, Alerts: alerts.GroupedByDefault, Rate: TeamsRate, Shaping: ShapeTemplate}
}

// TeamsRate: Workflows and the legacy connectors both take about four
// requests a second (https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using#rate-limiting-for-connectors).
var TeamsRate = pacing.Limit{Count: 4, Per: time.Second, Burst: 4}

// Validate checks a Teams webhook's settings: its format, when set, is one
// Teams renders.
func (c *Teams) Validate(s Settings) error {
	if err := validateCommon(s); err != nil {
		return err
	}
	switch s.Format {
	case "", TeamsAdaptiveCard, TeamsMessageCard:
		return nil
	}
	return &FieldError{"format", fmt.Sprintf("must be auto, %s or %s", TeamsAdaptiveCard, TeamsMessageCard)}
}

// adaptiveColour is the Adaptive Card text colour of a tone.
func adaptiveColour(t eventread.Tone) string {
	switch t {
	case eventread.ToneSuccess:
		return "Good"
	case eventread.ToneFailure:
		return "Attention"
	case eventread.ToneWarning:
		return "Warning"
	case eventread.ToneStarted:
		return "Accent"
	}
	return "Default"
}
