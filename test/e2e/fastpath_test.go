package e2e

import (
	"testing"

	enumspb "go.temporal.io/api/enums/v1"

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
