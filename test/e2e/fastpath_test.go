package e2e

import (
	"testing"

	enumspb "go.temporal.io/api/enums/v1"

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
