package e2e

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/test/testenv"
)

// route is one /v1 call with placeholders for object ids.
type route struct {
	method, path string
	body         any
	scope        string // the scope it needs: one, or several as "manage|owner"
}

// allows says whether a key with scope may call the route (admin holds all).
func (r route) allows(scope string) bool {
	return scope == "admin" || slices.Contains(strings.Split(r.scope, "|"), scope)
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
		{"POST", "/v1/integrations/{integration}/preview", map[string]any{"event": "build:start", "data": map[string]any{}}, "manage"},
		{"POST", "/v1/integrations/preview", map[string]any{"integration": map[string]any{"name": "draft", "type": "webhook", "url": "https://example.com/x", "events": []string{"*"}},
			"event": "build:start", "data": map[string]any{}}, "manage"},
		{"GET", "/v1/integrations/{integration}/stats", nil, "manage"},
		{"POST", "/v1/integrations/{integration}/replay", map[string]any{"since": "2026-01-01T00:00:00Z"}, "manage"},
		{"GET", "/v1/replays/{replay}", nil, "manage"},
		{"DELETE", "/v1/replays/{replay}", nil, "manage"},
		{"GET", "/v1/deliveries", nil, "manage"},
		{"GET", "/v1/deliveries/{delivery}", nil, "manage"},
		{"POST", "/v1/deliveries/{delivery}/resend", nil, "manage"},
		{"GET", "/v1/slack/install?integration={integration}", nil, "manage"},
		{"DELETE", "/v1/integrations/{integration}", nil, "manage"},
		{"GET", "/v1/teams", nil, "admin"},
		{"POST", "/v1/teams", map[string]any{"name": "another"}, "admin"},
		{"GET", "/v1/keys", nil, "owner"},
		{"POST", "/v1/keys", map[string]any{"scopes": []string{"owner"}}, "owner"},
		{"DELETE", "/v1/keys/{key}", nil, "owner"},
		{"GET", "/v1/alert-policy", nil, "manage|owner"},
		{"PUT", "/v1/alert-policy", map[string]any{"groupBy": []string{"project"}}, "manage|owner"},
		{"GET", "/v1/audit", nil, "manage|owner"},
		{"GET", "/v1/team", nil, "manage|owner"},
		{"PATCH", "/v1/team", map[string]any{"validateData": false}, "manage|owner"},
		{"GET", "/v1/event-types", nil, "manage"},
		{"POST", "/v1/event-types", map[string]any{"name": "scoped:type", "schema": map[string]any{"type": "object"}}, "manage"},
		{"GET", "/v1/event-types/{eventtype}", nil, "manage"},
		{"PATCH", "/v1/event-types/{eventtype}", map[string]any{"description": "hijacked"}, "manage"},
		{"DELETE", "/v1/event-types/{eventtype}", nil, "manage"},
		{"POST", "/codec/decode", map[string]any{"payloads": []any{}}, "manage"},
		{"POST", "/codec/encode", map[string]any{"payloads": []any{}}, "manage"},
	}
}

// The route table above is every route the gateway serves, so the matrices
// that walk it (scopes, tenancy, audit, fuzz) miss none.
func TestRouteTableIsComplete(t *testing.T) {
	s := testenv.NewStack(t, slackConfigured)
	shape := func(method, path string) string {
		path, _, _ = strings.Cut(path, "?")
		segs := strings.Split(path, "/")
		for i, seg := range segs {
			if strings.HasPrefix(seg, ":") || strings.HasPrefix(seg, "{") {
				segs[i] = "*"
			}
		}
		return method + " " + strings.Join(segs, "/")
	}
	table := map[string]bool{}
	for _, rt := range allRoutes() {
		table[shape(rt.method, rt.path)] = true
	}
	// Reached by a browser with a signed state, not a key: tested in slack_oauth_test.go.
	unkeyed := map[string]bool{"GET /v1/slack/oauth/callback": true, "GET /v1/slack/begin": true,
		// The API's contract is public: tested in contract_test.go.
		"GET /v1/openapi.json": true,
		// The Web UI's codec with the key in its path: the same handlers as /codec/*.
		"POST /codec/*/decode": true, "POST /codec/*/encode": true}
	served := s.Gateway.Routes()
	if len(served) < 20 {
		t.Fatalf("the gateway lists %d routes: %v", len(served), served)
	}
	for _, r := range served {
		method, path, _ := strings.Cut(r, " ")
		if method == http.MethodOptions {
			continue // CORS preflights for the Web UI's codec: no key by design
		}
		if k := shape(method, path); !table[k] && !unkeyed[k] {
			t.Errorf("%s is served but not in allRoutes(): the scope, tenancy and audit matrices miss it", r)
		}
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
	for _, table := range []string{"teams", "api_keys", "integrations", "integration_subscriptions", "events", "deliveries", "attempts", "audit_log", "event_types"} {
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
	c.PayloadKey = "k1:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32)) // mounts /codec
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
	r = s.Do(t, http.MethodPost, "/v1/integrations/"+integ.ID+"/replay", s.Key, map[string]any{"since": "2026-01-01T00:00:00Z"})
	var replay struct{ ID string }
	r.JSON(t, &replay)
	var keyID string
	if err := s.Store.DB().QueryRow(`SELECT id FROM api_keys WHERE team_id = $1`, s.Team).Scan(&keyID); err != nil {
		t.Fatal(err)
	}
	if r := s.Do(t, http.MethodPost, "/v1/event-types", s.Key, map[string]any{"name": "team-a:own", "schema": map[string]any{"type": "object"}}); r.Status != http.StatusCreated {
		t.Fatalf("register team A's type: %d %s", r.Status, r.Body)
	}
	ids := map[string]string{"integration": integ.ID, "event": "a-event", "delivery": res.Deliveries[0].DeliveryID, "resend": resend.ID, "replay": replay.ID, "key": keyID, "eventtype": "team-a:own"}
	_, otherKey := testenv.Team(t, s.Store, "ingest", "manage", "owner")

	before := dbFingerprint(t, s)
	requests := len(recv.Requests())
	for _, rt := range allRoutes() {
		if !strings.Contains(rt.path, "{") {
			continue // routes without another team's object id are checked below
		}
		want := http.StatusNotFound
		if !rt.allows("manage") && !rt.allows("owner") && !rt.allows("ingest") {
			want = http.StatusForbidden // the operator's routes
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
	for _, sc := range []string{"ingest", "manage", "owner", "admin"} {
		_, keys[sc] = teamKey(t, s, sc)
	}
	// Ids that do not exist: an allowed call answers 404 or 400, never 401/403.
	ids := map[string]string{"integration": "int_none", "event": "none", "delivery": "dlv_none", "resend": "rsnd_none", "replay": "rpl_none", "key": "key_none", "eventtype": "none:none"}
	for _, rt := range allRoutes() {
		for scope, key := range keys {
			r := s.Do(t, rt.method, rt.fill(ids), key, rt.body)
			allowed := rt.allows(scope)
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
	// A revoked key is a key that does not exist: each try counts toward
	// the unknown-key limit of this client address (30, then 1/s), so past
	// it the answer is 429 before any lookup. Either way nothing is served.
	for i, rt := range allRoutes() {
		r := s.Do(t, rt.method, rt.fill(ids), created.Key, rt.body)
		switch {
		case r.Status == 401:
		case r.Status == 429 && i >= 30-8: // the limit, give or take the tries above that failed
		default:
			t.Errorf("revoked key on %s %s (try %d): %d", rt.method, rt.path, i+1, r.Status)
		}
	}
}

func teamKey(t *testing.T, s *testenv.Stack, scopes ...string) (string, string) {
	t.Helper()
	return testenv.TeamWithKey(t, s.Store, s.Team, scopes...)
}

// An owner key manages its own team's keys and alert policy: it creates keys
// with at most its own scopes, lists and revokes them, and finds nothing of
// another team (404), which is left as it was.
func TestOwnerManagesItsOwnTeamsKeys(t *testing.T) {
	s := testenv.NewStack(t)
	_, owner := teamKey(t, s, "owner", "manage")
	_, ownerOnly := teamKey(t, s, "owner")
	otherTeam, otherKey := testenv.Team(t, s.Store, "manage")
	var otherKeyID string
	if err := s.Store.DB().QueryRow(`SELECT id FROM api_keys WHERE team_id = $1`, otherTeam).Scan(&otherKeyID); err != nil {
		t.Fatal(err)
	}
	count := func() (n int) {
		if err := s.Store.DB().QueryRow(`SELECT count(*) FROM api_keys`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	r := s.Do(t, http.MethodPost, "/v1/keys", owner, map[string]any{"name": "ci", "scopes": []string{"manage"}})
	var made struct{ ID, TeamID, Key string }
	r.JSON(t, &made)
	if r.Status != http.StatusCreated || made.TeamID != s.Team || !strings.HasPrefix(made.Key, "hk_") {
		t.Fatalf("owner creates a key: %d %s", r.Status, r.Body)
	}
	if r := s.Do(t, http.MethodGet, "/v1/integrations", made.Key, nil); r.Status != http.StatusOK {
		t.Errorf("the new manage key: %d", r.Status)
	}
	list := s.Do(t, http.MethodGet, "/v1/keys", owner, nil)
	if list.Status != http.StatusOK || !strings.Contains(string(list.Body), made.ID) || strings.Contains(string(list.Body), made.Key) || strings.Contains(string(list.Body), otherKeyID) {
		t.Errorf("owner lists its team's keys (ids, never keys; no other team's): %d %s", list.Status, list.Body)
	}
	if r := s.Do(t, http.MethodDelete, "/v1/keys/"+made.ID, owner, nil); r.Status != http.StatusOK {
		t.Fatalf("owner revokes: %d %s", r.Status, r.Body)
	}
	if r := s.Do(t, http.MethodGet, "/v1/integrations", made.Key, nil); r.Status != http.StatusUnauthorized {
		t.Errorf("the revoked key: %d", r.Status)
	}

	// No scope it lacks, and nothing stored for a refused request.
	before := count()
	for _, scopes := range [][]string{{"admin"}, {"ingest"}, {"manage", "admin"}} {
		r := s.Do(t, http.MethodPost, "/v1/keys", owner, map[string]any{"scopes": scopes})
		if r.Status != http.StatusForbidden || !strings.Contains(string(r.Body), "cannot grant") {
			t.Errorf("owner mints %v: %d %s", scopes, r.Status, r.Body)
		}
	}
	if r := s.Do(t, http.MethodPost, "/v1/keys", ownerOnly, map[string]any{"scopes": []string{"manage"}}); r.Status != http.StatusForbidden {
		t.Errorf("an owner-only key mints manage: %d %s", r.Status, r.Body)
	}

	// Another team does not exist for an owner.
	for _, c := range []struct {
		method, path string
		body         any
	}{
		{http.MethodGet, "/v1/keys?teamId=" + otherTeam, nil},
		{http.MethodPost, "/v1/keys", map[string]any{"teamId": otherTeam, "scopes": []string{"manage"}}},
		{http.MethodDelete, "/v1/keys/" + otherKeyID, nil},
	} {
		if r := s.Do(t, c.method, c.path, owner, c.body); r.Status != http.StatusNotFound {
			t.Errorf("%s %s with another team's owner: %d %s", c.method, c.path, r.Status, r.Body)
		}
	}
	if n := count(); n != before {
		t.Errorf("refused requests changed the keys: %d, then %d", before, n)
	}
	if r := s.Do(t, http.MethodGet, "/v1/integrations", otherKey, nil); r.Status != http.StatusOK {
		t.Errorf("the other team's key after an owner tried to revoke it: %d", r.Status)
	}

	// The alert policy is an owner's too; integrations are not.
	if r := s.Do(t, http.MethodPut, "/v1/alert-policy", ownerOnly, map[string]any{"groupBy": []string{"project"}}); r.Status != http.StatusOK {
		t.Errorf("owner sets the alert policy: %d %s", r.Status, r.Body)
	}
	if r := s.Do(t, http.MethodGet, "/v1/integrations", ownerOnly, nil); r.Status != http.StatusForbidden {
		t.Errorf("an owner-only key lists integrations: %d", r.Status)
	}
}
