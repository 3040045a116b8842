package e2e

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/test/testenv"
)

// postPast posts n build:start events (ids prefix-0 …) that no integration
// takes yet, and one deployment event no replay here takes.
func postPast(t *testing.T, s *testenv.Stack, prefix string, n int) {
	t.Helper()
	for start := 0; start < n; start += 100 {
		var evs []map[string]any
		for i := start; i < min(n, start+100); i++ {
			evs = append(evs, map[string]any{"id": fmt.Sprintf("%s-%d", prefix, i), "event": "build:start", "data": map[string]any{"build": map[string]any{"id": i}}})
		}
		if r := s.Do(t, http.MethodPost, "/v1/events/batch", s.Key, map[string]any{"events": evs}); r.Status != http.StatusMultiStatus {
			t.Fatalf("batch: %d %s", r.Status, r.Body)
		}
	}
	s.AwaitWorkflow(t, s.PostEvent(t, map[string]any{"id": prefix + "-deploy", "event": "deployment:success", "data": map[string]any{}}))
	testenv.Await(t, "the past events recorded", func() bool {
		var c int
		err := s.Store.DB().QueryRow(`SELECT count(*) FROM events WHERE id LIKE $1`, prefix+"-%").Scan(&c)
		return err == nil && c == n+1
	})
}

func postReplay(t *testing.T, s *testenv.Stack, integrationID string, body map[string]any) api.ReplayView {
	t.Helper()
	var v api.ReplayView
	r := s.Do(t, http.MethodPost, "/v1/integrations/"+integrationID+"/replay", s.Key, body)
	r.JSON(t, &v)
	if r.Status != http.StatusAccepted || v.Status != api.ReplayRunning {
		t.Fatalf("replay: %d %s", r.Status, r.Body)
	}
	return v
}

func awaitReplay(t *testing.T, s *testenv.Stack, id string, cond func(api.ReplayView) bool) api.ReplayView {
	t.Helper()
	var v api.ReplayView
	testenv.Await(t, "replay "+id, func() bool {
		r := s.Do(t, http.MethodGet, "/v1/replays/"+id, s.Key, nil)
		return r.Status == http.StatusOK && decoded(t, r, &v) && cond(v)
	})
	return v
}

func decoded(t *testing.T, r testenv.Response, v any) bool { r.JSON(t, v); return true }

func since(d time.Duration) string { return time.Now().Add(-d).UTC().Format(time.RFC3339) }

// A new integration gets 3 past events by replay, with trigger replay; the
// same replay again delivers nothing more.
func TestReplayDeliversThePastOnce(t *testing.T) {
	s := testenv.NewStack(t)
	postPast(t, s, "old", 3)
	recv := testenv.NewReceiver(t)
	integ := s.CreateIntegration(t, map[string]any{"name": "late", "type": "webhook", "url": recv.URL, "events": []string{"build:*"}})

	v := postReplay(t, s, integ.ID, map[string]any{"since": since(time.Hour)})
	if v.Total != 3 {
		t.Fatalf("total %d, want the 3 build events (not the deployment)", v.Total)
	}
	v = awaitReplay(t, s, v.ID, func(v api.ReplayView) bool { return v.Status != api.ReplayRunning })
	if v.Status != api.ReplayDone || v.Done != 3 || v.Started != 3 {
		t.Fatalf("replay ended %+v", v)
	}
	if c := s.AwaitSettled(t, integ.ID, 3); c[herald.DeliveryDelivered] != 3 {
		t.Fatalf("deliveries %v", c)
	}
	var replayed int
	if err := s.Store.DB().QueryRow(`SELECT count(*) FROM attempts a JOIN deliveries d ON d.id = a.delivery_id
		WHERE d.integration_id = $1 AND a.trigger = 'replay'`, integ.ID).Scan(&replayed); err != nil || replayed != 3 {
		t.Errorf("%d attempts with trigger replay (%v), want 3", replayed, err)
	}

	again := postReplay(t, s, integ.ID, map[string]any{"since": since(time.Hour)})
	again = awaitReplay(t, s, again.ID, func(v api.ReplayView) bool { return v.Status != api.ReplayRunning })
	if again.Status != api.ReplayDone || again.Total != 3 || again.Started != 0 {
		t.Errorf("the second replay %+v: want it to start nothing", again)
	}
	if c := s.DeliveryCounts(t, integ.ID); c[herald.DeliveryDelivered] != 3 || len(recv.Requests()) != 3 {
		t.Errorf("after the second replay: deliveries %v, %d requests; want 3 and 3", c, len(recv.Requests()))
	}
	if r := s.Do(t, http.MethodPost, "/v1/integrations/"+integ.ID+"/replay", s.Key, map[string]any{"since": "yesterday"}); r.Status != http.StatusBadRequest {
		t.Errorf("a bad since: %d %s", r.Status, r.Body)
	}
}

// A cancelled replay stops: it started fewer runs than its total, and
// what it started is all that is delivered.
func TestACancelledReplayStops(t *testing.T) {
	s := testenv.NewStack(t, func(c *config.Config) { c.ReplayRate = 4 })
	postPast(t, s, "many", 40)
	recv := testenv.NewReceiver(t)
	integ := s.CreateIntegration(t, map[string]any{"name": "late", "type": "webhook", "url": recv.URL, "events": []string{"build:*"}})
	v := postReplay(t, s, integ.ID, map[string]any{"since": since(time.Hour), "events": []string{"build:start"}})
	if r := s.Do(t, http.MethodDelete, "/v1/replays/"+v.ID, s.Key, nil); r.Status != http.StatusAccepted {
		t.Fatalf("cancel: %d %s", r.Status, r.Body)
	}
	v = awaitReplay(t, s, v.ID, func(v api.ReplayView) bool { return v.Status != api.ReplayRunning })
	if v.Status != api.ReplayCancelled || v.Started >= v.Total || v.Total != 40 {
		t.Fatalf("cancelled replay %+v: want cancelled having started fewer than 40", v)
	}
	s.AwaitSettled(t, integ.ID, v.Started)
	if got := len(recv.Requests()); got != v.Started {
		t.Errorf("the receiver got %d events after the replay stopped having started %d", got, v.Started)
	}
}

// A worker lost mid-replay loses nothing: another takes it up and every
// past event arrives.
func TestAReplaySurvivesItsWorker(t *testing.T) {
	s := testenv.NewStack(t, func(c *config.Config) { c.ReplayRate = 4 })
	postPast(t, s, "kept", 40)
	recv := testenv.NewReceiver(t)
	integ := s.CreateIntegration(t, map[string]any{"name": "late", "type": "webhook", "url": recv.URL, "events": []string{"build:*"}})
	v := postReplay(t, s, integ.ID, map[string]any{"since": since(time.Hour)})
	testenv.Await(t, "the replay under way", func() bool { return len(recv.Requests()) >= 2 })
	s.StopWorker()
	if n := len(recv.Requests()); n >= 40 {
		t.Fatalf("the replay had delivered all %d before its worker stopped: the test proves nothing", n)
	}
	s.AddWorker(t)
	v = awaitReplay(t, s, v.ID, func(v api.ReplayView) bool { return v.Status != api.ReplayRunning })
	if v.Status != api.ReplayDone || v.Total != 40 || v.Done != 40 {
		t.Fatalf("replay ended %+v", v)
	}
	if c := s.AwaitSettled(t, integ.ID, 40); c[herald.DeliveryDelivered] != 40 {
		t.Fatalf("deliveries %v: want all 40 past events delivered", c)
	}
	seen := map[string]bool{}
	for _, r := range recv.Requests() {
		seen[r.Header.Get("X-Northflank-Notification-Integration-Event-Id")] = true
	}
	if len(seen) != 40 {
		t.Errorf("the receiver saw %d distinct events, want 40", len(seen))
	}
}
