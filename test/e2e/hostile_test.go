package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/test/fakes"
	"github.com/heraldhq/herald/test/testenv"
)

// An event whose every field is written to ping, link or format reaches each
// chat platform through the whole stack as text: every fake accepts the
// message and its markup reader finds nothing live in it.
func TestHostileEventReachesEveryChatAsText(t *testing.T) {
	s := testenv.NewStack(t)
	slack, discord, teams := fakes.NewSlack(t), fakes.NewDiscord(t), fakes.NewTeams(t)
	type platform struct {
		name     string
		url      string
		accepted func() []json.RawMessage
		live     func([]byte) ([]string, error)
	}
	platforms := []platform{
		{"slack", slack.URL("ok"), slack.Accepted, fakes.SlackLiveMarkup},
		{"discord", discord.URL("ok"), discord.Accepted, fakes.DiscordLiveMarkup},
		{"teams", teams.WorkflowsURL("ok"), func() []json.RawMessage { return onlyWith(teams.Accepted(), "AdaptiveCard") }, fakes.AdaptiveLiveMarkup},
		{"teams", teams.ConnectorURL("ok"), func() []json.RawMessage { return onlyWith(teams.Accepted(), "MessageCard") }, fakes.MessageCardLiveMarkup},
	}
	for i, p := range platforms {
		createChat(t, s, p.name, "hostile-"+p.name+string(rune('a'+i)), p.url, map[string]any{"events": []string{"build:*"}})
	}
	before := make([]int, len(platforms))
	for i, p := range platforms {
		before[i] = len(p.accepted())
	}
	h := "<!channel> <@U0ADMIN> <https://evil.example|click> [click](https://evil.example) @everyone **bold** ||spoiler|| {{DATE(2017-02-14T06:00:00Z, SHORT)}}\n- item\n1. first\n> quote"
	data := map[string]any{
		"build":   map[string]any{"id": "b-1", "branch": h, "sha": h, "message": h, "status": "FAILURE"},
		"service": map[string]any{"id": "svc", "name": h}, "project": map[string]any{"id": "proj", "name": h},
		"user": map[string]any{"id": "u", "name": h}, "reason": h,
	}
	s.AwaitWorkflow(t, s.PostEvent(t, map[string]any{"id": "hostile-1", "event": "build:failure", "data": data}))
	for i, p := range platforms {
		testenv.Await(t, p.name+" receives the event", func() bool { return len(p.accepted()) > before[i] })
		for _, body := range p.accepted() {
			live, err := p.live(body)
			if err != nil {
				t.Fatalf("%s: %v", p.name, err)
			}
			for _, l := range live {
				t.Errorf("%s (%s): live markup from the event's data: %s", p.name, p.url, l)
			}
		}
		if got := string(p.accepted()[before[i]]); !strings.Contains(got, "click") {
			t.Errorf("%s: the hostile text is not shown: %s", p.name, got)
		}
	}
	for _, rejected := range [][]string{slack.Rejected(), discord.Rejected(), teams.Rejected()} {
		if len(rejected) != 0 {
			t.Errorf("a fake platform refused a message: %v", rejected)
		}
	}
}

// onlyWith keeps the bodies that contain marker.
func onlyWith(bodies []json.RawMessage, marker string) []json.RawMessage {
	var out []json.RawMessage
	for _, b := range bodies {
		if strings.Contains(string(b), marker) {
			out = append(out, b)
		}
	}
	return out
}

// The gateway's resources: nesting, batch bounds, unknown fields, oversize
// headers; every refusal a problem document, internals never shown.
func TestHostileInput(t *testing.T) {
	s := testenv.NewStack(t)
	deep := strings.Repeat(`{"a":`, 65) + `1` + strings.Repeat(`}`, 65)
	for _, c := range []struct {
		name, path, body string
		status           int
		detail           string
	}{
		{"nesting", "/v1/events", `{"event":"build:start","data":` + deep + `}`, 400, "nests more than 64 levels"},
		{"batch too large", "/v1/events/batch", `{"events":[` + strings.TrimSuffix(strings.Repeat(`{"event":"a:b"},`, 101), ",") + `]}`, 413, "at most 100"},
		{"empty batch", "/v1/events/batch", `{"events":[]}`, 400, "at least one"},
		{"unknown field in batch", "/v1/events/batch", `{"events":[],"extra":1}`, 400, "unknown field"},
		{"NUL escape", "/v1/events", `{"event":"build:start","data":{"a":"\u0000"}}`, 400, "NUL"},
		{"a number beyond float64", "/v1/events", `{"event":"build:start","data":{"a":1e400}}`, 400, "beyond the range"},
	} {
		r := s.Do(t, http.MethodPost, c.path, s.Key, c.body)
		if r.Status != c.status || !strings.Contains(string(r.Body), c.detail) || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json") {
			t.Errorf("%s: %d %s", c.name, r.Status, r.Body)
		}
	}
	// A batch answers per event.
	r := s.Do(t, http.MethodPost, "/v1/events/batch", s.Key, `{"events":[{"id":"b1","event":"build:start"},{"event":"Not Valid"},{"id":"b2","event":"build:success","data":[]}]}`)
	var batch api.Batch
	r.JSON(t, &batch)
	if r.Status != http.StatusMultiStatus || len(batch.Results) != 3 || batch.Results[0].Status != 202 || batch.Results[0].ID != "b1" ||
		batch.Results[1].Status != 400 || batch.Results[2].Status != 400 || batch.Results[2].Problem == nil {
		t.Errorf("batch: %d %s", r.Status, r.Body)
	}
	// Oversize headers: a problem, not a dropped connection.
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/v1/integrations", nil)
	req.Header.Set("Authorization", "Bearer "+s.Key)
	req.Header.Set("X-Padding", strings.Repeat("p", 16<<10))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
		t.Errorf("oversize headers: %d %s", resp.StatusCode, body)
	}
	// Internals never show: an unknown route, a bad method.
	for _, r := range []testenv.Response{s.Do(t, http.MethodGet, "/v1/../../etc/passwd", s.Key, nil), s.Do(t, http.MethodPut, "/v1/events", s.Key, nil)} {
		if r.Status < 400 || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json") || strings.Contains(string(r.Body), "goroutine") {
			t.Errorf("%d %s", r.Status, r.Body)
		}
	}
}

// Each API key has its own bucket (here one request an hour, five at once:
// no refill can come during the test): the sixth request is a 429 with
// Retry-After, on ingest and management routes alike; another key of the
// same team is not affected.
func TestRateLimitPerKey(t *testing.T) {
	s := testenv.NewStack(t, func(c *config.Config) { c.RateLimit, c.RateBurst = 1.0/3600, 5 })
	_, other := testenv.TeamWithKey(t, s.Store, s.Team, "ingest", "manage")
	for _, path := range []string{"/v1/integrations", "/v1/events"} {
		key := s.Key
		if path == "/v1/events" {
			key = other
		}
		var limited testenv.Response
		for i := range 6 {
			if path == "/v1/events" {
				limited = s.Do(t, http.MethodPost, path, key, `{"event":"build:start"}`)
			} else {
				limited = s.Do(t, http.MethodGet, path, key, nil)
			}
			if i < 5 && limited.Status >= 400 {
				t.Fatalf("%s request %d: %d %s", path, i, limited.Status, limited.Body)
			}
		}
		ra, _ := strconv.Atoi(limited.Header.Get("Retry-After"))
		if limited.Status != http.StatusTooManyRequests || ra < 1 || !strings.Contains(string(limited.Body), "rate") {
			t.Errorf("%s, the 6th request: %d Retry-After %q %s", path, limited.Status, limited.Header.Get("Retry-After"), limited.Body)
		}
	}
	_, third := testenv.TeamWithKey(t, s.Store, s.Team, "manage")
	if r := s.Do(t, http.MethodGet, "/v1/integrations", third, nil); r.Status != http.StatusOK {
		t.Errorf("another key: %d", r.Status)
	}
}
