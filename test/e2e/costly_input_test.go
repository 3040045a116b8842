package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/test/testenv"
)

// numbers is a JSON array of n copies of the number text.
func numbers(text string, n int) string {
	return "[" + strings.TrimSuffix(strings.Repeat(text+",", n), ",") + "]"
}

// problemOf reads a 4xx answer's problem.
func problemOf(t *testing.T, r testenv.Response) api.Problem {
	t.Helper()
	var p api.Problem
	r.JSON(t, &p)
	return p
}

// Numbers a JSON Schema validator would read as enormous rationals are
// refused before any schema runs, with the pointer of the first: in a team's
// own type with validateData on (200 of them took 7.9 s and were accepted),
// in a batch of built-in types, and with validateData off too.
func TestCostlyNumbersAreRefused(t *testing.T) {
	s := testenv.NewStack(t)
	recv := testenv.NewReceiver(t)
	s.CreateIntegration(t, map[string]any{"name": "all", "type": "webhook", "url": recv.URL, "events": []string{"*"}})
	if r := s.Do(t, http.MethodPost, "/v1/event-types", s.Key, map[string]any{"name": "metrics:report",
		"schema": map[string]any{"type": "object", "properties": map[string]any{"a": map[string]any{"type": "array", "items": map[string]any{"type": "integer"}}}}}); r.Status != http.StatusCreated {
		t.Fatalf("register the type: %d %s", r.Status, r.Body)
	}
	post := func(body string) testenv.Response {
		return s.Do(t, http.MethodPost, "/v1/events", s.Key, body)
	}
	for _, validate := range []bool{false, true} {
		if r := s.Do(t, http.MethodPatch, "/v1/team", s.Key, map[string]any{"validateData": validate}); r.Status != http.StatusOK {
			t.Fatalf("validateData %v: %d", validate, r.Status)
		}
		for body, want := range map[string]struct{ pointer, detail string }{
			`{"event":"metrics:report","data":{"a":` + numbers("1e999999", 200) + `}}`:          {"/data/a/0", "beyond the range"},
			`{"event":"metrics:report","data":{"a":[1,` + "1" + strings.Repeat("0", 70) + `]}}`: {"/data/a/1", "71 characters"},
			`{"event":"build:start","data":{"build":{"id":"b","size":1e-999999}}}`:              {"/data/build/size", "too small"},
		} {
			r := post(body)
			p := problemOf(t, r)
			if r.Status != http.StatusBadRequest || len(p.Errors) != 1 || p.Errors[0].Pointer != want.pointer || !strings.Contains(p.Detail, want.detail) {
				t.Errorf("validateData %v, %.60s…: %d %s, want 400 at %s saying %q", validate, body, r.Status, r.Body, want.pointer, want.detail)
			}
		}
	}
	// A batch of built-in types: the first hostile number refuses the request.
	var batch []string
	for i := range 100 {
		batch = append(batch, fmt.Sprintf(`{"id":"b-%d","event":"build:start","data":{"build":{"id":"b","n":%s}}}`, i, numbers("1e999999", 15)))
	}
	r := s.Do(t, http.MethodPost, "/v1/events/batch", s.Key, `{"events":[`+strings.Join(batch, ",")+`]}`)
	if p := problemOf(t, r); r.Status != http.StatusBadRequest || len(p.Errors) != 1 || p.Errors[0].Pointer != "/events/0/data/build/n/0" {
		t.Errorf("a batch of built-in types: %d %s", r.Status, r.Body)
	}
	var events int
	if err := s.Store.DB().QueryRow(`SELECT count(*) FROM events`).Scan(&events); err != nil || events != 0 {
		t.Fatalf("%d events recorded (%v), want none", events, err)
	}
	if n := countWorkflows(t, s); n != 0 {
		t.Fatalf("%d workflows started, want none", n)
	}
}

// countWorkflows counts the event workflows of the stack's team.
func countWorkflows(t *testing.T, s *testenv.Stack) int64 {
	t.Helper()
	resp, err := s.Temporal.CountWorkflow(context.Background(), countRequest(s.Team))
	if err != nil {
		t.Fatal(err)
	}
	return resp.GetCount()
}

// exponentialSchema doubles the validator's work at each level of an
// event's nesting under "d": both branches of its oneOf $ref it again.
var exponentialSchema = map[string]any{"type": "object",
	"properties": map[string]any{"d": map[string]any{"$ref": "#/$defs/deep"}},
	"$defs": map[string]any{"deep": map[string]any{"oneOf": []any{
		map[string]any{"type": "array", "items": map[string]any{"$ref": "#/$defs/deep"}},
		map[string]any{"type": "array", "items": map[string]any{"$ref": "#/$defs/deep"}}}}}}

// postCostly posts costlyEvent with key and says whether it was accepted
// (answered: false when no answer came at all).
func postCostly(url, key string) (answered, accepted bool) {
	req, _ := http.NewRequest(http.MethodPost, url+"/v1/events", strings.NewReader(costlyEvent))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false, false
	}
	resp.Body.Close()
	return true, resp.StatusCode == http.StatusAccepted
}

// costlyEvent is 40 levels of arrays under "d": 2^40 visits, unbounded.
var costlyEvent = `{"event":"deep:thing","data":{"d":` + strings.Repeat("[", 40) + `"x"` + strings.Repeat("]", 40) + `}}`

// A small event whose schema would cost the validator 2^40 steps is refused
// when the request's budget runs out, with a 400 that says so, and nothing
// is started. While one team sends such events from four senders at once,
// another team's events are all accepted and delivered: the costly team's
// checks run one at a time on the gateway (teamGate), and every one of
// them is refused. Its flood is proven to overlap the other team's events:
// it runs from before the first of them to after the last is delivered.
// (The times it costs the other team are in BENCHMARKS.md.)
func TestCostlyValidationIsBoundedAndFair(t *testing.T) {
	s := testenv.NewStack(t)
	if r := s.Do(t, http.MethodPost, "/v1/event-types", s.Key, map[string]any{"name": "deep:thing", "schema": exponentialSchema}); r.Status != http.StatusCreated {
		t.Fatalf("register the type: %d %s", r.Status, r.Body)
	}
	s.Do(t, http.MethodPatch, "/v1/team", s.Key, map[string]any{"validateData": true})
	r := s.Do(t, http.MethodPost, "/v1/events", s.Key, costlyEvent)
	if p := problemOf(t, r); r.Status != http.StatusBadRequest || len(p.Errors) != 1 || p.Errors[0].Pointer != "/data" || !strings.Contains(p.Detail, "steps a request may spend") {
		t.Fatalf("the costly event: %d %s", r.Status, r.Body)
	}

	// Team B: its own schema, validateData on, a receiver.
	teamB, keyB := testenv.Team(t, s.Store, "ingest", "manage")
	recv := testenv.NewReceiver(t)
	asB := &testenv.Stack{URL: s.URL, Key: keyB, Team: teamB, Store: s.Store, Temporal: s.Temporal, Config: s.Config}
	asB.CreateIntegration(t, map[string]any{"name": "b-hook", "type": "webhook", "url": recv.URL, "events": []string{"*"}})
	asB.Do(t, http.MethodPost, "/v1/event-types", keyB, map[string]any{"name": "b:ping", "schema": map[string]any{"type": "object", "required": []string{"n"}}})
	asB.Do(t, http.MethodPatch, "/v1/team", keyB, map[string]any{"validateData": true})

	// Team A's flood: four senders of the costly event, through all of team B's.
	var answered, accepted atomic.Int64
	duringFlood(t, 4, func() {
		got, ok := postCostly(s.URL, s.Key)
		if !got {
			return
		}
		if ok {
			accepted.Add(1)
		}
		answered.Add(1)
	}, answered.Load, func() {
		var wfs []string
		for i := range 20 {
			wfs = append(wfs, asB.PostEvent(t, map[string]any{"id": fmt.Sprint("b-", i), "event": "b:ping", "data": map[string]any{"n": i}}))
		}
		for _, wf := range wfs {
			if res := asB.AwaitWorkflow(t, wf); res.Status != contract.StatusDelivered {
				t.Fatalf("team B's %s: %+v", wf, res)
			}
		}
	})
	if accepted.Load() != 0 {
		t.Fatalf("team A: %d of %d costly events accepted, want none", accepted.Load(), answered.Load())
	}
	if got := len(recv.Requests()); got != 20 {
		t.Fatalf("team B's receiver got %d events, want 20", got)
	}
}

// duringFlood runs during while senders goroutines call send over and
// over, proven to overlap it: progress has moved before during starts, and
// moves again after it has ended.
func duringFlood(t *testing.T, senders int, send func(), progress func() int64, during func()) {
	t.Helper()
	stop := make(chan struct{})
	var flood sync.WaitGroup
	for range senders {
		flood.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
					send()
				}
			}
		})
	}
	defer flood.Wait()
	defer close(stop)
	testenv.Await(t, "the flood under way", func() bool { return progress() >= 2 })
	during()
	after := progress()
	testenv.Await(t, "the flood still under way", func() bool { return progress() > after })
}
