package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"go.temporal.io/sdk/client"

	"github.com/heraldhq/herald/gateway"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/test/testenv"
)

// Bad input gets a clear 4xx problem response and starts nothing.
func TestBadInputIsRejectedWithProblemAndStartsNothing(t *testing.T) {
	s := testenv.NewStack(t)
	_, ingestOnly := testenv.Team(t, s.Store, "ingest")
	_, manageOnly := testenv.Team(t, s.Store, "manage")
	big := `{"event":"build:start","data":{"x":"` + strings.Repeat("a", 256<<10) + `"}}`
	okIntegration := func(mut func(map[string]any)) map[string]any {
		b := map[string]any{"name": "valid-name", "type": "webhook", "url": "https://example.com/hook", "events": []string{"*"}}
		mut(b)
		return b
	}

	cases := []struct {
		name       string
		method     string
		path       string
		key        string
		body       any
		wantStatus int
		wantDetail string
	}{
		{"malformed JSON", "POST", "/v1/events", s.Key, `{"event": "build:start",`, 400, "malformed JSON"},
		{"not an object", "POST", "/v1/events", s.Key, `["build:start"]`, 400, "expected an object"},
		{"trailing data", "POST", "/v1/events", s.Key, `{"event":"build:start"} {}`, 400, "after the first JSON value"},
		{"empty body", "POST", "/v1/events", s.Key, ``, 400, "empty"},
		{"missing event type", "POST", "/v1/events", s.Key, `{"data":{}}`, 400, `"event" is required: the event's type`},
		{"malformed event type", "POST", "/v1/events", s.Key, `{"event":"Build Start"}`, 400, "category:action"},
		{"event type without action", "POST", "/v1/events", s.Key, `{"event":"build"}`, 400, "category:action"},
		{"event type too long", "POST", "/v1/events", s.Key, `{"event":"build:` + strings.Repeat("x", 100) + `"}`, 400, "at most 100"},
		{"data not an object", "POST", "/v1/events", s.Key, `{"event":"build:start","data":[1]}`, 400, "must be a JSON object"},
		{"unknown field", "POST", "/v1/events", s.Key, `{"event":"build:start","dta":{}}`, 400, "unknown field"},
		{"bad event id", "POST", "/v1/events", s.Key, `{"id":"has space","event":"build:start"}`, 400, "event id"},
		{"invalid UTF-8", "POST", "/v1/events", s.Key, "{\"event\":\"build:start\",\"data\":{\"x\":\"\xff\"}}", 400, "UTF-8"},
		{"body over 256 KiB", "POST", "/v1/events", s.Key, big, 413, "larger than the limit"},
		{"no API key", "POST", "/v1/events", "", `{"event":"build:start"}`, 401, "API key is required"},
		{"wrong API key", "POST", "/v1/events", "hk_notarealkey", `{"event":"build:start"}`, 401, "not valid"},
		{"not a herald key", "GET", "/v1/integrations", "sk_live_abc", nil, 401, "not valid"},
		{"ingest key on manage route", "GET", "/v1/integrations", ingestOnly, nil, 403, "manage"},
		{"manage key on ingest route", "POST", "/v1/events", manageOnly, `{"event":"build:start"}`, 403, "ingest"},
		{"unknown integration type", "POST", "/v1/integrations", s.Key, okIntegration(func(b map[string]any) { b["type"] = "pager" }), 400, "unknown integration type"},
		{"URL not http(s)", "POST", "/v1/integrations", s.Key, okIntegration(func(b map[string]any) { b["url"] = "ftp://example.com/x" }), 400, "http or https"},
		{"URL without host", "POST", "/v1/integrations", s.Key, okIntegration(func(b map[string]any) { b["url"] = "https:///path" }), 400, "host"},
		{"name too short", "POST", "/v1/integrations", s.Key, okIntegration(func(b map[string]any) { b["name"] = "ab" }), 400, "3 to 39"},
		{"no events", "POST", "/v1/integrations", s.Key, okIntegration(func(b map[string]any) { b["events"] = []string{} }), 400, "at least one"},
		{"bad pattern", "POST", "/v1/integrations", s.Key, okIntegration(func(b map[string]any) { b["events"] = []string{"build:**"} }), 400, "pattern"},
		{"secret and generateSecret", "POST", "/v1/integrations", s.Key, okIntegration(func(b map[string]any) { b["secret"] = "x"; b["generateSecret"] = true }), 400, "not both"},
		{"missing url", "POST", "/v1/integrations", s.Key, `{"name":"valid-name","type":"webhook","events":["*"]}`, 400, "\"url\" is required"},
		{"unknown integration", "GET", "/v1/integrations/int_nope", s.Key, nil, 404, "does not exist"},
		{"unknown delivery", "GET", "/v1/deliveries/dlv_nope", s.Key, nil, 404, "does not exist"},
		{"unknown event", "GET", "/v1/events/nope", s.Key, nil, 404, "does not exist"},
		{"type change", "PATCH", "/v1/integrations/int_x", s.Key, `{"type":"slack"}`, 400, "cannot be changed"},
		{"bad limit", "GET", "/v1/integrations?limit=0", s.Key, nil, 400, "limit"},
		{"unknown route", "GET", "/v1/nothing", s.Key, nil, 404, "no such route"},
		// Bytes Postgres cannot store, and control characters, are a 400 wherever they come in.
		{"retry wait of a century", "POST", "/v1/integrations", s.Key, okIntegration(func(b map[string]any) { b["retry"] = map[string]any{"maxInterval": "1000000h"} }), 400, "at most 24h"},
		{"CRLF in a name", "POST", "/v1/integrations", s.Key, okIntegration(func(b map[string]any) { b["name"] = "evil\r\nX-Injected: 1" }), 400, "control characters"},
		{"NUL in a name", "POST", "/v1/integrations", s.Key, okIntegration(func(b map[string]any) { b["name"] = "nul\u0000name" }), 400, "NUL"},
		{"NUL in a project", "POST", "/v1/integrations", s.Key, okIntegration(func(b map[string]any) { b["projects"] = []string{"p\u0000"} }), 400, "NUL"},
		{"NUL in a groupBy", "PUT", "/v1/alert-policy", s.Key, map[string]any{"groupBy": []string{"a\u0000b"}}, 400, "NUL"},
		{"NUL in a cursor", "GET", "/v1/integrations?cursor=%00", s.Key, nil, 400, "control characters"},
		{"invalid UTF-8 in a cursor", "GET", "/v1/events?cursor=%FF%FE", s.Key, nil, 400, "UTF-8"},
		{"NUL in a path id", "GET", "/v1/deliveries/dlv_%00x", s.Key, nil, 400, "control characters"},
		{"invalid UTF-8 in a path id", "GET", "/v1/integrations/%C3%28", s.Key, nil, 400, "UTF-8"},
		{"NUL in an event filter", "GET", "/v1/integrations/int_x/deliveries?event=build%00", s.Key, nil, 400, "control characters"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := s.Do(t, c.method, c.path, c.key, c.body)
			if r.Status != c.wantStatus {
				t.Fatalf("status %d, want %d: %s", r.Status, c.wantStatus, r.Body)
			}
			if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
				t.Errorf("content type %q", ct)
			}
			var p struct {
				Type, Title, Detail string
				Status              int
			}
			r.JSON(t, &p)
			if p.Status != c.wantStatus || p.Title == "" || !strings.Contains(p.Detail, c.wantDetail) {
				t.Errorf("problem %+v, want detail containing %q", p, c.wantDetail)
			}
			if c.wantStatus == 401 && r.Header.Get("WWW-Authenticate") == "" {
				t.Errorf("401 without WWW-Authenticate")
			}
		})
	}

	// Nothing started, nothing stored.
	ctx := context.Background()
	resp, err := s.Temporal.CountWorkflow(ctx, countRequest(s.Team))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Count != 0 {
		t.Errorf("%d workflows started by bad input", resp.Count)
	}
	var events, integrations int
	if err := s.Store.DB().QueryRow(`SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM integrations)`).Scan(&events, &integrations); err != nil {
		t.Fatal(err)
	}
	if events != 0 || integrations != 0 {
		t.Errorf("bad input stored %d events and %d integrations", events, integrations)
	}
}

func TestIntegrationCRUD(t *testing.T) {
	s := testenv.NewStack(t)
	created := s.CreateIntegration(t, map[string]any{
		"name": "ops-hook", "type": "webhook", "url": "https://example.com/a", "secret": "s3cret",
		"events": []string{"trigger:build:start", "backup:*", "backup:*"}, "projects": []string{"p1"},
	})
	if created.Secret != "s3cret" || !created.HasSecret {
		t.Errorf("create response must show the secret once: %+v", created)
	}
	if got := strings.Join(created.Events, ","); got != "build:start,backup:*" {
		t.Errorf("events normalized to %q", got)
	}
	r := s.Do(t, http.MethodGet, "/v1/integrations/"+created.ID, s.Key, nil)
	if r.Status != 200 || strings.Contains(string(r.Body), "s3cret") {
		t.Fatalf("get: %d %s (the secret must not be shown again)", r.Status, r.Body)
	}
	r = s.Do(t, http.MethodPatch, "/v1/integrations/"+created.ID, s.Key, map[string]any{"events": []string{"*"}, "projects": []string{}, "enabled": false})
	var upd map[string]any
	r.JSON(t, &upd)
	if r.Status != 200 || upd["enabled"] != false || upd["name"] != "ops-hook" {
		t.Fatalf("patch: %d %s", r.Status, r.Body)
	}
	r = s.Do(t, http.MethodGet, "/v1/integrations", s.Key, nil)
	var list struct{ Data []json.RawMessage }
	r.JSON(t, &list)
	if len(list.Data) != 1 {
		t.Fatalf("list: %s", r.Body)
	}
	if r = s.Do(t, http.MethodDelete, "/v1/integrations/"+created.ID, s.Key, nil); r.Status != 204 {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	if r = s.Do(t, http.MethodGet, "/v1/integrations/"+created.ID, s.Key, nil); r.Status != 404 {
		t.Fatalf("get after delete: %d", r.Status)
	}
	// Another team's key sees nothing of this team.
	_, other := testenv.Team(t, s.Store)
	other2 := s.CreateIntegration(t, map[string]any{"name": "mine-only", "type": "webhook", "url": "https://example.com/b", "events": []string{"*"}})
	if r = s.Do(t, http.MethodGet, "/v1/integrations/"+other2.ID, other, nil); r.Status != 404 {
		t.Errorf("other team's GET: %d", r.Status)
	}
	if r = s.Do(t, http.MethodPatch, "/v1/integrations/"+other2.ID, other, map[string]any{"enabled": false}); r.Status != 404 {
		t.Errorf("other team's PATCH: %d", r.Status)
	}
}

func TestHealthEndpoints(t *testing.T) {
	s := testenv.NewStack(t)
	for _, p := range []string{"/healthz", "/readyz"} {
		r := s.Do(t, http.MethodGet, p, "", nil)
		if r.Status != 200 {
			t.Errorf("%s: %d %s", p, r.Status, r.Body)
		}
	}
}

// With Temporal unreachable, readiness fails and ingestion answers 503 with
// Retry-After instead of hanging or losing the event silently.
func TestTemporalUnreachable(t *testing.T) {
	st := testenv.NewStore(t)
	team, key := testenv.Team(t, st)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close() // nothing answers there
	tc, err := client.NewLazyClient(client.Options{HostPort: dead})
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	cfg := config.Defaults()
	gw, err := gateway.New(&cfg, st, tc, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	gln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = gw.Serve(gln) }()
	defer gw.Shutdown(context.Background()) //nolint:errcheck
	s := &testenv.Stack{URL: "http://" + gln.Addr().String()}

	r := s.Do(t, http.MethodGet, "/readyz", "", nil)
	if r.Status != http.StatusServiceUnavailable || !strings.Contains(string(r.Body), `"temporal":"unreachable"`) {
		t.Errorf("readyz: %d %s", r.Status, r.Body)
	}
	// The event is kept in the outbox for when Temporal answers.
	r = s.Do(t, http.MethodPost, "/v1/events", key, `{"id":"while-down","event":"build:start"}`)
	if r.Status != http.StatusAccepted || !strings.Contains(string(r.Body), `"queued":true`) {
		t.Errorf("ingest with the outbox: %d %v %s", r.Status, r.Header, r.Body)
	}
	if q, err := st.InOutbox(context.Background(), team, "while-down"); err != nil || q.SetAsideAt != nil {
		t.Errorf("the event is not in the outbox: %v", err)
	}
	// Without it (a gateway with queueing off), 503 and Retry-After.
	off := cfg
	off.OutboxLimit = 0
	gwOff, err := gateway.New(&off, st, tc, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	oln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = gwOff.Serve(oln) }()
	defer gwOff.Shutdown(context.Background()) //nolint:errcheck
	s = &testenv.Stack{URL: "http://" + oln.Addr().String()}
	r = s.Do(t, http.MethodPost, "/v1/events", key, `{"event":"build:start"}`)
	if r.Status != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" {
		t.Errorf("ingest without the outbox: %d %v %s", r.Status, r.Header, r.Body)
	}
}

// A team has at most HERALD_MAX_INTEGRATIONS integrations (1,000 were made
// in 2.2 s before): one more is a 409 that says how to go on, even when ten
// are created at once at the bound; a deleted one frees its place.
func TestIntegrationsPerTeamAreCapped(t *testing.T) {
	s := testenv.NewStack(t, func(c *config.Config) { c.MaxIntegrations = 5 })
	create := func(name string) testenv.Response {
		return s.Do(t, http.MethodPost, "/v1/integrations", s.Key, map[string]any{"name": name, "type": "webhook",
			"url": "http://127.0.0.1:9/" + name, "events": []string{"build:*"}})
	}
	var first string
	for i := range 3 {
		r := create(fmt.Sprint("hook-", i))
		if r.Status != http.StatusCreated {
			t.Fatalf("integration %d: %d %s", i, r.Status, r.Body)
		}
		if i == 0 {
			var v struct{ ID string }
			r.JSON(t, &v)
			first = v.ID
		}
	}
	// Ten at once for the last two places.
	codes := make(chan int, 10)
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Go(func() {
			body := fmt.Sprintf(`{"name":"race-%d","type":"webhook","url":"http://127.0.0.1:9/r","events":["build:*"]}`, i)
			req, _ := http.NewRequest(http.MethodPost, s.URL+"/v1/integrations", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+s.Key)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				codes <- 0
				return
			}
			resp.Body.Close()
			codes <- resp.StatusCode
		})
	}
	wg.Wait()
	close(codes)
	got := map[int]int{}
	for c := range codes {
		got[c]++
	}
	if got[http.StatusCreated] != 2 || got[http.StatusConflict] != 8 {
		t.Fatalf("ten at once for two places: %v", got)
	}
	r := create("one-too-many")
	if r.Status != http.StatusConflict || !strings.Contains(string(r.Body), "at most 5 integrations") || !strings.Contains(string(r.Body), "delete one") {
		t.Fatalf("one more: %d %s", r.Status, r.Body)
	}
	if r := s.Do(t, http.MethodDelete, "/v1/integrations/"+first, s.Key, nil); r.Status != http.StatusNoContent {
		t.Fatalf("delete: %d", r.Status)
	}
	if r := create("after-a-delete"); r.Status != http.StatusCreated {
		t.Fatalf("after a delete: %d %s", r.Status, r.Body)
	}
}
