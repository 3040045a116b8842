package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/test/testenv"
)

// costlyFilter is as costly as a saved filter may be at run time: its
// estimate is under the limit, and on a list of 100,000 items it runs past
// one evaluation's limit.
const costlyFilter = `data.a.all(x, x == 0 && x + 1 > 0 && x * 2 == 0 && x - 1 < 0)`

// A team whose filters are as costly as Herald lets them be pays with a
// refusal ("not matched", the cost limit named on its events) and the
// other team's events are all delivered, in a flood proven to overlap them.
func TestCostlyFiltersCostTheirAuthor(t *testing.T) {
	s := testenv.NewStack(t)
	recvA := testenv.NewReceiver(t)
	for i := range 3 {
		s.CreateIntegration(t, map[string]any{"name": fmt.Sprint("costly-", i), "type": "webhook", "url": recvA.URL, "events": []string{"build:*"}, "filter": costlyFilter})
	}
	body, err := json.Marshal(map[string]any{"event": "build:start", "data": map[string]any{"a": make([]int, 100_000)}})
	if err != nil {
		t.Fatal(err)
	}
	teamB, keyB := testenv.Team(t, s.Store, "ingest", "manage")
	recvB := testenv.NewReceiver(t)
	asB := &testenv.Stack{URL: s.URL, Key: keyB, Team: teamB, Store: s.Store, Temporal: s.Temporal, Config: s.Config}
	asB.CreateIntegration(t, map[string]any{"name": "b-hook", "type": "webhook", "url": recvB.URL, "events": []string{"*"}})

	var recorded atomic.Int64
	duringFlood(t, 2, func() {
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/v1/events", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+s.Key)
		req.Header.Set("Content-Type", "application/json")
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
		recorded.Store(countFiltered(t, s))
	}, recorded.Load, func() {
		var wfs []string
		for i := range 10 {
			wfs = append(wfs, asB.PostEvent(t, map[string]any{"id": fmt.Sprint("b-", i), "event": "build:start", "data": map[string]any{"n": i}}))
		}
		for _, wf := range wfs {
			if res := asB.AwaitWorkflow(t, wf); res.Status != contract.StatusDelivered {
				t.Fatalf("team B's %s: %+v", wf, res)
			}
		}
	})
	if n := len(recvA.Requests()); n != 0 {
		t.Errorf("team A's costly filters let %d requests through", n)
	}
	if got := len(recvB.Requests()); got != 10 {
		t.Fatalf("team B's receiver got %d events, want 10", got)
	}
	var ev api.EventView
	var id string
	if err := s.Store.DB().QueryRow(`SELECT id FROM events WHERE team_id = $1 AND filtered IS NOT NULL LIMIT 1`, s.Team).Scan(&id); err != nil {
		t.Fatal(err)
	}
	s.Do(t, http.MethodGet, "/v1/events/"+id, s.Key, nil).JSON(t, &ev)
	if len(ev.Filtered) != 3 || !strings.Contains(ev.Filtered[0].Reason, "cost limit exceeded") && !strings.Contains(ev.Filtered[0].Reason, "spent its budget") {
		t.Errorf("team A's event says %+v", ev.Filtered)
	}
}

// countFiltered is how many of the stack's team's events a filter turned away.
func countFiltered(t *testing.T, s *testenv.Stack) int64 {
	var n int64
	if err := s.Store.DB().QueryRow(`SELECT count(*) FROM events WHERE team_id = $1 AND filtered IS NOT NULL`, s.Team).Scan(&n); err != nil {
		t.Error(err)
	}
	return n
}
