package e2e

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/test/testenv"
)

// The 202 tells the truth: a repeated id says duplicate (and whether its
// body differed from the first), whether its workflow still runs or has
// closed; an event no integration subscribes to says matched 0; the count
// follows types and project restrictions; a batch says the same per event.
func TestIngestTellsTheTruth(t *testing.T) {
	s := testenv.NewStack(t)
	// The receiver holds the first event's requests until it is repeated:
	// its workflow is then surely still running.
	hold := make(chan struct{})
	var holdOnce sync.Once
	release := func() { holdOnce.Do(func() { close(hold) }) }
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hold:
		case <-r.Context().Done():
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(slow.Close)
	t.Cleanup(release) // before slow.Close, which waits for held requests
	s.CreateIntegration(t, map[string]any{"name": "builds", "type": "webhook", "url": slow.URL, "events": []string{"build:*"}})
	s.CreateIntegration(t, map[string]any{"name": "project-a-only", "type": "webhook", "url": slow.URL, "events": []string{"build:*"}, "projects": []string{"a"}})

	post := func(body any) api.Accepted {
		t.Helper()
		r := s.Do(t, "POST", "/v1/events", s.Key, body)
		if r.Status != http.StatusAccepted {
			t.Fatalf("post: %d %s", r.Status, r.Body)
		}
		var acc api.Accepted
		r.JSON(t, &acc)
		return acc
	}
	matched := func(acc api.Accepted) int {
		t.Helper()
		if acc.Matched == nil {
			t.Fatalf("no matched count: %+v", acc)
		}
		return *acc.Matched
	}

	first := post(map[string]any{"id": "truth-1", "event": "build:start", "data": map[string]any{"project": map[string]any{"id": "a"}}})
	if first.Duplicate || first.BodyDiffers != nil || matched(first) != 2 {
		t.Fatalf("first: %+v matched %d", first, matched(first))
	}
	// Again while its workflow still runs (the receiver holds its requests).
	running := post(map[string]any{"id": "truth-1", "event": "build:start", "data": map[string]any{"project": map[string]any{"id": "a"}}})
	if !running.Duplicate {
		t.Fatalf("a repeat while the first runs: %+v", running)
	}
	release()
	s.AwaitWorkflow(t, first.WorkflowID)
	same := post(map[string]any{"id": "truth-1", "event": "build:start", "data": map[string]any{"project": map[string]any{"id": "a"}}})
	if !same.Duplicate || same.BodyDiffers == nil || *same.BodyDiffers {
		t.Fatalf("the same body again: %+v", same)
	}
	other := post(map[string]any{"id": "truth-1", "event": "build:failure", "data": map[string]any{"project": map[string]any{"id": "a"}}})
	if !other.Duplicate || other.BodyDiffers == nil || !*other.BodyDiffers {
		t.Fatalf("another body under the same id: %+v", other)
	}
	byHeader := s.Do(t, "POST", "/v1/events", s.Key, map[string]any{"event": "build:start"}, "Idempotency-Key", "truth-1")
	var hdr api.Accepted
	byHeader.JSON(t, &hdr)
	if !hdr.Duplicate {
		t.Fatalf("the same id as Idempotency-Key: %s", byHeader.Body)
	}

	if n := matched(post(map[string]any{"event": "job-run:start"})); n != 0 {
		t.Fatalf("a type nobody subscribes to: matched %d", n)
	}
	if n := matched(post(map[string]any{"event": "build:start", "data": map[string]any{"project": map[string]any{"id": "b"}}})); n != 1 {
		t.Fatalf("project b: matched %d, want 1 (the other is limited to a)", n)
	}

	r := s.Do(t, "POST", "/v1/events/batch", s.Key, map[string]any{"events": []any{
		map[string]any{"id": "truth-1", "event": "build:start", "data": map[string]any{"project": map[string]any{"id": "a"}}},
		map[string]any{"event": "backup:success"},
	}})
	var batch api.Batch
	r.JSON(t, &batch)
	if len(batch.Results) != 2 || !batch.Results[0].Duplicate || batch.Results[1].Duplicate ||
		batch.Results[1].Matched == nil || *batch.Results[1].Matched != 0 {
		t.Fatalf("batch: %s", r.Body)
	}
}
