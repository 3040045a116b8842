package channels

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/eventtype"
	"github.com/heraldhq/herald/test/fakes"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// goldenEvents are the events every chat channel's rendering is pinned for.
var goldenEvents = map[string]struct {
	typ  string
	data string
}{
	// The seed's documented example, verbatim.
	"build-start":       {"build:start", `{"build":{"id":"social-hour-1312","branch":"master","pullRequestId":null,"status":"STARTING","sha":"ca624abed0d5ba0ad6e6fe28c396196b81f0200d","concluded":false,"createdAt":"2022-01-19T09:04:40.916Z"},"service":{"id":"website","name":"Website"},"project":{"id":"personal-blog","name":"Personal Blog"},"user":{"id":"thomas"}}`},
	"build-success":     {"build:success", `{"build":{"id":"social-hour-1313","branch":"main","status":"SUCCESS","sha":"0d5ba0ad6e6fe28c396196b81f0200dca624abe","concluded":true,"createdAt":"2022-01-19T09:04:40.916Z","concludedAt":"2022-01-19T09:07:12.003Z","url":"https://app.example.com/builds/social-hour-1313"},"service":{"id":"website","name":"Website"},"project":{"id":"personal-blog","name":"Personal Blog"},"user":{"id":"thomas","name":"Thomas"}}`},
	"build-failure":     {"build:failure", `{"build":{"id":"social-hour-1314","branch":"feature/<new>&shiny","status":"FAILURE","sha":"c396196b81f0200dca624abed0d5ba0ad6e6fe28","createdAt":"2022-01-19T10:00:00Z"},"service":{"id":"api","name":"API"},"project":{"id":"shop","name":"Shop"},"reason":"exit code 1 in step 'npm test'"}`},
	"job-run-failure":   {"job-run:failure", `{"job":{"id":"nightly-report","name":"Nightly report"},"run":{"id":"run-42","status":"FAILED","createdAt":"2022-02-01T02:00:00Z","finishedAt":"2022-02-01T02:03:10Z"},"project":{"id":"analytics","name":"Analytics"},"message":"OOMKilled"}`},
	"backup-success":    {"backup:success", `{"addon":{"id":"postgres-main","name":"postgres-main"},"backup":{"id":"bkp-2022-03-01","status":"COMPLETED","createdAt":"2022-03-01T03:00:00Z","completedAt":"2022-03-01T03:04:00Z"},"project":{"id":"shop","name":"Shop"}}`},
	"alert-high-memory": {"alert:high-memory", `{"alert":{"container":"website-7d9f-abcde","value":"93%","threshold":"90%","createdAt":"2022-04-01T12:00:00Z"},"service":{"id":"website","name":"Website"},"project":{"id":"personal-blog","name":"Personal Blog"}}`},
	"alert-group":       {eventtype.AlertGroup, `{"summary":"3 × high-memory on Website in the last 30s","count":3,"types":{"high-memory":3},"services":["Website"],"projects":["Personal Blog"],"firstSeen":"2022-04-01T12:00:00Z","lastSeen":"2022-04-01T12:00:29Z","groupKey":"9f2c","kind":"grouped","alerts":[{"id":"a1","type":"alert:high-memory","receivedAt":"2022-04-01T12:00:00Z","data":{}}]}`},
	"unknown-type":      {"quota:exceeded", `{"project":{"id":"shop","name":"Shop"},"quota":"builds","used":1200,"limit":1000,"details":{"window":"30d","hard":true},"tags":["billing","limits"]}`},
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
		for name, ev := range goldenEvents {
			t.Run(r.name+"/"+name, func(t *testing.T) {
				req, err := r.ch.Render(Message{EventType: ev.typ, EventID: "evt-" + name, Data: json.RawMessage(ev.data), URL: r.url, Format: r.format})
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
	msg := Message{EventType: seed.typ, EventID: "e1", Data: json.RawMessage(seed.data)}
	s := RenderSlack(msg)
	if !strings.Contains(s.Text, "Build started · Website") || !strings.Contains(string(mustJSON(t, s)), "ca624ab") {
		t.Errorf("slack: %s", mustJSON(t, s))
	}
	d := RenderDiscord(msg)
	if d.Embeds[0].Color != ToneStarted.Colour() || len(d.AllowedMentions.Parse) != 0 || d.Embeds[0].Timestamp == "" {
		t.Errorf("discord: %s", mustJSON(t, d))
	}
	if !strings.Contains(string(mustJSON(t, d)), `"allowed_mentions":{"parse":[]}`) {
		t.Errorf("discord must send an empty allowed_mentions.parse: %s", mustJSON(t, d))
	}
	// Slack's reserved characters are escaped in mrkdwn.
	f := goldenEvents["build-failure"]
	out := string(mustJSON(t, RenderSlack(Message{EventType: f.typ, Data: json.RawMessage(f.data)})))
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
			{429, "rate_limited", ra("30"), herald.OutcomeRetry, 30 * time.Second},
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
			{429, `{"message":"You are being rate limited.","retry_after":1.5,"global":false}`, ra("2"), herald.OutcomeRetry, 1500 * time.Millisecond},
			{429, `{"message":"You are being rate limited.","retry_after":64.57,"global":true}`, nil, herald.OutcomeRetry, 64570 * time.Millisecond},
			{429, `{"retry_after":99999}`, nil, herald.OutcomeRetry, MaxRetryAfter},
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
			{429, "", ra("10"), herald.OutcomeRetry, 10 * time.Second},
			{502, "", nil, herald.OutcomeRetry, 0},
		}},
		{&Teams{}, TeamsMessageCard, []answer{
			{200, "1", nil, herald.OutcomeDelivered, 0},
			{200, "Summary or Text is required.", nil, herald.OutcomePermanent, 0},
			{200, "Microsoft Teams endpoint returned HTTP error 429 with ContextId x", nil, herald.OutcomeRetry, 0},
			{400, "Bad payload received by generic incoming webhook.", nil, herald.OutcomePermanent, 0},
			{403, "Forbidden", nil, herald.OutcomePermanent, 0},
			{410, "Connector configuration not found", nil, herald.OutcomeGone, 0},
			{429, "", ra("5"), herald.OutcomeRetry, 5 * time.Second},
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
