package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/catalog"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/test/testenv"
)

const quotaSchema = `{"type":"object","required":["quota"],"properties":{
	"quota":{"type":"object","required":["used","limit"],"properties":{
		"used":{"type":"integer","minimum":0},"limit":{"type":"integer"}}},
	"tags":{"type":"array","items":{"type":"string"}}}}`

// The catalog lists every type Herald knows with a schema the seed's example
// matches; a team's own type with validateData on refuses a mismatching
// event with 400 and the JSON path, starting nothing, and accepts a matching
// one, which is delivered.
func TestEventCatalogAndValidateData(t *testing.T) {
	s := testenv.NewStack(t)
	recv := testenv.NewReceiver(t)
	s.CreateIntegration(t, map[string]any{"name": "all", "type": "webhook", "url": recv.URL, "events": []string{"*"}})

	var page api.Page[api.EventTypeView]
	s.Do(t, http.MethodGet, "/v1/event-types", s.Key, nil).JSON(t, &page)
	byName := map[string]api.EventTypeView{}
	for _, v := range page.Data {
		byName[v.Name] = v
	}
	bs, ok := byName["build:start"]
	if !ok || !bs.BuiltIn || bs.Category != "build" || bs.Description == "" {
		t.Fatalf("build:start in the catalog: %+v", bs)
	}
	if len(page.Data) != len(catalog.Builtin()) {
		t.Errorf("%d types listed, want Herald's %d", len(page.Data), len(catalog.Builtin()))
	}
	// The seed's documented body validates against the schema the API serves.
	served, err := catalog.Compile(bs.Schema)
	if err != nil {
		t.Fatal(err)
	}
	var seed struct{ Data json.RawMessage }
	if err := json.Unmarshal(bs.Example, &seed); err != nil || !strings.Contains(string(seed.Data), "social-hour-1312") {
		t.Fatalf("build:start's example: %s", bs.Example)
	}
	if err := served.Validate(seed.Data, catalog.NewBudget(catalog.DefaultBudget)); err != nil {
		t.Errorf("the seed's build:start does not match the served schema: %v", err)
	}

	// A team's own type.
	r := s.Do(t, http.MethodPost, "/v1/event-types", s.Key, map[string]any{
		"name": "quota:exceeded", "description": "A quota was used up.",
		"schema": json.RawMessage(quotaSchema), "example": map[string]any{"quota": map[string]any{"used": 12, "limit": 10}}})
	if r.Status != http.StatusCreated {
		t.Fatalf("register quota:exceeded: %d %s", r.Status, r.Body)
	}
	var own api.EventTypeView
	r.JSON(t, &own)
	if own.BuiltIn || own.Category != "quota" || own.CreatedAt == nil || !strings.Contains(string(own.Example), `"event":"quota:exceeded"`) {
		t.Errorf("registered: %+v", own)
	}

	mismatch := map[string]any{"event": "quota:exceeded", "id": "q-bad", "data": map[string]any{"quota": map[string]any{"used": "lots", "limit": 10}}}
	match := map[string]any{"event": "quota:exceeded", "id": "q-good", "data": map[string]any{"quota": map[string]any{"used": 12, "limit": 10}}}

	// validateData is off by default: the mismatching event is accepted.
	var team api.TeamSettingsView
	s.Do(t, http.MethodGet, "/v1/team", s.Key, nil).JSON(t, &team)
	if team.ID != s.Team || team.ValidateData {
		t.Fatalf("team: %+v", team)
	}
	off := map[string]any{"event": "quota:exceeded", "id": "q-unchecked", "data": map[string]any{"quota": "n/a"}}
	if r := s.Do(t, http.MethodPost, "/v1/events", s.Key, off); r.Status != http.StatusAccepted {
		t.Fatalf("validateData off: %d %s", r.Status, r.Body)
	}

	r = s.Do(t, http.MethodPatch, "/v1/team", s.Key, map[string]any{"validateData": true})
	r.JSON(t, &team)
	if r.Status != http.StatusOK || !team.ValidateData {
		t.Fatalf("turn validateData on: %d %s", r.Status, r.Body)
	}

	r = s.Do(t, http.MethodPost, "/v1/events", s.Key, mismatch)
	var p api.Problem
	r.JSON(t, &p)
	if r.Status != http.StatusBadRequest || len(p.Errors) != 1 || p.Errors[0].Pointer != "/data/quota/used" ||
		!strings.Contains(p.Detail, "/data/quota/used") || r.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("a mismatching event: %d %s, want 400 at /data/quota/used", r.Status, r.Body)
	}
	// Nothing started and nothing recorded for it.
	if r := s.Do(t, http.MethodGet, "/v1/events/q-bad", s.Key, nil); r.Status != http.StatusNotFound {
		t.Errorf("the refused event: %d %s", r.Status, r.Body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := s.Temporal.DescribeWorkflow(ctx, contract.EventWorkflowID(s.Team, "q-bad"), ""); err == nil {
		t.Error("a workflow was started for the refused event")
	}

	// Herald's own types are checked too.
	r = s.Do(t, http.MethodPost, "/v1/events", s.Key, map[string]any{"event": "build:start",
		"data": map[string]any{"build": map[string]any{"id": "b1", "concluded": "no"}}})
	r.JSON(t, &p)
	if r.Status != http.StatusBadRequest || len(p.Errors) != 1 || p.Errors[0].Pointer != "/data/build/concluded" {
		t.Errorf("a mismatching build:start: %d %s", r.Status, r.Body)
	}
	// A batch says so per event and starts the others.
	r = s.Do(t, http.MethodPost, "/v1/events/batch", s.Key, map[string]any{"events": []any{mismatch,
		map[string]any{"event": "quota:exceeded", "id": "q-batch", "data": map[string]any{"quota": map[string]any{"used": 1, "limit": 2}}}}})
	var batch api.Batch
	r.JSON(t, &batch)
	if r.Status != http.StatusMultiStatus || len(batch.Results) != 2 || batch.Results[0].Status != 400 ||
		batch.Results[0].Problem == nil || batch.Results[0].Problem.Errors[0].Pointer != "/data/quota/used" || batch.Results[1].Status != 202 {
		t.Errorf("a batch with one mismatch: %d %s", r.Status, r.Body)
	}

	// The matching event is accepted and delivered as sent.
	wf := s.PostEvent(t, match)
	if res := s.AwaitWorkflow(t, wf); res.Status != contract.StatusDelivered || len(res.Deliveries) != 1 {
		t.Errorf("the matching event: %+v", res)
	}
	testenv.Await(t, "the matching event at the receiver", func() bool {
		for _, req := range recv.Requests() {
			if strings.Contains(string(req.Body), `"used":12`) {
				return true
			}
		}
		return false
	})

	// Changing the schema takes effect at once on this gateway.
	r = s.Do(t, http.MethodPatch, "/v1/event-types/quota:exceeded", s.Key, map[string]any{
		"schema": json.RawMessage(`{"type":"object","properties":{"quota":{"type":"string"}}}`), "example": nil})
	if r.Status != http.StatusOK {
		t.Fatalf("PATCH the schema: %d %s", r.Status, r.Body)
	}
	if r := s.Do(t, http.MethodPost, "/v1/events", s.Key, off); r.Status != http.StatusAccepted {
		t.Errorf("an event matching the new schema: %d %s", r.Status, r.Body)
	}
	if r := s.Do(t, http.MethodGet, "/v1/event-types/quota%3Aexceeded", s.Key, nil); r.Status != http.StatusOK || strings.Contains(string(r.Body), `"example"`) {
		t.Errorf("GET the changed type (escaped name): %d %s", r.Status, r.Body)
	}
	if r := s.Do(t, http.MethodDelete, "/v1/event-types/quota:exceeded", s.Key, nil); r.Status != http.StatusNoContent {
		t.Fatalf("DELETE: %d %s", r.Status, r.Body)
	}
	// Without a schema the type is not checked.
	if r := s.Do(t, http.MethodPost, "/v1/events", s.Key, mismatch); r.Status != http.StatusAccepted {
		t.Errorf("a type with no schema after the delete: %d %s", r.Status, r.Body)
	}
}

// Bad registrations are refused with the reason and register nothing.
func TestEventTypesBadInput(t *testing.T) {
	s := testenv.NewStack(t)
	schema := json.RawMessage(quotaSchema)
	for name, c := range map[string]struct {
		body   map[string]any
		status int
		says   string
	}{
		"no name":          {map[string]any{"schema": schema}, 400, "name"},
		"bad name":         {map[string]any{"name": "Quota Exceeded", "schema": schema}, 400, "category:action"},
		"Herald's":         {map[string]any{"name": "build:start", "schema": schema}, 409, "Herald's own"},
		"no schema":        {map[string]any{"name": "quota:exceeded"}, 400, "schema"},
		"bad schema":       {map[string]any{"name": "quota:exceeded", "schema": map[string]any{"type": "strnig"}}, 400, "schema"},
		"file ref":         {map[string]any{"name": "quota:exceeded", "schema": map[string]any{"$ref": "file:///etc/passwd"}}, 400, "$ref"},
		"example mismatch": {map[string]any{"name": "quota:exceeded", "schema": schema, "example": map[string]any{"quota": 1}}, 400, "/example/quota"},
		"long description": {map[string]any{"name": "quota:exceeded", "schema": schema, "description": strings.Repeat("d", 1001)}, 400, "description"},
		// What makes a schema costly to compile or to check against is bounded.
		"a 3,000-value enum": {map[string]any{"name": "quota:exceeded", "schema": json.RawMessage(`{"enum":` + numbers("1.5", 3000) + `}`)}, 400, "3000 values; at most 256"},
		"a long pattern":     {map[string]any{"name": "quota:exceeded", "schema": map[string]any{"pattern": strings.Repeat(`\p{L}`, 60)}}, 400, "at most 256"},
		"a huge bound":       {map[string]any{"name": "quota:exceeded", "schema": json.RawMessage(`{"maximum":1e999999}`)}, 400, "/schema/maximum"},
	} {
		r := s.Do(t, http.MethodPost, "/v1/event-types", s.Key, c.body)
		if r.Status != c.status || !strings.Contains(string(r.Body), c.says) {
			t.Errorf("%s: %d %s, want %d saying %q", name, r.Status, r.Body, c.status, c.says)
		}
	}
	var page api.Page[api.EventTypeView]
	s.Do(t, http.MethodGet, "/v1/event-types", s.Key, nil).JSON(t, &page)
	if len(page.Data) != len(catalog.Builtin()) {
		t.Errorf("refused registrations registered something: %d types", len(page.Data))
	}
	if r := s.Do(t, http.MethodPost, "/v1/event-types", s.Key, map[string]any{"name": "quota:exceeded", "schema": schema}); r.Status != http.StatusCreated {
		t.Fatalf("register: %d %s", r.Status, r.Body)
	}
	for name, c := range map[string]struct {
		method, path string
		body         any
		status       int
	}{
		"twice":             {http.MethodPost, "/v1/event-types", map[string]any{"name": "quota:exceeded", "schema": schema}, 409},
		"patch Herald's":    {http.MethodPatch, "/v1/event-types/build:start", map[string]any{"description": "x"}, 409},
		"delete Herald's":   {http.MethodDelete, "/v1/event-types/build:start", nil, 409},
		"rename":            {http.MethodPatch, "/v1/event-types/quota:exceeded", map[string]any{"name": "quota:other"}, 400},
		"patch bad schema":  {http.MethodPatch, "/v1/event-types/quota:exceeded", map[string]any{"schema": map[string]any{"minimum": "x"}}, 400},
		"patch missing":     {http.MethodPatch, "/v1/event-types/quota:missing", map[string]any{"description": "x"}, 404},
		"get missing":       {http.MethodGet, "/v1/event-types/quota:missing", nil, 404},
		"delete missing":    {http.MethodDelete, "/v1/event-types/quota:missing", nil, 404},
		"bad name in path":  {http.MethodGet, "/v1/event-types/NOPE", nil, 400},
		"team not a bool":   {http.MethodPatch, "/v1/team", map[string]any{"validateData": "yes"}, 400},
		"get Herald's type": {http.MethodGet, "/v1/event-types/build:start", nil, 200},
	} {
		if r := s.Do(t, c.method, c.path, s.Key, c.body); r.Status != c.status {
			t.Errorf("%s: %d %s, want %d", name, r.Status, r.Body, c.status)
		}
	}
}

// The CLI registers a type from a schema file, turns validateData on, and
// the refusal names the JSON pointer; the catalog lists both kinds.
func TestCLIEventTypes(t *testing.T) {
	s := testenv.NewStack(t)
	env := []string{"HERALD_URL=" + s.URL, "HERALD_API_KEY=" + s.Key}
	dir := t.TempDir()
	schemaFile := dir + "/quota.schema.json"
	if err := os.WriteFile(schemaFile, []byte(quotaSchema), 0o600); err != nil {
		t.Fatal(err)
	}
	out := mustHerald(t, env, "event-types", "register", "quota:exceeded", "--schema", schemaFile, "--description", "A quota was used up.")
	if !strings.Contains(out, "quota:exceeded") || !strings.Contains(out, "A quota was used up.") {
		t.Errorf("register: %s", out)
	}
	if out := mustHerald(t, env, "event-types", "validate", "on"); !strings.Contains(out, "validateData on") {
		t.Errorf("validate on: %s", out)
	}
	_, errOut, err := runHerald(t, env, "events", "send", "quota:exceeded", "--data", `{"quota":{"used":"lots","limit":1}}`)
	if err == nil || !strings.Contains(errOut, "/data/quota/used") {
		t.Errorf("a mismatching event from the CLI: %v %s", err, errOut)
	}
	var page api.Page[api.EventTypeView]
	if err := json.Unmarshal([]byte(mustHerald(t, env, "event-types", "list", "-o", "json")), &page); err != nil || len(page.Data) != len(catalog.Builtin())+1 {
		t.Errorf("list -o json: %d types, %v", len(page.Data), err)
	}
	if out := mustHerald(t, env, "event-types", "show", "build:start"); !strings.Contains(out, "social-hour-1312") {
		t.Errorf("show build:start: %s", out)
	}
	mustHerald(t, env, "event-types", "delete", "quota:exceeded")
	if _, _, err := runHerald(t, env, "event-types", "show", "quota:exceeded"); err == nil {
		t.Error("a deleted type is still shown")
	}
}
