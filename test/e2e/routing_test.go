package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/test/fakes"
	"github.com/heraldhq/herald/test/testenv"
)

func buildOn(branch, id string) map[string]any {
	return map[string]any{"id": id, "event": "build:failure", "data": map[string]any{
		"build": map[string]any{"id": id, "branch": branch}, "project": map[string]any{"id": "shop"}}}
}

// Two integrations with complementary filters: each gets only the events
// its filter passes, and the event's view says why the other did not.
func TestFiltersRouteByContent(t *testing.T) {
	s := testenv.NewStack(t)
	alerts, builds := testenv.NewReceiver(t), testenv.NewReceiver(t)
	a := s.CreateIntegration(t, map[string]any{"name": "alerts", "type": "webhook", "url": alerts.URL, "events": []string{"build:*"},
		"filter": `event.endsWith(":failure") && data.build.branch == "main"`})
	s.CreateIntegration(t, map[string]any{"name": "builds", "type": "webhook", "url": builds.URL, "events": []string{"build:*"},
		"filter": `!(has(data.build.branch) && data.build.branch == "main")`})
	if a.Filter == "" {
		t.Fatalf("the view does not show the filter: %+v", a)
	}
	for _, ev := range []map[string]any{buildOn("main", "evt-main-1"), buildOn("dev", "evt-dev-1"), buildOn("main", "evt-main-2")} {
		s.AwaitWorkflow(t, s.PostEvent(t, ev))
	}
	// A build without a branch: the first filter fails to evaluate (no
	// has()), which is "not matched", with the error as the reason.
	s.AwaitWorkflow(t, s.PostEvent(t, map[string]any{"id": "evt-nobranch", "event": "build:failure", "data": map[string]any{"build": map[string]any{"id": "x"}}}))

	if got := eventIDs(alerts.Requests()); !slices.Equal(got, []string{"evt-main-1", "evt-main-2"}) {
		t.Errorf("alerts got %v, want the two main builds", got)
	}
	if got := eventIDs(builds.Requests()); !slices.Equal(got, []string{"evt-dev-1", "evt-nobranch"}) {
		t.Errorf("builds got %v, want the dev build and the one without a branch", got)
	}
	var ev api.EventView
	s.Do(t, http.MethodGet, "/v1/events/evt-nobranch", s.Key, nil).JSON(t, &ev)
	if len(ev.Filtered) != 1 || ev.Filtered[0].IntegrationName != "alerts" || !strings.Contains(ev.Filtered[0].Reason, "no such key: branch") {
		t.Errorf("the event's view says %+v; want alerts filtered out for the missing branch", ev.Filtered)
	}
}

func eventIDs(rs []testenv.Received) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Header.Get("X-Northflank-Notification-Integration-Event-Id"))
	}
	slices.Sort(out)
	return out
}

// A filter that does not compile, or costs too much, is a 400 pointing at
// /filter with the position; so is a transform on a chat integration.
func TestBadFiltersAreRefused(t *testing.T) {
	s := testenv.NewStack(t)
	recv := testenv.NewReceiver(t)
	for _, c := range []struct {
		body    map[string]any
		pointer string
		detail  string
	}{
		{map[string]any{"filter": `data.build.branch ==`}, "/filter", "line 1, column 21: Syntax error"},
		{map[string]any{"filter": `event + 1`}, "/filter", "line 1, column 7: found no matching overload"},
		{map[string]any{"filter": `data.a.all(x, data.a.all(y, data.a.all(z, x == y)))`}, "/filter", "estimated cost over the largest event"},
		{map[string]any{"transform": `"text"`}, "/transform", "a transform yields an object"},
		{map[string]any{"template": map[string]any{"text": "{{.event}}"}}, "/template", "is for chat integrations"},
	} {
		body := map[string]any{"name": "bad", "type": "webhook", "url": recv.URL, "events": []string{"*"}}
		for k, v := range c.body {
			body[k] = v
		}
		r := s.Do(t, http.MethodPost, "/v1/integrations", s.Key, body)
		var p api.Problem
		r.JSON(t, &p)
		if r.Status != http.StatusBadRequest || len(p.Errors) != 1 || p.Errors[0].Pointer != c.pointer || !strings.Contains(p.Errors[0].Detail, c.detail) {
			t.Errorf("%v: %d %s; want 400 at %s saying %q", c.body, r.Status, r.Body, c.pointer, c.detail)
		}
	}
	slack := fakes.NewSlack(t)
	r := s.Do(t, http.MethodPost, "/v1/integrations", s.Key, map[string]any{"name": "bad", "type": "slack", "url": slack.URL("ok"),
		"events": []string{"*"}, "template": map[string]any{"text": "{{.data.x"}})
	var p api.Problem
	r.JSON(t, &p)
	if r.Status != http.StatusBadRequest || len(p.Errors) != 1 || p.Errors[0].Pointer != "/template/text" || !strings.Contains(p.Detail, "text:1: unclosed action") {
		t.Errorf("bad template: %d %s", r.Status, r.Body)
	}
}

// A template's literal mention is markup; the same text from the event's
// data arrives escaped, as the fake platforms' parsers read them.
func TestTemplatesKeepTheAuthorsMarkupOnly(t *testing.T) {
	s := testenv.NewStack(t)
	slack, discord := fakes.NewSlack(t), fakes.NewDiscord(t)
	createChat(t, s, "slack", "slack-tpl", slack.URL("ok"), map[string]any{"events": []string{"build:*"},
		"template": map[string]any{"title": "{{.data.build.branch}} failed", "text": "<!subteam^S0ONCALL> {{.data.who}} on {{link .data.url .data.build.branch}}"}})
	createChat(t, s, "discord", "discord-tpl", discord.URL("ok"), map[string]any{"events": []string{"build:*"},
		"template": map[string]any{"title": "{{.data.build.branch}} failed", "text": "<@&111> {{.data.who}} {{.data.ping}}"}})
	data := map[string]any{"build": map[string]any{"id": "b1", "branch": "main"}, "who": "<!subteam^S0ONCALL> <@&111>",
		"ping": "<@&111> @everyone", "url": "https://ci.example/b1"}
	if res := s.AwaitWorkflow(t, s.PostEvent(t, map[string]any{"event": "build:failure", "data": data})); res.Status != contract.StatusDelivered {
		t.Fatalf("result %+v (slack rejected %v, discord rejected %v)", res, slack.Rejected(), discord.Rejected())
	}
	sl := last(slack.Accepted())
	controls, err := fakes.SlackControls(sl)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range controls {
		if c != "<!subteam^S0ONCALL>" && c != "<https://ci.example/b1|main>" {
			t.Errorf("slack: live control %q: only the template's mention and link may be", c)
		}
	}
	var msg struct{ Text string }
	if err := json.Unmarshal(sl, &msg); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(msg.Text, "&lt;!subteam^S0ONCALL&gt;") || len(controls) < 2 {
		t.Errorf("slack message %s: want the template's mention and link live and the data's escaped", sl)
	}
	dc := last(discord.Accepted())
	mentions, err := fakes.DiscordMentions(dc)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(mentions, []string{"<@&111>"}) {
		t.Errorf("discord mentions %v in %s: want the template's one alone", mentions, dc)
	}
	if live, _ := fakes.DiscordLiveMarkup(dc); slices.ContainsFunc(live, func(s string) bool { return strings.Contains(s, "@everyone") }) {
		t.Errorf("discord: %v", live)
	}
}

func last(bodies []json.RawMessage) []byte {
	if len(bodies) == 0 {
		return nil
	}
	return bodies[len(bodies)-1]
}

// A template whose output is far past the platform's limits still makes a
// message the platform accepts (the fakes check every documented limit).
func TestTemplatesHoldThePlatformsLimits(t *testing.T) {
	s := testenv.NewStack(t)
	slack, discord := fakes.NewSlack(t), fakes.NewDiscord(t)
	long := map[string]any{"title": strings.Repeat("{{.data.word}}", 50), "text": "{{range .data.items}}{{.}} <b>{{end}}"}
	createChat(t, s, "slack", "slack-long", slack.URL("ok"), map[string]any{"events": []string{"build:*"}, "template": long})
	createChat(t, s, "discord", "discord-long", discord.URL("ok"), map[string]any{"events": []string{"build:*"}, "template": long})
	items := make([]string, 100)
	for i := range items {
		items[i] = strings.Repeat("é<", 60)
	}
	res := s.AwaitWorkflow(t, s.PostEvent(t, map[string]any{"event": "build:start", "data": map[string]any{"word": "wörd-", "items": items}}))
	if res.Status != contract.StatusDelivered {
		t.Fatalf("result %+v (slack rejected %v, discord rejected %v)", res, slack.Rejected(), discord.Rejected())
	}
	for _, body := range [][]byte{last(slack.Accepted()), last(discord.Accepted())} {
		if !bytes.Contains(body, []byte("…")) || bytes.Contains(body, []byte("\ufffd")) {
			t.Errorf("want a rune-aware cut marked with an ellipsis: %.300s", body)
		}
	}
}

// A transform's body is what the receiver gets, signed over that body
// (verified by the Standard Webhooks library); the event headers stay.
// The preview of the same event is that body, byte for byte, and leaves
// nothing behind.
func TestTransformAndPreviewAreTheRequest(t *testing.T) {
	s := testenv.NewStack(t)
	recv := testenv.NewReceiver(t)
	v := s.CreateIntegration(t, map[string]any{"name": "shaped", "type": "webhook", "url": recv.URL, "events": []string{"build:*"},
		"generateSecret": true, "transform": `{"text": data.build.branch + " failed", "build": data.build.id, "kind": event}`})
	ev := buildOn("main", "evt-shaped")
	var pv api.Preview
	r := s.Do(t, http.MethodPost, "/v1/integrations/"+v.ID+"/preview", s.Key, map[string]any{"event": ev["event"], "data": ev["data"]})
	r.JSON(t, &pv)
	if r.Status != http.StatusOK || !pv.Matched || pv.Request.Method != http.MethodPost {
		t.Fatalf("preview %d %s", r.Status, r.Body)
	}
	if tok := pv.Request.Headers["X-Northflank-Notification-Integration-Token"]; len(tok) != 1 || tok[0] == v.Secret {
		t.Errorf("the preview shows the token %q: want it masked", tok)
	}
	var rows int
	countRows := func() int {
		var n int
		if err := s.Store.DB().QueryRowContext(context.Background(), `SELECT (SELECT count(*) FROM events) + (SELECT count(*) FROM attempts) + (SELECT count(*) FROM audit_log WHERE action NOT LIKE 'integration.create%')`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	rows = countRows()
	if len(recv.Requests()) != 0 {
		t.Fatalf("the preview sent %d requests", len(recv.Requests()))
	}

	s.AwaitWorkflow(t, s.PostEvent(t, ev))
	got := recv.Requests()[0]
	if string(got.Body) != pv.Request.Body {
		t.Errorf("receiver got %s\npreview said %s", got.Body, pv.Request.Body)
	}
	if string(got.Body) != `{"build":"evt-shaped","kind":"build:failure","text":"main failed"}` {
		t.Errorf("body %s", got.Body)
	}
	wh, err := standardwebhooks.NewWebhook(v.Secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := wh.Verify(got.Body, got.Header); err != nil {
		t.Errorf("Standard Webhooks verification of the transformed body: %v", err)
	}
	if got.Header.Get("X-Northflank-Notification-Integration-Event-Type") != "build:failure" {
		t.Errorf("event type header %q", got.Header.Get("X-Northflank-Notification-Integration-Event-Type"))
	}
	if n := countRows(); n != rows+2 {
		t.Errorf("rows %d → %d: the preview left rows behind (the event makes 1 event and 1 attempt)", rows, n)
	}

	// The unsaved settings' preview, and a past event's by id, agree.
	var unsaved, byID api.Preview
	s.Do(t, http.MethodPost, "/v1/integrations/preview", s.Key, map[string]any{"integration": map[string]any{"name": "draft", "type": "webhook",
		"url": recv.URL, "events": []string{"deployment:*"}, "transform": `{"text": data.build.branch + " failed", "build": data.build.id, "kind": event}`},
		"event": ev["event"], "data": ev["data"]}).JSON(t, &unsaved)
	if unsaved.Matched || !strings.Contains(unsaved.Reason, "does not subscribe to build:failure") || unsaved.Request.Body != pv.Request.Body {
		t.Errorf("unsaved preview %+v", unsaved)
	}
	s.Do(t, http.MethodPost, "/v1/integrations/"+v.ID+"/preview", s.Key, map[string]any{"eventId": "evt-shaped"}).JSON(t, &byID)
	if byID.Request.Body != string(got.Body) {
		t.Errorf("preview by id %s", byID.Request.Body)
	}
	// A transform that yields no object is a 400 at preview.
	r = s.Do(t, http.MethodPost, "/v1/integrations/preview", s.Key, map[string]any{"integration": map[string]any{"name": "draft", "type": "webhook",
		"url": recv.URL, "events": []string{"*"}, "transform": `data.build`}, "event": "build:start", "data": map[string]any{"build": "b"}})
	if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "did not yield an object") {
		t.Errorf("non-object transform: %d %s", r.Status, r.Body)
	}
	if d := s.Delivery(t, recvDelivery(t, s, "evt-shaped")); d.Status != herald.DeliveryDelivered {
		t.Errorf("delivery %+v", d)
	}
}

func recvDelivery(t *testing.T, s *testenv.Stack, eventID string) string {
	t.Helper()
	var ev api.EventView
	s.Do(t, http.MethodGet, "/v1/events/"+eventID, s.Key, nil).JSON(t, &ev)
	if len(ev.Deliveries) != 1 {
		t.Fatalf("event %s has %d deliveries", eventID, len(ev.Deliveries))
	}
	return ev.Deliveries[0].ID
}
