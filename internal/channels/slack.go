package channels

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/alerts"
	"github.com/heraldhq/herald/internal/chattemplate"
	"github.com/heraldhq/herald/internal/eventread"
	"github.com/heraldhq/herald/internal/pacing"
	"github.com/heraldhq/herald/internal/runes"
)

// Slack Block Kit limits: https://api.slack.com/reference/block-kit/blocks
const (
	SlackMaxBlocks        = 50
	SlackHeaderMax        = 150  // header text (plain_text)
	SlackSectionTextMax   = 3000 // section text
	SlackSectionFieldsMax = 10   // fields per section
	SlackFieldTextMax     = 2000 // each field's text
	SlackContextElemsMax  = 10
	SlackButtonTextMax    = 75
	SlackButtonURLMax     = 3000
	// SlackTextMax is where Slack cuts the top-level text:
	// https://api.slack.com/reference/messaging/payload
	SlackTextMax = 40000
	// slackValueMax keeps every field short enough that the whole message stays
	// far below the ~13k characters where Slack answers msg_blocks_too_long.
	slackValueMax = 500
	// slackTextMax bounds the one-sentence text under the header.
	slackTextMax = 1000
)

// Slack posts Block Kit messages to an incoming webhook.
type Slack struct {
	UserAgent string
}

type slackText struct {
	Type  string `json:"type"`
	Text  string `json:"text"`
	Emoji bool   `json:"emoji,omitempty"`
}

type slackBlock struct {
	Type     string      `json:"type"`
	Text     *slackText  `json:"text,omitempty"`
	Fields   []slackText `json:"fields,omitempty"`
	Elements []any       `json:"elements,omitempty"`
}

type slackButton struct {
	Type string    `json:"type"`
	Text slackText `json:"text"`
	URL  string    `json:"url"`
}

// SlackMessage is the incoming-webhook payload.
type SlackMessage struct {
	Text   string       `json:"text"`
	Blocks []slackBlock `json:"blocks"`
}

// RenderSlack builds the Block Kit message of an event.
func RenderSlack(m Message) SlackMessage {
	t, ok, failed := templated(m, plainDialect, slackDialect)
	if ok {
		return renderSlackTemplated(m, t)
	}
	s := eventread.Summarize(m.EventType, m.Data)
	title := runes.OneLine(s.Tone.Emoji() + " " + s.Title)
	msg := SlackMessage{}
	msg.Blocks = append(msg.Blocks, slackBlock{Type: "header",
		Text: &slackText{Type: "plain_text", Text: runes.Truncate(title, SlackHeaderMax), Emoji: true}})

	if s.Text != "" {
		msg.Blocks = append(msg.Blocks, slackBlock{Type: "section",
			Text: &slackText{Type: "mrkdwn", Text: fitEscaped(s.Text, slackTextMax, slackEscape)}})
	}
	var fields []slackText
	for _, f := range s.Fields {
		name := fitEscaped(runes.OneLine(f.Name), 100, slackEscape)
		value := fitEscaped(f.Value, min(slackValueMax, SlackFieldTextMax-runes.Len(name)-4), slackEscape)
		fields = append(fields, slackText{Type: "mrkdwn", Text: "*" + name + "*\n" + value})
	}
	for len(fields) > 0 && len(msg.Blocks) < SlackMaxBlocks-3 {
		n := min(len(fields), SlackSectionFieldsMax)
		msg.Blocks = append(msg.Blocks, slackBlock{Type: "section", Fields: fields[:n]})
		fields = fields[n:]
	}
	if s.Link != "" && runes.Len(s.Link) <= SlackButtonURLMax {
		msg.Blocks = append(msg.Blocks, slackBlock{Type: "actions", Elements: []any{
			slackButton{Type: "button", Text: slackText{Type: "plain_text", Text: "Open"}, URL: s.Link},
		}})
	}
	msg.Blocks = append(msg.Blocks, slackContext(m, failed))

	// The fallback text is what notifications and screen readers show.
	fallback := []string{fitEscaped(title, 300, slackEscape)}
	if s.Text != "" {
		fallback = append(fallback, fitEscaped(runes.OneLine(s.Text), 300, slackEscape))
	}
	for _, f := range s.Fields {
		if f.Name == "Project" || f.Name == "Status" || f.Name == "Branch" {
			fallback = append(fallback, fitEscaped(f.Name+": "+runes.OneLine(f.Value), 200, slackEscape))
		}
	}
	msg.Text = runes.Truncate(strings.Join(fallback, " · "), SlackSectionTextMax)
	return msg
}

// slackContext is the closing line: the event's type and id, and why its
// template was not used when it failed.
func slackContext(m Message, failed string) slackBlock {
	ctx := "`" + fitEscaped(m.EventType, 120, slackEscape) + "`"
	if m.EventID != "" {
		ctx += " · event " + fitEscaped(m.EventID, 140, slackEscape)
	}
	if failed != "" {
		ctx += " · " + fitEscaped(failed, 300, slackEscape)
	}
	return slackBlock{Type: "context", Elements: []any{slackText{Type: "mrkdwn", Text: ctx}}}
}

// renderSlackTemplated is the message of a template: its title as the
// header (plain text, so nothing in it is markup), its text as one mrkdwn
// section and as the notification text.
func renderSlackTemplated(m Message, t chattemplate.Rendered) SlackMessage {
	msg := SlackMessage{}
	title := runes.Truncate(runes.OneLine(t.Title), SlackHeaderMax)
	if title != "" {
		msg.Blocks = append(msg.Blocks, slackBlock{Type: "header", Text: &slackText{Type: "plain_text", Text: title, Emoji: true}})
	}
	if strings.TrimSpace(t.Text) != "" {
		msg.Blocks = append(msg.Blocks, slackBlock{Type: "section", Text: &slackText{Type: "mrkdwn", Text: cutMarkup(t.Text, SlackSectionTextMax)}})
	}
	msg.Blocks = append(msg.Blocks, slackContext(m, ""))
	msg.Text = cutMarkup(strings.TrimSpace(fitEscaped(title, 300, slackEscape)+"\n"+t.Text), SlackSectionTextMax)
	return msg
}

// Render implements Channel.
func (c *Slack) Render(m Message) (*Request, error) {
	body, err := json.Marshal(RenderSlack(m))
	if err != nil {
		return nil, fmt.Errorf("encode slack message: %w", err)
	}
	return jsonRequest(m.URL, body, c.UserAgent), nil
}

// SecretHeaders implements Channel: the URL itself is the secret.
func (c *Slack) SecretHeaders() []string { return nil }

// Slack answers with a plain word: https://api.slack.com/messaging/webhooks#handling_errors
// Slack answers a webhook with a plain word (platform-limits.md). The word
// decides before the status code does, whose pairing with words is partly
// unverified.
var (
	// slackGone: the webhook or its channel no longer exists; disable at once.
	slackGone = map[string]bool{"invalid_token": true, "no_service": true, "no_service_id": true, "no_team": true,
		"team_disabled": true, "channel_not_found": true, "channel_is_archived": true}
	// slackPermanent: the request or the channel's settings are wrong; a retry
	// of the same request fails the same way.
	slackPermanent = map[string]bool{"invalid_payload": true, "invalid_blocks": true, "no_text": true,
		"too_many_attachments": true, "user_not_found": true, "action_prohibited": true,
		"posting_to_general_channel_denied": true, "msg_blocks_too_long": true}
	// slackRetry: Slack's own trouble.
	slackRetry = map[string]bool{"rollup_error": true}
)

// Classify implements Channel: "ok" is success, a known word decides, and
// only then the status code; a 200 with any other body is not a delivery.
func (c *Slack) Classify(_ *Request, r *Response, now time.Time) Result {
	word := strings.TrimSpace(string(r.Body))
	if len(word) > 100 {
		word = word[:100]
	}
	says := fmt.Sprintf("HTTP %d: Slack says %s", r.Status, word)
	switch {
	case r.Status == http.StatusOK && word == "ok":
		return Result{Outcome: herald.OutcomeDelivered, Reason: "HTTP 200 ok"}
	case slackGone[word]:
		return Result{Outcome: herald.OutcomeGone, Reason: says}
	case slackPermanent[word]:
		return Result{Outcome: herald.OutcomePermanent, Reason: says}
	case slackRetry[word]:
		res := ClassifyStatus(r, now)
		res.Outcome, res.Reason = herald.OutcomeRetry, says
		return res
	case r.Status >= 200 && r.Status < 300:
		// Not "ok": Slack did not say it posted. Permanent, not a retry, which
		// could post twice if it had.
		if word == "" {
			word = "(empty)"
		}
		return Result{Outcome: herald.OutcomePermanent, Reason: fmt.Sprintf("HTTP %d with body %s, not ok: Slack did not confirm the post", r.Status, word)}
	}
	res := ClassifyStatus(r, now)
	if word != "" {
		res.Reason += ": Slack says " + word
	}
	return res
}

// jsonRequest is a POST of a JSON body.
func jsonRequest(url string, body []byte, userAgent string) *Request {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	if userAgent != "" {
		h.Set("User-Agent", userAgent)
	}
	return &Request{Method: http.MethodPost, URL: url, Header: h, Body: body}
}

// Traits: a new integration gets a confirmation message; alerts are grouped.
func (c *Slack) Traits() Traits {
	return Traits{Confirms: true, Alerts: alerts.GroupedByDefault, Rate: SlackRate, Shaping: ShapeTemplate}
}

// SlackRate: about one message a second per webhook, "short bursts allowed
// but no guarantee" (https://api.slack.com/apis/rate-limits#incoming-webhooks):
// a burst of two, so that the lag of one request behind its slot (up to an
// interval) cannot make two arrive closer than the platform allows.
var SlackRate = pacing.Limit{Count: 1, Per: time.Second, Burst: 2}

// Validate checks a Slack incoming webhook's settings.
func (c *Slack) Validate(s Settings) error { return first(validateCommon(s), noFormat(s)) }
