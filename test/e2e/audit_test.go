package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/test/testenv"
)

// auditedActions says which entry each mutating route writes. Ingest is not
// here (events are their own record), nor the codec (it changes nothing).
var auditedActions = map[string]store.AuditAction{
	"POST /v1/integrations":                             store.AuditIntegrationCreate,
	"PATCH /v1/integrations/{integration}":              store.AuditIntegrationUpdate,
	"POST /v1/integrations/{integration}/test":          store.AuditIntegrationTest,
	"POST /v1/integrations/{integration}/rotate-secret": store.AuditIntegrationRotate,
	"POST /v1/integrations/{integration}/disable":       store.AuditIntegrationDisable,
	"POST /v1/integrations/{integration}/enable":        store.AuditIntegrationEnable,
	"POST /v1/integrations/{integration}/resend":        store.AuditBulkResend,
	"DELETE /v1/resends/{resend}":                       store.AuditBulkResendCancel,
	"POST /v1/integrations/{integration}/replay":        store.AuditReplay,
	"DELETE /v1/replays/{replay}":                       store.AuditReplayCancel,
	"POST /v1/integrations/{integration}/preview":       "",
	"POST /v1/integrations/preview":                     "",
	"POST /v1/deliveries/{delivery}/resend":             store.AuditDeliveryResend,
	"DELETE /v1/integrations/{integration}":             store.AuditIntegrationDelete,
	"POST /v1/teams":                                    store.AuditTeamCreate,
	"POST /v1/keys":                                     store.AuditKeyCreate,
	"DELETE /v1/keys/{key}":                             store.AuditKeyRevoke,
	"PUT /v1/alert-policy":                              store.AuditAlertPolicy,
	"PATCH /v1/team":                                    store.AuditTeamUpdate,
	"POST /v1/event-types":                              store.AuditEventTypeCreate,
	"PATCH /v1/event-types/{eventtype}":                 store.AuditEventTypeUpdate,
	"DELETE /v1/event-types/{eventtype}":                store.AuditEventTypeDelete,
	"POST /v1/events":                                   "",
	"POST /v1/events/batch":                             "",
	"POST /codec/decode":                                "",
	"POST /codec/encode":                                "",
}

// Every mutating route writes an audit entry naming its action, object and
// actor (the key's id and name, and the door: api); none holds a secret;
// the team reads them through GET /v1/audit (filtered, in pages) and the
// CLI, another team reads none; Herald's own disables and the CLI's
// bootstrap on the database are recorded as theirs.
func TestAuditRecordsEveryChange(t *testing.T) {
	// A slow bulk resend stays running long enough to be cancelled.
	s := testenv.NewStack(t, slackConfigured, func(c *config.Config) { c.BulkResendRate = 0.2 })
	ctx := context.Background()
	recv := testenv.NewReceiver(t)
	keyID := func(plain string) string {
		k, err := s.Store.Authenticate(ctx, plain)
		if err != nil {
			t.Fatal(err)
		}
		return k.ID
	}
	adminKey := mustKey(t, s, "operator", herald.ScopeAdmin)

	for _, rt := range allRoutes() {
		if rt.method == http.MethodGet {
			continue
		}
		if _, ok := auditedActions[rt.method+" "+rt.path]; !ok {
			t.Errorf("%s %s changes something and says nothing of its audit entry (add it to auditedActions)", rt.method, rt.path)
		}
	}

	secrets := []string{}
	integ := s.CreateIntegration(t, map[string]any{"name": "audited", "type": "webhook", "url": recv.URL + "/hook?token=url-token-771",
		"events": []string{"*"}, "generateSecret": true, "headers": map[string]string{"X-Api-Key": "audit-header-secret"}})
	secrets = append(secrets, integ.Secret, "url-token-771", "audit-header-secret")
	for i := range 3 {
		s.AwaitWorkflow(t, s.PostEvent(t, map[string]any{"id": "audit-ev-" + string(rune('a'+i)), "event": "build:start"}))
	}
	dl := s.Do(t, "GET", "/v1/integrations/"+integ.ID+"/deliveries", s.Key, nil)
	var deliveries api.Page[api.DeliveryView]
	dl.JSON(t, &deliveries)
	spare := s.Do(t, "POST", "/v1/keys", adminKey, map[string]any{"teamId": s.Team, "name": "spare", "scopes": []string{"ingest"}})
	var spareKey struct{ ID, Key string }
	spare.JSON(t, &spareKey)
	secrets = append(secrets, spareKey.Key)

	type call struct {
		method, path string
		body         any
		key          string
		object       string
	}
	calls := []call{
		{"PATCH", "/v1/integrations/" + integ.ID, map[string]any{"name": "audited-2", "secret": "whsec_bmV3LXNlY3JldC1mb3ItYXVkaXQ=", "events": []string{"build:*"},
			"rateLimit": map[string]any{"count": 2, "per": "1s"}, "retry": map[string]any{"maxAttempts": 3},
			"alertPolicy": map[string]any{"groupBy": []string{"service.id"}}, "maxInFlight": 4, "ordering": "fifo"}, s.Key, integ.ID},
		{"POST", "/v1/integrations/" + integ.ID + "/test", nil, s.Key, integ.ID},
		{"POST", "/v1/integrations/" + integ.ID + "/rotate-secret", nil, s.Key, integ.ID},
		{"POST", "/v1/integrations/" + integ.ID + "/disable", map[string]any{"reason": "maintenance"}, s.Key, integ.ID},
		{"POST", "/v1/integrations/" + integ.ID + "/enable", nil, s.Key, integ.ID},
		{"POST", "/v1/deliveries/" + deliveries.Data[0].ID + "/resend", nil, s.Key, deliveries.Data[0].ID},
		{"PUT", "/v1/alert-policy", map[string]any{"groupBy": []string{"project.id"}}, s.Key, s.Team},
		{"DELETE", "/v1/keys/" + spareKey.ID, nil, adminKey, spareKey.ID},
		{"PATCH", "/v1/team", map[string]any{"validateData": true}, s.Key, s.Team},
		{"POST", "/v1/event-types", map[string]any{"name": "audit:type", "schema": map[string]any{"type": "object"}}, s.Key, "audit:type"},
		{"PATCH", "/v1/event-types/audit:type", map[string]any{"description": "audited"}, s.Key, "audit:type"},
		{"DELETE", "/v1/event-types/audit:type", nil, s.Key, "audit:type"},
	}
	secrets = append(secrets, "whsec_bmV3LXNlY3JldC1mb3ItYXVkaXQ=")
	for _, c := range calls {
		r := s.Do(t, c.method, c.path, c.key, c.body)
		if r.Status >= 300 {
			t.Fatalf("%s %s: %d %s", c.method, c.path, r.Status, r.Body)
		}
		if strings.HasSuffix(c.path, "/rotate-secret") {
			var rot struct{ Secret string }
			r.JSON(t, &rot)
			secrets = append(secrets, rot.Secret)
		}
	}
	br := s.Do(t, "POST", "/v1/integrations/"+integ.ID+"/resend", s.Key, map[string]any{"status": "delivered"})
	var bulk struct{ ID string }
	br.JSON(t, &bulk)
	if r := s.Do(t, "DELETE", "/v1/resends/"+bulk.ID, s.Key, nil); r.Status != http.StatusAccepted {
		t.Fatalf("cancel the bulk resend: %d %s", r.Status, r.Body)
	}
	rp := s.Do(t, "POST", "/v1/integrations/"+integ.ID+"/replay", s.Key, map[string]any{"since": time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), "again": true})
	var replay struct{ ID string }
	rp.JSON(t, &replay)
	if r := s.Do(t, "DELETE", "/v1/replays/"+replay.ID, s.Key, nil); r.Status != http.StatusAccepted {
		t.Fatalf("cancel the replay: %d %s", r.Status, r.Body)
	}
	if r := s.Do(t, "DELETE", "/v1/integrations/"+integ.ID, s.Key, nil); r.Status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	team := s.Do(t, "POST", "/v1/teams", adminKey, map[string]any{"name": "made-by-the-operator"})
	var newTeam struct{ ID string }
	team.JSON(t, &newTeam)

	// Every page of the team's log, newest first.
	var all []api.AuditView
	cursor := ""
	for {
		r := s.Do(t, "GET", "/v1/audit?limit=5&cursor="+cursor, s.Key, nil)
		if r.Status != 200 {
			t.Fatalf("audit: %d %s", r.Status, r.Body)
		}
		for _, sec := range secrets {
			if sec != "" && strings.Contains(string(r.Body), sec) {
				t.Errorf("the audit log shows a secret: %q", sec)
			}
		}
		var p api.Page[api.AuditView]
		r.JSON(t, &p)
		all = append(all, p.Data...)
		if p.NextCursor == "" {
			break
		}
		cursor = p.NextCursor
	}
	for i := 1; i < len(all); i++ {
		if all[i].ID >= all[i-1].ID {
			t.Fatalf("not newest first at %d", i)
		}
	}
	manager, operator := keyID(s.Key), keyID(adminKey)
	found := map[store.AuditAction]api.AuditView{}
	for _, e := range all { // the newest of each action
		if _, ok := found[store.AuditAction(e.Action)]; !ok {
			found[store.AuditAction(e.Action)] = e
		}
	}
	want := map[store.AuditAction]string{
		store.AuditIntegrationCreate: manager, store.AuditIntegrationUpdate: manager, store.AuditIntegrationTest: manager,
		store.AuditIntegrationRotate: manager, store.AuditIntegrationDisable: manager, store.AuditIntegrationEnable: manager,
		store.AuditDeliveryResend: manager, store.AuditAlertPolicy: manager, store.AuditBulkResend: manager,
		store.AuditBulkResendCancel: manager, store.AuditIntegrationDelete: manager,
		store.AuditKeyCreate: operator, store.AuditKeyRevoke: operator,
		store.AuditTeamUpdate: manager, store.AuditEventTypeCreate: manager, store.AuditEventTypeUpdate: manager,
		store.AuditEventTypeDelete: manager, store.AuditReplay: manager, store.AuditReplayCancel: manager,
	}
	for action, actor := range want {
		e, ok := found[action]
		if !ok {
			t.Errorf("no %s entry", action)
			continue
		}
		if e.Actor.Kind != string(store.ActorKey) || e.Actor.ID != actor || e.Actor.Name == "" || e.Actor.Via != "api" {
			t.Errorf("%s: actor %+v, want key %s via api", action, e.Actor, actor)
		}
	}
	if e := found[store.AuditIntegrationUpdate]; !strings.Contains(string(e.Summary), `"secret"`) || !strings.Contains(string(e.Summary), `"audited-2"`) {
		t.Errorf("the update's summary names what changed: %s", e.Summary)
	}
	// Summaries show the values, never an internal wrapper ({"V": …}).
	var update map[string]json.RawMessage
	if err := json.Unmarshal(found[store.AuditIntegrationUpdate].Summary, &update); err != nil {
		t.Fatal(err)
	}
	for field, want := range map[string]string{"rateLimit": `{"count":2,"per":"1s"}`, "retry": `{"maxAttempts":3}`,
		"alertPolicy": `{"groupBy":["service.id"]}`, "ordering": `"fifo"`} {
		if !sameJSON(update[field], json.RawMessage(want)) {
			t.Errorf("the update's %s: %s, want %s", field, update[field], want)
		}
	}
	for _, e := range all {
		if strings.Contains(string(e.Summary), `"V":`) {
			t.Errorf("%s's summary shows an internal wrapper: %s", e.Action, e.Summary)
		}
	}
	if e := found[store.AuditIntegrationDisable]; !strings.Contains(string(e.Summary), "maintenance") {
		t.Errorf("the disable's summary: %s", e.Summary)
	}
	// The new team's log starts with the operator making it.
	var madeBy string
	if err := s.Store.DB().QueryRow(`SELECT actor_id FROM audit_log WHERE team_id = $1 AND action = 'team.create'`, newTeam.ID).Scan(&madeBy); err != nil || madeBy != operator {
		t.Errorf("team.create: %q %v", madeBy, err)
	}
	// No row holds a secret, whatever route shows it.
	var dump string
	if err := s.Store.DB().QueryRow(`SELECT string_agg(t::text, '|') FROM audit_log t`).Scan(&dump); err != nil {
		t.Fatal(err)
	}
	for _, sec := range secrets {
		if sec != "" && strings.Contains(dump, sec) {
			t.Errorf("an audit row holds a secret: %q", sec)
		}
	}

	// Filters: by object, by actor, by action.
	for q, check := range map[string]func(api.AuditView) bool{
		"object=" + integ.ID:      func(e api.AuditView) bool { return e.Object.ID == integ.ID },
		"actor=" + operator:       func(e api.AuditView) bool { return e.Actor.ID == operator },
		"action=integration.test": func(e api.AuditView) bool { return e.Action == "integration.test" },
	} {
		var p api.Page[api.AuditView]
		s.Do(t, "GET", "/v1/audit?"+q, s.Key, nil).JSON(t, &p)
		if len(p.Data) == 0 {
			t.Errorf("%s: nothing", q)
		}
		for _, e := range p.Data {
			if !check(e) {
				t.Errorf("%s: %+v", q, e)
			}
		}
	}

	// Another team sees none of it.
	_, otherKey := testenv.Team(t, s.Store, "manage")
	other := s.Do(t, "GET", "/v1/audit?object="+integ.ID, otherKey, nil)
	if other.Status != 200 || strings.Contains(string(other.Body), integ.ID) {
		t.Errorf("another team's audit: %d %s", other.Status, other.Body)
	}

	// Herald's own: a gone endpoint is disabled at once, by Herald.
	gone := testenv.NewReceiver(t, testenv.Reply{Status: http.StatusGone})
	dead := s.CreateIntegration(t, map[string]any{"name": "gone-hook", "type": "webhook", "url": gone.URL, "events": []string{"job-run:*"}})
	s.AwaitWorkflow(t, s.PostEvent(t, map[string]any{"event": "job-run:start"}))
	var auto []store.AuditEntry
	deadline := time.Now().Add(time.Minute)
	for len(auto) == 0 && time.Now().Before(deadline) {
		var err error
		if auto, err = s.Store.ListAudit(ctx, store.AuditFilter{TeamID: s.Team, ObjectID: dead.ID, Action: string(store.AuditIntegrationDisable), Limit: 5}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(auto) != 1 || auto[0].ActorKind != store.ActorHerald || auto[0].Via != "herald" {
		t.Errorf("the automatic disable: %+v", auto)
	}

	// The CLI reads the log, and says it is the door of its own changes.
	env := []string{"HERALD_URL=" + s.URL, "HERALD_API_KEY=" + s.Key}
	mustHerald(t, env, "integrations", "disable", dead.ID) // already disabled: no change, no entry
	mustHerald(t, env, "integrations", "enable", dead.ID)
	out := mustHerald(t, env, "audit", "--object", dead.ID, "-o", "json")
	var cliPage api.Page[api.AuditView]
	if err := json.Unmarshal([]byte(out), &cliPage); err != nil || len(cliPage.Data) == 0 {
		t.Fatalf("herald audit: %v %s", err, out)
	}
	if e := cliPage.Data[0]; e.Action != string(store.AuditIntegrationEnable) || e.Actor.Via != "cli" || e.Actor.ID != manager {
		t.Errorf("the CLI's enable: %+v", e)
	}
	// The bootstrap straight on the database is the operating-system user's.
	dbEnv := []string{"HERALD_DATABASE_URL=" + s.Config.DatabaseURL, "HERALD_SECRET_KEYS=" + testenv.TestSecretKeys}
	var boot struct{ ID string }
	if err := json.Unmarshal([]byte(mustHerald(t, dbEnv, "teams", "create", "bootstrapped", "-o", "json")), &boot); err != nil {
		t.Fatal(err)
	}
	var kind, via string
	if err := s.Store.DB().QueryRow(`SELECT actor_kind, via FROM audit_log WHERE team_id = $1 AND action = 'team.create'`, boot.ID).Scan(&kind, &via); err != nil ||
		kind != string(store.ActorDatabase) || via != "cli" {
		t.Errorf("the bootstrap: %s %s %v", kind, via, err)
	}
}

// mustKey makes a key of the stack's team with the given scopes.
func mustKey(t *testing.T, s *testenv.Stack, name string, scopes ...herald.Scope) string {
	t.Helper()
	_, plain, err := s.Store.CreateKey(context.Background(), s.Team, name, scopes)
	if err != nil {
		t.Fatal(err)
	}
	return plain
}

// sameJSON: the same JSON value, whatever the order of keys (jsonb keeps its own).
func sameJSON(a, b json.RawMessage) bool {
	var x, y any
	return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && reflect.DeepEqual(x, y)
}
