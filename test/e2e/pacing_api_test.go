package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/test/fakes"
	"github.com/heraldhq/herald/test/testenv"
)

// Bad delivery control is refused with a problem naming the field, on create
// and on PATCH, and changes nothing.
func TestDeliveryControlBadInput(t *testing.T) {
	s := testenv.NewStack(t)
	slack := fakes.NewSlack(t)
	v := createChat(t, s, "slack", "paced-chat", slack.URL("ok"), nil)
	bad := []struct {
		field string
		body  map[string]any
	}{
		{"rateLimit.count", map[string]any{"rateLimit": map[string]any{"count": 0, "per": "1s"}}},
		{"rateLimit.count", map[string]any{"rateLimit": map[string]any{"count": -2}}},
		{"rateLimit.burst", map[string]any{"rateLimit": map[string]any{"burst": 0}}},
		{"rateLimit.per", map[string]any{"rateLimit": map[string]any{"count": 1, "per": "soon"}}},
		{"rateLimit.per", map[string]any{"rateLimit": map[string]any{"count": 1, "per": 5}}},
		{"rateLimit.per", map[string]any{"rateLimit": map[string]any{"count": 1, "per": "0s"}}},
		{"rateLimit", map[string]any{"rateLimit": map[string]any{"rate": 3}}},
		{"maxInFlight", map[string]any{"maxInFlight": 0}},
		{"maxInFlight", map[string]any{"maxInFlight": -1}},
		{"ordering", map[string]any{"ordering": "lifo"}},
	}
	before := getIntegration(t, s, v.ID)
	for _, b := range bad {
		r := s.Do(t, http.MethodPatch, "/v1/integrations/"+v.ID, s.Key, b.body)
		if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), b.field) {
			t.Errorf("PATCH %v: %d %s, want 400 naming %s", b.body, r.Status, r.Body, b.field)
		}
		create := map[string]any{"name": "bad-pacing", "type": "slack", "url": slack.URL("ok"), "events": []string{"*"}}
		for k, val := range b.body {
			create[k] = val
		}
		r = s.Do(t, http.MethodPost, "/v1/integrations", s.Key, create)
		if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), b.field) {
			t.Errorf("create with %v: %d %s, want 400 naming %s", b.body, r.Status, r.Body, b.field)
		}
	}
	after := getIntegration(t, s, v.ID)
	if after.RateLimit != before.RateLimit || after.MaxInFlight != before.MaxInFlight || after.Ordering != before.Ordering || !after.UpdatedAt.Equal(before.UpdatedAt) {
		t.Errorf("refused patches changed the integration: %+v → %+v", before, after)
	}
	var page api.Page[api.IntegrationView]
	s.Do(t, http.MethodGet, "/v1/integrations", s.Key, nil).JSON(t, &page)
	if len(page.Data) != 1 {
		t.Errorf("%d integrations after refused creates, want 1", len(page.Data))
	}
}

// The defaults come from the platform; a PATCH changes them field by field,
// {} restores them, off removes pacing; the CLI sets the same fields.
func TestDeliveryControlViewsAndPatch(t *testing.T) {
	s := testenv.NewStack(t)
	slack := fakes.NewSlack(t)
	v := createChat(t, s, "slack", "paced-view", slack.URL("ok"), nil)
	if got := v.RateLimit; got != (api.RateLimitView{Count: 1, Per: "1s", Burst: 2}) || v.MaxInFlight != 0 || v.Ordering != "none" {
		t.Errorf("slack defaults: %+v, maxInFlight %d, ordering %s", got, v.MaxInFlight, v.Ordering)
	}
	hook := s.CreateIntegration(t, map[string]any{"name": "plain-hook", "type": "webhook", "url": testenv.NewReceiver(t).URL, "events": []string{"*"}})
	if !hook.RateLimit.Unlimited || hook.MaxInFlight != 10 {
		t.Errorf("webhook defaults: %+v, maxInFlight %d", hook.RateLimit, hook.MaxInFlight)
	}
	patch := func(body map[string]any) api.IntegrationView {
		t.Helper()
		r := s.Do(t, http.MethodPatch, "/v1/integrations/"+v.ID, s.Key, body)
		if r.Status != http.StatusOK {
			t.Fatalf("PATCH %v: %d %s", body, r.Status, r.Body)
		}
		var out api.IntegrationView
		r.JSON(t, &out)
		return out
	}
	if got := patch(map[string]any{"rateLimit": map[string]any{"count": 3}}).RateLimit; got != (api.RateLimitView{Count: 3, Per: "1s", Burst: 2, Custom: true}) {
		t.Errorf("count 3: %+v", got)
	}
	if got := patch(map[string]any{"rateLimit": map[string]any{"off": true}}).RateLimit; got != (api.RateLimitView{Unlimited: true, Custom: true}) {
		t.Errorf("off: %+v", got)
	}
	if got := patch(map[string]any{"rateLimit": map[string]any{}}).RateLimit; got != (api.RateLimitView{Count: 1, Per: "1s", Burst: 2}) {
		t.Errorf("{} restores the default: %+v", got)
	}
	if got := patch(map[string]any{"maxInFlight": 3, "ordering": "fifo"}); got.MaxInFlight != 3 || got.Ordering != "fifo" {
		t.Errorf("maxInFlight and ordering: %d %s", got.MaxInFlight, got.Ordering)
	}

	env := []string{"HERALD_URL=" + s.URL, "HERALD_API_KEY=" + s.Key}
	var out api.IntegrationView
	raw := mustHerald(t, env, "integrations", "update", v.ID, "--rate", "5/2s", "--burst", "1", "--max-in-flight", "4", "--ordering", "none", "-o", "json")
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	if out.RateLimit != (api.RateLimitView{Count: 5, Per: "2s", Burst: 1, Custom: true}) || out.MaxInFlight != 4 || out.Ordering != "none" {
		t.Errorf("after the CLI update: %+v", out)
	}
	if _, errOut, err := runHerald(t, env, "integrations", "update", v.ID, "--rate", "fast"); err == nil || !strings.Contains(errOut, "COUNT/PER") {
		t.Errorf("--rate fast: %v %s", err, errOut)
	}
	text := mustHerald(t, env, "integrations", "get", v.ID)
	if !strings.Contains(text, "5 per 2s, burst 1") || !strings.Contains(text, "max in flight") {
		t.Errorf("integrations get shows:\n%s", text)
	}
}
