package e2e

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/test/testenv"
)

var camelCase = regexp.MustCompile(`^[a-z][a-zA-Z0-9]*$`)

// camelKeys reports every object key in v that is not camelCase, with its
// path. Values that hold other people's keys are not Herald's to name: an
// event's data, headers, and audit summaries (which name header fields).
func camelKeys(v any, path string) []string {
	var bad []string
	switch x := v.(type) {
	case map[string]any:
		for k, sub := range x {
			if !camelCase.MatchString(k) {
				bad = append(bad, path+"."+k)
			}
			if _, isObj := sub.(map[string]any); isObj && (k == "data" || k == "headers" || k == "summary") {
				continue
			}
			bad = append(bad, camelKeys(sub, path+"."+k)...)
		}
	case []any:
		for _, sub := range x {
			bad = append(bad, camelKeys(sub, path+"[]")...)
		}
	}
	return bad
}

// The built binary speaks one grammar: every list's -o json is the API's
// page ({"data": [...], "nextCursor"?}) with camelCase keys throughout;
// integrations are named by id or unique name; the team's deliveries and
// events list with filters; --version answers; a flag's mistake names the
// flag; an unreachable gateway is named with HERALD_URL and make dev.
func TestCLIOneGrammar(t *testing.T) {
	s := testenv.NewStack(t)
	env := []string{"HERALD_URL=" + s.URL, "HERALD_API_KEY=" + s.Key}
	admin := []string{"HERALD_URL=" + s.URL, "HERALD_API_KEY=" + mustKey(t, s, "operator", herald.ScopeAdmin)}
	ok := testenv.NewReceiver(t)
	failing := testenv.NewReceiver(t)
	failing.SetDefault(testenv.Reply{Status: http.StatusBadRequest, Body: "no"})
	hooks := s.CreateIntegration(t, map[string]any{"name": "ci-hooks", "type": "webhook", "url": ok.URL, "events": []string{"build:*"}})
	s.CreateIntegration(t, map[string]any{"name": "jobs", "type": "webhook", "url": failing.URL, "events": []string{"job-run:*"}})
	var twins []string
	for i, n := range []string{"twin", "twin"} {
		v := s.CreateIntegration(t, map[string]any{"name": n, "type": "webhook", "url": ok.URL, "events": []string{"backup:*"}})
		twins = append(twins, v.ID)
		if warned := len(v.Warnings) > 0 && strings.Contains(v.Warnings[0], `another integration is named "twin"`); warned != (i == 1) {
			t.Errorf("twin %d: warnings %v", i, v.Warnings)
		}
	}
	// The CLI says the warning too.
	if _, errOut, err := runHerald(t, env, "integrations", "create", "--name", "twin", "--destination", ok.URL, "--events", "backup:*"); err != nil ||
		!strings.Contains(errOut, "warning: another integration is named \"twin\" already ("+twins[0]+", "+twins[1]+")") {
		t.Errorf("a third twin from the CLI: %v %s", err, errOut)
	}
	s.AwaitWorkflow(t, s.PostEvent(t, map[string]any{"id": "g-build", "event": "build:start", "data": map[string]any{"project": map[string]any{"id": "web"}}}))
	s.AwaitWorkflow(t, s.PostEvent(t, map[string]any{"id": "g-job", "event": "job-run:failure"}))
	s.AwaitWorkflow(t, s.PostEvent(t, map[string]any{"id": "g-nobody", "event": "billing:invoice"}))

	lists := map[string]struct {
		env  []string
		args []string
	}{
		"teams list":                    {admin, []string{"teams", "list"}},
		"keys list":                     {admin, []string{"keys", "list", "--team", s.Team}},
		"integrations list":             {env, []string{"integrations", "list"}},
		"events list":                   {env, []string{"events", "list"}},
		"deliveries list":               {env, []string{"deliveries", "list"}},
		"deliveries list --integration": {env, []string{"deliveries", "list", "--integration", "ci-hooks"}},
		"audit":                         {env, []string{"audit"}},
	}
	pages := map[string][]map[string]any{}
	for name, l := range lists {
		out := mustHerald(t, l.env, append(l.args, "-o", "json")...)
		var page map[string]any
		if err := json.Unmarshal([]byte(out), &page); err != nil {
			t.Errorf("%s: not a JSON object: %v\n%s", name, err, out)
			continue
		}
		for k := range page {
			if k != "data" && k != "nextCursor" {
				t.Errorf("%s: key %q beside data and nextCursor", name, k)
			}
		}
		data, isList := page["data"].([]any)
		if !isList || len(data) == 0 {
			t.Errorf("%s: data is %T with %d items", name, page["data"], len(data))
		}
		for _, item := range data {
			pages[name] = append(pages[name], item.(map[string]any))
		}
		if bad := camelKeys(page, name); len(bad) > 0 {
			t.Errorf("keys not camelCase: %v", bad)
		}
	}
	for _, d := range pages["deliveries list --integration"] {
		if d["integrationId"] != hooks.ID {
			t.Errorf("--integration ci-hooks listed %v", d["integrationId"])
		}
	}
	if n := len(pages["deliveries list"]); n != 2 {
		t.Errorf("the team's deliveries: %d, want 2 (build and job)", n)
	}
	outcomes := map[string]string{}
	for _, e := range pages["events list"] {
		outcomes[e["id"].(string)] = e["outcome"].(string)
	}
	if outcomes["g-build"] != "delivered" || outcomes["g-job"] != "failed" || outcomes["g-nobody"] != "none" {
		t.Errorf("event outcomes: %v", outcomes)
	}

	// Filters.
	var filtered struct{ Data []map[string]any }
	if err := json.Unmarshal([]byte(mustHerald(t, env, "deliveries", "list", "--status", "failed,retrying", "-o", "json")), &filtered); err != nil ||
		len(filtered.Data) != 1 || filtered.Data[0]["status"] != "failed" {
		t.Errorf("--status failed,retrying: %+v %v", filtered, err)
	}
	if err := json.Unmarshal([]byte(mustHerald(t, env, "events", "list", "--type", "build:start", "--project", "web", "--since", "1h", "-o", "json")), &filtered); err != nil ||
		len(filtered.Data) != 1 || filtered.Data[0]["id"] != "g-build" {
		t.Errorf("events --type --project --since: %+v %v", filtered, err)
	}
	if err := json.Unmarshal([]byte(mustHerald(t, env, "events", "list", "--until", "1h", "-o", "json")), &filtered); err != nil || len(filtered.Data) != 0 {
		t.Errorf("events --until 1h ago: %+v %v", filtered, err)
	}
	var paged struct {
		Data       []map[string]any
		NextCursor string
	}
	if err := json.Unmarshal([]byte(mustHerald(t, env, "events", "list", "--limit", "2", "-o", "json")), &paged); err != nil || len(paged.Data) != 2 || paged.NextCursor == "" {
		t.Fatalf("events --limit 2: %+v %v", paged, err)
	}
	if err := json.Unmarshal([]byte(mustHerald(t, env, "events", "list", "--limit", "2", "--cursor", paged.NextCursor, "-o", "json")), &paged); err != nil ||
		len(paged.Data) != 1 || paged.Data[0]["id"] != "g-build" {
		t.Errorf("the second page: %+v %v", paged, err)
	}

	// By name: show, update, and a name two integrations share.
	var shown struct{ ID string }
	if err := json.Unmarshal([]byte(mustHerald(t, env, "integrations", "show", "ci-hooks", "-o", "json")), &shown); err != nil || shown.ID != hooks.ID {
		t.Errorf("integrations show ci-hooks: %+v %v", shown, err)
	}
	mustHerald(t, env, "integrations", "update", "ci-hooks", "--events", "build:*,deployment:*")
	if got, _ := s.Store.LoadIntegration(t.Context(), hooks.ID); !slices.Contains(got.Events, "deployment:*") {
		t.Errorf("update by name changed nothing: %v", got.Events)
	}
	if _, errOut, err := runHerald(t, env, "integrations", "show", "twin"); err == nil || !strings.Contains(errOut, "3 integrations are named") {
		t.Errorf("an ambiguous name: %v %s", err, errOut)
	}
	if _, errOut, err := runHerald(t, env, "integrations", "show", "nobody"); err == nil || !strings.Contains(errOut, `no integration is named "nobody"`) {
		t.Errorf("an unknown name: %v %s", err, errOut)
	}

	// Resend's answer is camelCase too.
	var delivery string
	for _, d := range pages["deliveries list --integration"] {
		delivery = d["id"].(string)
	}
	var resent map[string]any
	if err := json.Unmarshal([]byte(mustHerald(t, env, "resend", delivery, "-o", "json")), &resent); err != nil || resent["deliveryId"] != delivery {
		t.Errorf("resend -o json: %v %v", resent, err)
	}
	if bad := camelKeys(resent, "resend"); len(bad) > 0 {
		t.Errorf("resend keys: %v", bad)
	}

	if out := mustHerald(t, nil, "--version"); !strings.HasPrefix(out, "herald ") || len(strings.TrimSpace(out)) <= len("herald ") {
		t.Errorf("--version: %q", out)
	}
	// A flag's mistake says which flag, never "malformed JSON".
	for _, args := range [][]string{
		{"integrations", "update", "ci-hooks", "--initial-interval", "5"},
		{"integrations", "update", "ci-hooks", "--alert-policy", `{"groupWait": 5}`},
		{"integrations", "update", "ci-hooks", "--rate", "fast"},
	} {
		_, errOut, err := runHerald(t, env, args...)
		if err == nil || strings.Contains(errOut, "malformed JSON") || !strings.Contains(errOut, args[3]) {
			t.Errorf("%v: %v %s", args, err, errOut)
		}
	}
	// Nothing listens: say so, and how to fix it.
	_, errOut, err := runHerald(t, []string{"HERALD_URL=http://127.0.0.1:1", "HERALD_API_KEY=" + s.Key}, "integrations", "list")
	if err == nil || !strings.Contains(errOut, "cannot reach Herald's gateway at http://127.0.0.1:1") || !strings.Contains(errOut, "HERALD_URL") || !strings.Contains(errOut, "make dev") {
		t.Errorf("an unreachable gateway: %v %s", err, errOut)
	}
}
