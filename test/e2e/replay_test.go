package e2e

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/test/fakes"
	"github.com/heraldhq/herald/test/testenv"
	"github.com/heraldhq/herald/workflows"
)

// TestLiveHistoriesReplay runs event workflows on the dev server (a retry, a
// permanent failure, no match) and replays their real histories against the
// current workflow code. With HERALD_RECORD_HISTORIES=1 it also writes them to
// workflows/testdata/histories, whose replay test then guards later changes.
func TestLiveHistoriesReplay(t *testing.T) {
	s := testenv.NewStack(t, fastRetry)
	flaky := testenv.NewReceiver(t, testenv.Reply{Status: 503, Body: "busy", Header: map[string]string{"Retry-After": "1"}})
	strict := testenv.NewReceiver(t, testenv.Reply{Status: 400, Body: "no"})
	s.CreateIntegration(t, map[string]any{"name": "flaky", "type": "webhook", "url": flaky.URL, "events": []string{"build:*"}, "generateSecret": true})
	s.CreateIntegration(t, map[string]any{"name": "strict", "type": "webhook", "url": strict.URL, "events": []string{"build:failure"}})

	// A paced fifo chat channel: the second job run waits its turn, then its slot.
	slack := fakes.NewSlack(t)
	createChat(t, s, "slack", "fifo-chat", slack.URL("ok"), map[string]any{"events": []string{"job-run:*"}, "ordering": "fifo",
		"rateLimit": map[string]any{"count": 1, "per": "2s", "burst": 1}})
	runs := map[string]string{
		"retry-then-delivered":       s.PostEvent(t, map[string]any{"event": "build:start", "data": map[string]any{"project": map[string]any{"id": "p"}}}),
		"one-delivered-one-rejected": s.PostEvent(t, map[string]any{"event": "build:failure", "data": map[string]any{}}),
		"no-matching-integration":    s.PostEvent(t, map[string]any{"event": "backup:success", "data": map[string]any{}}),
		"paced-fifo-first":           s.PostEvent(t, map[string]any{"event": "job-run:success", "data": map[string]any{}}),
		"paced-fifo-second":          s.PostEvent(t, map[string]any{"event": "job-run:failure", "data": map[string]any{}}),
		// Attempts as local activities (the fast path): one integration, and two with a rejection.
		"local-build-start":   s.PostEvent(t, map[string]any{"event": "build:start", "data": map[string]any{"project": map[string]any{"id": "p"}}}),
		"local-build-failure": s.PostEvent(t, map[string]any{"event": "build:failure", "data": map[string]any{}}),
		// Started eagerly on the gateway's worker, with the attempt's target
		// and recorded check read in one query.
		"eager-build-start": s.PostEvent(t, map[string]any{"event": "build:start", "data": map[string]any{"project": map[string]any{"id": "p"}}}),
	}
	replayer := worker.NewWorkflowReplayer()
	replayer.RegisterWorkflowWithOptions(workflows.EventWorkflow, workflow.RegisterOptions{Name: contract.EventWorkflow})
	for name, wfID := range runs {
		s.AwaitWorkflow(t, wfID)
		hist := history(t, s.Temporal, wfID, "")
		if err := replayer.ReplayWorkflowHistory(nil, hist); err != nil {
			t.Errorf("%s: replay: %v", name, err)
		}
		path := filepath.Join("..", "..", "workflows", "testdata", "histories", name+".json")
		if _, err := os.Stat(path); os.Getenv("HERALD_RECORD_HISTORIES") != "" && err != nil {
			// Only new ones: a recorded history guards the code it ran on.
			b, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(hist)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func history(t *testing.T, c client.Client, wfID, runID string) *historypb.History {
	t.Helper()
	it := c.GetWorkflowHistory(context.Background(), wfID, runID, false, 0)
	h := &historypb.History{}
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		h.Events = append(h.Events, ev)
	}
	return h
}
