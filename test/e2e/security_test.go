package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/test/testenv"
)

// route is one /v1 call with placeholders for object ids.
type route struct {
	method, path string
	body         any
	scope        string // the scope it needs
}

func allRoutes() []route {
	return []route{
		{"POST", "/v1/events", map[string]any{"event": "build:start"}, "ingest"},
		{"POST", "/v1/events/batch", map[string]any{"events": []any{map[string]any{"event": "build:start"}}}, "ingest"},
		{"GET", "/v1/events", nil, "manage"},
		{"GET", "/v1/events/{event}", nil, "manage"},
		{"POST", "/v1/integrations", map[string]any{"name": "scoped", "type": "webhook", "url": "https://example.com/x", "events": []string{"*"}}, "manage"},
		{"GET", "/v1/integrations", nil, "manage"},
		{"GET", "/v1/integrations/{integration}", nil, "manage"},
		{"PATCH", "/v1/integrations/{integration}", map[string]any{"name": "hijacked"}, "manage"},
		{"POST", "/v1/integrations/{integration}/test", nil, "manage"},
		{"POST", "/v1/integrations/{integration}/rotate-secret", nil, "manage"},
		{"POST", "/v1/integrations/{integration}/disable", map[string]any{"reason": "hijacked"}, "manage"},
		{"POST", "/v1/integrations/{integration}/enable", nil, "manage"},
		{"GET", "/v1/integrations/{integration}/deliveries", nil, "manage"},
		{"POST", "/v1/integrations/{integration}/resend", map[string]any{"status": "delivered"}, "manage"},
		{"GET", "/v1/resends/{resend}", nil, "manage"},
		{"DELETE", "/v1/resends/{resend}", nil, "manage"},
		{"GET", "/v1/deliveries/{delivery}", nil, "manage"},
		{"POST", "/v1/deliveries/{delivery}/resend", nil, "manage"},
		{"GET", "/v1/slack/install?integration={integration}", nil, "manage"},
		{"DELETE", "/v1/integrations/{integration}", nil, "manage"},
		{"GET", "/v1/teams", nil, "admin"},
		{"POST", "/v1/teams", map[string]any{"name": "another"}, "admin"},
		{"GET", "/v1/keys", nil, "admin"},
		{"POST", "/v1/keys", map[string]any{"scopes": []string{"ingest"}}, "admin"},
		{"DELETE", "/v1/keys/{key}", nil, "admin"},
	}
}

func (r route) fill(ids map[string]string) string {
	p := r.path
	for k, v := range ids {
		p = strings.ReplaceAll(p, "{"+k+"}", v)
	}
	return p
}

// dbFingerprint hashes every row of every table.
func dbFingerprint(t *testing.T, s *testenv.Stack) string {
	t.Helper()
	var out []string
	for _, table := range []string{"teams", "api_keys", "integrations", "integration_subscriptions", "events", "deliveries", "attempts"} {
		var h string
		q := fmt.Sprintf(`SELECT coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM %s t`, table)
		if err := s.Store.DB().QueryRow(q).Scan(&h); err != nil {
			t.Fatal(err)
		}
		out = append(out, table+"="+h)
	}
	return strings.Join(out, " ")
}

func slackConfigured(c *config.Config) {
	c.SlackClientID, c.SlackClientSecret = "cid", "csecret"
}

// Team B's key on every route against team A's objects: 404 (403 where the
// scope is missing), and the database is unchanged.
func TestTenancyEveryRoute(t *testing.T) {
	s := testenv.NewStack(t, slackConfigured)
	recv := testenv.NewReceiver(t)
	integ := s.CreateIntegration(t, map[string]any{"name": "team-a-hook", "type": "webhook", "url": recv.URL + "/a", "events": []string{"*"}, "generateSecret": true})
	res := s.AwaitWorkflow(t, s.PostEvent(t, map[string]any{"id": "a-event", "event": "build:start"}))
	r := s.Do(t, http.MethodPost, "/v1/integrations/"+integ.ID+"/resend", s.Key, map[string]any{"status": "failed"})
	var resend struct{ ID string }
	r.JSON(t, &resend)
	var keyID string
	if err := s.Store.DB().QueryRow(`SELECT id FROM api_keys WHERE team_id = $1`, s.Team).Scan(&keyID); err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{"integration": integ.ID, "event": "a-event", "delivery": res.Deliveries[0].DeliveryID, "resend": resend.ID, "key": keyID}
	_, otherKey := testenv.Team(t, s.Store, "ingest", "manage")

	before := dbFingerprint(t, s)
	requests := len(recv.Requests())
	for _, rt := range allRoutes() {
		if !strings.Contains(rt.path, "{") {
			continue // routes without another team's object id are checked below
		}
		want := http.StatusNotFound
		if rt.scope == "admin" {
			want = http.StatusForbidden
		}
		r := s.Do(t, rt.method, rt.fill(ids), otherKey, rt.body)
		if r.Status != want {
			t.Errorf("%s %s with another team's key: %d, want %d: %s", rt.method, rt.path, r.Status, want, r.Body)
		}
	}
	if after := dbFingerprint(t, s); after != before {
		t.Errorf("another team's requests changed the database:\n before %s\n after  %s", before, after)
	}
	if len(recv.Requests()) != requests {
		t.Error("another team's requests reached team A's receiver")
	}
	// Lists show none of team A's objects.
	for _, path := range []string{"/v1/integrations", "/v1/events"} {
		r := s.Do(t, http.MethodGet, path, otherKey, nil)
		if r.Status != 200 || strings.Contains(string(r.Body), integ.ID) || strings.Contains(string(r.Body), "a-event") {
			t.Errorf("%s for another team: %d %s", path, r.Status, r.Body)
		}
	}
	// The same event id from another team is that team's own event.
	r = s.Do(t, http.MethodPost, "/v1/events", otherKey, map[string]any{"id": "a-event", "event": "build:start"})
	var acc struct{ WorkflowID string }
	r.JSON(t, &acc)
	if r.Status != 202 || strings.Contains(acc.WorkflowID, s.Team) {
		t.Errorf("same id, other team: %d %s", r.Status, r.Body)
	}
}

// Every route × every scope; a revoked key fails everywhere.
func TestScopesEveryRoute(t *testing.T) {
	s := testenv.NewStack(t, slackConfigured)
	keys := map[string]string{}
	for _, sc := range []string{"ingest", "manage", "admin"} {
		_, keys[sc] = teamKey(t, s, sc)
	}
	// Ids that do not exist: an allowed call answers 404 or 400, never 401/403.
	ids := map[string]string{"integration": "int_none", "event": "none", "delivery": "dlv_none", "resend": "rsnd_none", "key": "key_none"}
	for _, rt := range allRoutes() {
		for scope, key := range keys {
			r := s.Do(t, rt.method, rt.fill(ids), key, rt.body)
			allowed := scope == rt.scope || scope == "admin"
			switch {
			case allowed && (r.Status == 401 || r.Status == 403):
				t.Errorf("%s %s with %s: %d, want allowed: %s", rt.method, rt.path, scope, r.Status, r.Body)
			case !allowed && r.Status != 403:
				t.Errorf("%s %s with %s: %d, want 403", rt.method, rt.path, scope, r.Status)
			}
		}
	}

	// A key revoked through the admin API fails on its next request.
	admin := keys["admin"]
	r := s.Do(t, http.MethodPost, "/v1/keys", admin, map[string]any{"teamId": s.Team, "name": "short-lived", "scopes": []string{"manage"}})
	var created struct{ ID, Key string }
	r.JSON(t, &created)
	if r.Status != 201 || !strings.HasPrefix(created.Key, "hk_") {
		t.Fatalf("create key: %d %s", r.Status, r.Body)
	}
	if r := s.Do(t, http.MethodGet, "/v1/integrations", created.Key, nil); r.Status != 200 {
		t.Fatalf("new key: %d", r.Status)
	}
	list := s.Do(t, http.MethodGet, "/v1/keys?teamId="+s.Team, admin, nil)
	if list.Status != 200 || strings.Contains(string(list.Body), created.Key) || !strings.Contains(string(list.Body), created.ID) {
		t.Errorf("key list must show ids and prefixes, never keys: %s", list.Body)
	}
	if r := s.Do(t, http.MethodDelete, "/v1/keys/"+created.ID, admin, nil); r.Status != 200 {
		t.Fatalf("revoke: %d %s", r.Status, r.Body)
	}
	for _, rt := range allRoutes() {
		if r := s.Do(t, rt.method, rt.fill(ids), created.Key, rt.body); r.Status != 401 {
			t.Errorf("revoked key on %s %s: %d", rt.method, rt.path, r.Status)
		}
	}
}

func teamKey(t *testing.T, s *testenv.Stack, scopes ...string) (string, string) {
	t.Helper()
	return testenv.TeamWithKey(t, s.Store, s.Team, scopes...)
}
