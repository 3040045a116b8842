package channels

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/catalog"
	"github.com/heraldhq/herald/internal/eventread"
	"github.com/heraldhq/herald/internal/eventtype"
	"github.com/heraldhq/herald/test/fakes"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// goldenEvents are the events every chat channel's rendering is pinned for:
// the event catalog's examples (docs/events.md and GET /v1/event-types show
// the same bodies), Herald's own, and one type nobody knows.
var goldenEvents = catalog.Examples

// TestGoldenEventsCoverTheCatalogue: every event type Herald catalogues has
// a golden event, so each is pinned for every renderer.
func TestGoldenEventsCoverTheCatalogue(t *testing.T) {
	pinned := map[string]bool{}
	for _, ev := range goldenEvents {
		pinned[ev.Type] = true
	}
	for _, typ := range eventtype.Catalogue() {
		if !pinned[typ] {
			t.Errorf("%s has no golden event", typ)
		}
	}
}

// TestMissingFieldsStillRender: a known type whose data lacks every field, or
// holds the wrong kinds of value, still renders on every platform, with the
// type's own title and no empty field.
func TestMissingFieldsStillRender(t *testing.T) {
	bodies := []string{`{}`, `null`, `[]`, `"text"`,
		`{"build":"x","run":[1],"backup":7,"alert":true,"invoice":null,"deployment":{"status":{}},"autoscaling":{"instances":"many"},"service":{"name":{"x":1}},"project":["p"]}`}
	for _, typ := range eventtype.Catalogue() {
		for _, body := range bodies {
			s := eventread.Summarize(typ, json.RawMessage(body))
			if s.Title == "" || s.Title == typ {
				t.Errorf("%s %s: title %q, want the type's own words", typ, body, s.Title)
			}
			for _, f := range s.Fields {
				if f.Value == "" {
					t.Errorf("%s %s: empty field %s", typ, body, f.Name)
				}
			}
			for _, r := range renderers() {
				req, err := r.ch.Render(Message{EventType: typ, EventID: "e", Data: json.RawMessage(body), URL: r.url})
				if err != nil {
					t.Fatalf("%s %s %s: %v", r.name, typ, body, err)
				}
				if err := r.validate(req.Body); err != nil {
					t.Errorf("%s %s %s: the platform would reject it: %v", r.name, typ, body, err)
				}
			}
		}
	}
}

type chatRenderer struct {
	name     string
	ch       Channel
	format   string
	url      string
	validate func([]byte) error
}

func renderers() []chatRenderer {
	return []chatRenderer{
		{"slack", &Slack{}, "", "https://hooks.slack.com/services/T0/B0/x", fakes.ValidateSlack},
		{"discord", &Discord{}, "", "https://discord.com/api/webhooks/1/x", fakes.ValidateDiscord},
		{"teams-workflows", &Teams{}, "", "https://prod-00.westus.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?sig=x", fakes.ValidateAdaptiveEnvelope},
		{"teams-connector", &Teams{}, "", "https://contoso.webhook.office.com/webhookb2/a@b/IncomingWebhook/c/d", fakes.ValidateMessageCard},
	}
}

func TestGoldenRenderings(t *testing.T) {
	for _, r := range renderers() {
		files, _ := filepath.Glob(filepath.Join("testdata", "golden", r.name, "*.json"))
		for _, f := range files {
			if _, ok := goldenEvents[strings.TrimSuffix(filepath.Base(f), ".json")]; !ok {
				t.Errorf("%s pins no event of goldenEvents: delete it", f)
			}
		}
		for name, ev := range goldenEvents {
			t.Run(r.name+"/"+name, func(t *testing.T) {
				req, err := r.ch.Render(Message{EventType: ev.Type, EventID: "evt-" + name, Data: json.RawMessage(ev.Data), URL: r.url, Format: r.format})
				if err != nil {
					t.Fatal(err)
				}
				if err := r.validate(req.Body); err != nil {
					t.Fatalf("the platform would reject it: %v\n%s", err, req.Body)
				}
				var pretty bytes.Buffer
				if err := json.Indent(&pretty, req.Body, "", "  "); err != nil {
					t.Fatal(err)
				}
				pretty.WriteByte('\n')
				path := filepath.Join("testdata", "golden", r.name, name+".json")
				if *update {
					if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(path, pretty.Bytes(), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("golden file (run with -update to create): %v", err)
				}
				if !bytes.Equal(pretty.Bytes(), want) {
					t.Errorf("%s differs from the golden file:\n%s", path, pretty.Bytes())
				}
			})
		}
	}
}

func TestRenderingsReadWell(t *testing.T) {
	seed := goldenEvents["build-start"]
	msg := Message{EventType: seed.Type, EventID: "e1", Data: json.RawMessage(seed.Data)}
	s := RenderSlack(msg)
	if !strings.Contains(s.Text, "Build started · Website") || !strings.Contains(string(mustJSON(t, s)), "ca624ab") {
		t.Errorf("slack: %s", mustJSON(t, s))
	}
	d := RenderDiscord(msg)
	if d.Embeds[0].Color != eventread.ToneStarted.Colour() || len(d.AllowedMentions.Parse) != 0 || d.Embeds[0].Timestamp == "" {
		t.Errorf("discord: %s", mustJSON(t, d))
	}
	if !strings.Contains(string(mustJSON(t, d)), `"allowed_mentions":{"parse":[]}`) {
		t.Errorf("discord must send an empty allowed_mentions.parse: %s", mustJSON(t, d))
	}
	// Slack's reserved characters are escaped in mrkdwn.
	f := goldenEvents["build-failure"]
	out := string(mustJSON(t, RenderSlack(Message{EventType: f.Type, Data: json.RawMessage(f.Data)})))
	if !strings.Contains(out, `feature/\u0026lt;new\u0026gt;\u0026amp;shiny`) {
		t.Errorf("slack escaping: %s", out)
	}
}

func TestDiscordURLGetsWaitTrue(t *testing.T) {
	req, err := (&Discord{}).Render(Message{EventType: "a:b", URL: "https://discord.com/api/webhooks/1/tok?thread_id=9"})
	if err != nil {
		t.Fatal(err)
	}
	if req.URL != "https://discord.com/api/webhooks/1/tok?thread_id=9&wait=true" {
		t.Errorf("url %s", req.URL)
	}
}

func TestTeamsFormatByURL(t *testing.T) {
	cases := map[string]string{
		"https://contoso.webhook.office.com/webhookb2/x/IncomingWebhook/y/z":                                TeamsMessageCard,
		"https://outlook.office.com/webhook/x/IncomingWebhook/y/z":                                          TeamsMessageCard,
		"https://prod-12.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke":         TeamsAdaptiveCard,
		"https://default123.environment.api.powerplatform.com/powerautomate/automations/direct/workflows/x": TeamsAdaptiveCard,
	}
	for u, want := range cases {
		if got := TeamsFormatFor(u, ""); got != want {
			t.Errorf("%s: %s, want %s", u, got, want)
		}
	}
	if got := TeamsFormatFor("https://contoso.webhook.office.com/webhookb2/x", TeamsAdaptiveCard); got != TeamsAdaptiveCard {
		t.Errorf("override ignored: %s", got)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestEveryPlatformAnswer: each answer each platform can give, and what Herald makes of it.
func TestEveryPlatformAnswer(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	type answer struct {
		status     int
		body       string
		header     http.Header
		want       herald.Outcome
		retryAfter time.Duration
	}
	ra := func(v string) http.Header { return http.Header{"Retry-After": {v}} }
	table := []struct {
		channel Channel
		format  string
		answers []answer
	}{
		{&Slack{}, "", []answer{
			{200, "ok", nil, herald.OutcomeDelivered, 0},
			{400, "invalid_payload", nil, herald.OutcomePermanent, 0},
			{400, "invalid_blocks", nil, herald.OutcomePermanent, 0},
			{400, "user_not_found", nil, herald.OutcomePermanent, 0},
			{403, "action_prohibited", nil, herald.OutcomePermanent, 0},
			{404, "channel_not_found", nil, herald.OutcomeGone, 0},
			{404, "no_service", nil, herald.OutcomeGone, 0},
			{410, "channel_is_archived", nil, herald.OutcomeGone, 0},
			{403, "invalid_token", nil, herald.OutcomeGone, 0},
			{404, "no_team", nil, herald.OutcomeGone, 0},
			{404, "no_service_id", nil, herald.OutcomeGone, 0},
			{410, "team_disabled", nil, herald.OutcomeGone, 0},
			{403, "team_disabled", nil, herald.OutcomeGone, 0},
			// The word decides, whatever the status it comes with.
			{200, "invalid_token", nil, herald.OutcomeGone, 0},
			{500, "channel_is_archived", nil, herald.OutcomeGone, 0},
			{400, "no_text", nil, herald.OutcomePermanent, 0},
			{403, "posting_to_general_channel_denied", nil, herald.OutcomePermanent, 0},
			// A 200 that is not "ok" is not a delivery.
			{200, "", nil, herald.OutcomePermanent, 0},
			{200, "<html>captive portal</html>", nil, herald.OutcomePermanent, 0},
			{429, "rate_limited", ra("30"), herald.OutcomeThrottled, 30 * time.Second},
			{500, "rollup_error", nil, herald.OutcomeRetry, 0},
			{503, "", nil, herald.OutcomeRetry, 0},
		}},
		{&Discord{}, "", []answer{
			{200, `{"id":"1"}`, nil, herald.OutcomeDelivered, 0},
			{204, "", nil, herald.OutcomeDelivered, 0},
			{400, `{"message":"Invalid Form Body","code":50035}`, nil, herald.OutcomePermanent, 0},
			{401, `{"message":"Invalid Webhook Token","code":50027}`, nil, herald.OutcomeGone, 0},
			{403, `{"message":"Missing Permissions","code":50013}`, nil, herald.OutcomePermanent, 0},
			{404, `{"message":"Unknown Webhook","code":10015}`, nil, herald.OutcomeGone, 0},
			{404, ``, nil, herald.OutcomeGone, 0},
			{429, `{"message":"You are being rate limited.","retry_after":1.5,"global":false}`, ra("2"), herald.OutcomeThrottled, 1500 * time.Millisecond},
			{429, `{"message":"You are being rate limited.","retry_after":64.57,"global":true}`, nil, herald.OutcomeThrottled, 64570 * time.Millisecond},
			{429, `{"retry_after":99999}`, nil, herald.OutcomeThrottled, MaxRetryAfter},
			{500, ``, nil, herald.OutcomeRetry, 0},
			{502, `<html>`, nil, herald.OutcomeRetry, 0},
		}},
		{&Teams{}, TeamsAdaptiveCard, []answer{
			{202, "", nil, herald.OutcomeDelivered, 0},
			{200, "", nil, herald.OutcomeDelivered, 0},
			{400, `{"error":{"code":"InvalidRequestContent"}}`, nil, herald.OutcomePermanent, 0},
			{401, `{"error":{"code":"DirectApiAuthorizationRequired"}}`, nil, herald.OutcomePermanent, 0},
			{404, `{"error":{"code":"WorkflowNotFound"}}`, nil, herald.OutcomePermanent, 0},
			{410, "", nil, herald.OutcomeGone, 0},
			{429, "", ra("10"), herald.OutcomeThrottled, 10 * time.Second},
			{502, "", nil, herald.OutcomeRetry, 0},
		}},
		{&Teams{}, TeamsMessageCard, []answer{
			{200, "1", nil, herald.OutcomeDelivered, 0},
			{200, "Summary or Text is required.", nil, herald.OutcomePermanent, 0},
			{200, "Microsoft Teams endpoint returned HTTP error 429 with ContextId x", nil, herald.OutcomeThrottled, 0},
			{400, "Bad payload received by generic incoming webhook.", nil, herald.OutcomePermanent, 0},
			{403, "Forbidden", nil, herald.OutcomePermanent, 0},
			{410, "Connector configuration not found", nil, herald.OutcomeGone, 0},
			{429, "", ra("5"), herald.OutcomeThrottled, 5 * time.Second},
			{500, "", nil, herald.OutcomeRetry, 0},
		}},
	}
	for _, row := range table {
		for _, a := range row.answers {
			name := fmt.Sprintf("%T/%s/%d %s", row.channel, row.format, a.status, a.body)
			h := a.header
			if h == nil {
				h = http.Header{}
			}
			got := row.channel.Classify(&Request{Format: row.format}, &Response{Status: a.status, Header: h, Body: []byte(a.body)}, now)
			if got.Outcome != a.want || got.RetryAfter != a.retryAfter {
				t.Errorf("%s: %s after %s (%s), want %s after %s", name, got.Outcome, got.RetryAfter, got.Reason, a.want, a.retryAfter)
			}
			if got.Reason == "" || !utf8.ValidString(got.Reason) {
				t.Errorf("%s: reason %q", name, got.Reason)
			}
		}
	}
}

// docExamples is the generated part of docs/events.md: each golden event's
// body and what every chat shows of it.
func docExamples() string {
	names := make([]string, 0, len(goldenEvents))
	for n := range goldenEvents {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		a, b := goldenEvents[names[i]], goldenEvents[names[j]]
		if a.Type != b.Type {
			return a.Type < b.Type
		}
		return names[i] < names[j]
	})
	var b strings.Builder
	for _, n := range names {
		ev := goldenEvents[n]
		s := eventread.Summarize(ev.Type, json.RawMessage(ev.Data))
		var pretty bytes.Buffer
		_ = json.Indent(&pretty, []byte(ev.Data), "", "  ")
		fmt.Fprintf(&b, "### `%s` (%s)\n\n```json\n%s\n```\n\n", ev.Type, n, pretty.String())
		fmt.Fprintf(&b, "```text\n%s %s\n", s.Tone.Emoji(), s.Title)
		if s.Text != "" {
			fmt.Fprintf(&b, "%s\n", s.Text)
		}
		for _, f := range s.Fields {
			fmt.Fprintf(&b, "  %s: %s\n", f.Name, f.Value)
		}
		if s.Link != "" {
			fmt.Fprintf(&b, "  [Open] %s\n", s.Link)
		}
		fmt.Fprintf(&b, "```\n\n")
	}
	return b.String()
}

const (
	docPath       = "../../docs/events.md"
	examplesBegin = "<!-- examples:begin (generated: go test ./internal/channels -run TestEventsDoc -update) -->\n"
	examplesEnd   = "<!-- examples:end -->"
)

// TestEventsDoc: docs/events.md names every catalogued type and its
// examples are what Herald renders today.
func TestEventsDoc(t *testing.T) {
	doc, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	head, rest, ok1 := strings.Cut(text, examplesBegin)
	_, tail, ok2 := strings.Cut(rest, examplesEnd)
	if !ok1 || !ok2 {
		t.Fatalf("%s lacks the examples markers", docPath)
	}
	want := head + examplesBegin + "\n" + docExamples() + examplesEnd + tail
	if *update {
		if err := os.WriteFile(docPath, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		text = want
	}
	if text != want {
		t.Errorf("%s's examples are not what Herald renders: run with -update", docPath)
	}
	for _, typ := range eventtype.Catalogue() {
		if !strings.Contains(head+tail, "`"+typ+"`") {
			t.Errorf("%s does not describe %s outside the examples", docPath, typ)
		}
	}
}
