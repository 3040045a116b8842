package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"testing"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/heraldhq/herald/internal/bench"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/test/testenv"
)

// On the dev server, a fan-out-3 event whose receivers answer 200 runs its
// attempts inside workflow tasks: its history has no activity task, and half
// of the events the activity path needed (20) at most.
func TestHappyEventHistoryHasNoActivityTask(t *testing.T) {
	s := testenv.NewStack(t)
	for i := range 3 {
		s.CreateIntegration(t, map[string]any{"name": "fast-" + string(rune('a'+i)), "type": "webhook", "url": testenv.NewReceiver(t).URL, "events": []string{"build:*"}})
	}
	wf := s.PostEvent(t, map[string]any{"event": "build:success", "data": map[string]any{}})
	if res := s.AwaitWorkflow(t, wf); res.Status != contract.StatusDelivered {
		t.Fatalf("result %+v", res)
	}
	h := history(t, s.Temporal, wf, "")
	tasks, markers := 0, 0
	for _, ev := range h.Events {
		switch ev.GetEventType() {
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			tasks++
		case enumspb.EVENT_TYPE_MARKER_RECORDED:
			markers++
		}
	}
	t.Logf("history: %d events, %d markers", len(h.Events), markers)
	if tasks != 0 {
		t.Errorf("%d activity tasks scheduled for a happy event, want none", tasks)
	}
	if len(h.Events) > 10 {
		t.Errorf("%d history events, want at most 10 (half the activity path's 20)", len(h.Events))
	}
}

// Where the gateway runs a worker on the same client (herald dev, herald serve
// --with-worker), a new event's first workflow task comes back with its start
// and runs on that worker: the server records the eager start in the history.
// Turned off, or with no worker in the process, the task goes through matching.
func TestEventsStartEagerlyOnTheGatewaysWorker(t *testing.T) {
	cases := []struct {
		name  string
		opt   func(*config.Config)
		eager bool
	}{
		{"gateway with a worker", func(*config.Config) {}, true},
		{"eager start off", func(c *config.Config) { c.EagerStart = false }, false},
		{"gateway without a worker", func(c *config.Config) { c.WithWorker = false }, false},
		// Over loopback requests go uncompressed (auto); gzip still works.
		{"gzip to Temporal", func(c *config.Config) { c.TemporalCompression = "gzip" }, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := testenv.NewStack(t, tc.opt)
			s.CreateIntegration(t, map[string]any{"name": "eager", "type": "webhook", "url": testenv.NewReceiver(t).URL, "events": []string{"build:*"}})
			wf := s.PostEvent(t, map[string]any{"event": "build:success", "data": map[string]any{}})
			if res := s.AwaitWorkflow(t, wf); res.Status != contract.StatusDelivered {
				t.Fatalf("result %+v", res)
			}
			h := history(t, s.Temporal, wf, "")
			started := h.Events[0].GetWorkflowExecutionStartedEventAttributes()
			if started == nil {
				t.Fatalf("first history event is %s", h.Events[0].GetEventType())
			}
			if got := started.GetEagerExecutionAccepted(); got != tc.eager {
				t.Errorf("eager execution accepted = %v, want %v", got, tc.eager)
			}
		})
	}
}

// herald bench measures Herald and, against the same server, the bare
// ceilings with regular, local and eagerly started local activities, reading
// the CPU of the processes named (the test's own here) around each run, and
// the shape of Herald's histories.
func TestBenchMeasuresEveryCeiling(t *testing.T) {
	s := testenv.NewStack(t)
	env := []string{"HERALD_DATABASE_URL=" + s.Config.DatabaseURL, "HERALD_TEMPORAL_ADDRESS=" + s.Config.TemporalAddress}
	out := mustHerald(t, env, "bench", "--url", s.URL, "--events", "12", "--concurrency", "4", "--fanout", "3",
		"--bare-eager", "--pids", fmt.Sprintf("test=%d", os.Getpid()), "-o", "json")
	var report map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &report); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	for _, run := range []string{"herald", "bare", "bareLocal", "bareLocalEager"} {
		var f bench.Figures
		if err := json.Unmarshal(report[run], &f); err != nil || f.Deliveries != 36 || f.Missing != 0 {
			t.Errorf("%s: %+v (%v)", run, f, err)
		}
	}
	var byRun map[string][]bench.Proc
	if err := json.Unmarshal(report["processesByRun"], &byRun); err != nil || len(byRun) != 4 || len(byRun["bareLocalEager"]) != 1 {
		t.Errorf("processes by run: %s (%v)", report["processesByRun"], err)
	}
	var shape bench.Shape
	if err := json.Unmarshal(report["heraldShape"], &shape); err != nil || shape.Sampled == 0 || shape.ActivityTasks != 0 || shape.Events > 10 {
		t.Errorf("history shape %s (%v)", report["heraldShape"], err)
		resp, _ := s.Temporal.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{Query: "WorkflowType = 'EventWorkflow'"})
		for _, ex := range resp.GetExecutions() {
			var types []string
			for _, ev := range history(t, s.Temporal, ex.GetExecution().GetWorkflowId(), "").Events {
				types = append(types, ev.GetEventType().String())
			}
			t.Logf("%s: %v", ex.GetExecution().GetWorkflowId(), types)
		}
	}
}
