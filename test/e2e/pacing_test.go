package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/channels"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/test/fakes"
	"github.com/heraldhq/herald/test/testenv"
)

// postStorm posts n build:success events, numbered, as fast as the gateway
// takes them (well within a second here).
func postStorm(t *testing.T, s *testenv.Stack, prefix string, n int) {
	t.Helper()
	for i := range n {
		s.PostEvent(t, map[string]any{"id": fmt.Sprintf("%s-%03d", prefix, i), "event": "build:success", "data": map[string]any{
			"build":   map[string]any{"id": fmt.Sprintf("%s-%03d", prefix, i), "branch": "main", "status": "SUCCESS"},
			"service": map[string]any{"id": "svc", "name": "Service"}, "project": map[string]any{"id": "proj", "name": "Project"},
		}})
	}
}

// deliveryCounts counts an integration's deliveries by status.
// buildOrder is the build ids of the messages in the order they arrived.
func buildOrder(msgs []json.RawMessage, prefix string) []string {
	var out []string
	for _, m := range msgs {
		if i := strings.Index(string(m), prefix+"-"); i >= 0 {
			out = append(out, string(m)[i:i+len(prefix)+4])
		}
	}
	return out
}

// The storm that used to turn a customer's Slack off: 60 build events at
// once to one webhook that takes one message a second (burst 3) and answers
// 429 + Retry-After: 1 beyond it, with two workers sharing the work. Paced,
// it arrives whole, with at most two 429s, spaced at the rate; with ordering
// fifo, in the order the events came.
func TestBuildStormIsPaced(t *testing.T) {
	s := testenv.NewStack(t)
	s.AddWorker(t)
	paced, ordered := fakes.NewSlack(t), fakes.NewSlack(t)
	a := createChat(t, s, "slack", "storm-paced", paced.URL("bucket"), map[string]any{"events": []string{"build:*"}})
	b := createChat(t, s, "slack", "storm-ordered", ordered.URL("bucket"), map[string]any{"events": []string{"build:*"}, "ordering": "fifo"})
	if a.RateLimit.Count != 1 || a.RateLimit.Per != "1s" || b.Ordering != "fifo" {
		t.Fatalf("views: %+v / %+v", a.RateLimit, b)
	}
	const n = 60
	before := len(paced.Accepted())
	postStorm(t, s, "storm", n)
	testenv.Await(t, "every storm message at both channels", func() bool {
		return len(paced.Accepted()) >= before+n && len(ordered.Accepted()) >= before+n
	})
	for _, c := range []struct {
		name  string
		fake  *fakes.Slack
		integ string
	}{{"paced", paced, a.ID}, {"ordered", ordered, b.ID}} {
		if l := c.fake.Limited(); l > 2 {
			t.Errorf("%s: %d answers of 429, want at most 2", c.name, l)
		}
		counts := s.AwaitSettled(t, c.integ, n)
		if counts[herald.DeliveryDelivered] != n || counts[herald.DeliveryFailed] != 0 {
			t.Errorf("%s: deliveries %v, want %d delivered and none failed", c.name, counts, n)
		}
		v := getIntegration(t, s, c.integ)
		if !v.Enabled || v.Health.ConsecutiveFailures != 0 {
			t.Errorf("%s: integration %+v, want enabled and healthy", c.name, v.Health)
		}
		// At the rate: message i arrives no sooner than (i − burst + 1)
		// intervals after the first (a loaded machine only makes it later).
		at := c.fake.AcceptedAt()[before:]
		burst := channels.SlackRate.Burst
		for i := burst; i < len(at); i++ {
			if min := time.Duration(i-burst+1) * channels.SlackRate.Interval(); at[i].Sub(at[0]) < min-50*time.Millisecond {
				t.Errorf("%s: message %d arrived %s after the first, before the rate allows (%s)", c.name, i, at[i].Sub(at[0]), min)
				break
			}
		}
	}
	got := buildOrder(ordered.Accepted()[before:], "storm")
	for i, id := range got {
		if want := fmt.Sprintf("storm-%03d", i); id != want {
			t.Fatalf("fifo: message %d is %s, want %s (order %v)", i, id, want, got)
		}
	}
}

// The same storm with pacing switched off for the integration: Herald hammers
// the webhook, but 429s are not failures: nothing fails, the integration
// stays enabled, and every message arrives.
func TestUnpacedStormStillArrives(t *testing.T) {
	s := testenv.NewStack(t)
	slack := fakes.NewSlack(t)
	v := createChat(t, s, "slack", "storm-unpaced", slack.URL("bucket"), map[string]any{"events": []string{"build:*"},
		"rateLimit": map[string]any{"off": true}})
	if !v.RateLimit.Unlimited || !v.RateLimit.Custom {
		t.Fatalf("rate limit view %+v, want unlimited (custom)", v.RateLimit)
	}
	const n = 60
	before := len(slack.Accepted())
	postStorm(t, s, "herd", n)
	testenv.Await(t, "every message", func() bool { return len(slack.Accepted()) >= before+n })
	counts := s.AwaitSettled(t, v.ID, n)
	if counts[herald.DeliveryDelivered] != n || counts[herald.DeliveryFailed] != 0 {
		t.Errorf("deliveries %v, want %d delivered and none failed", counts, n)
	}
	got := getIntegration(t, s, v.ID)
	if !got.Enabled || got.Health.ConsecutiveFailures != 0 || got.Health.FailedRequests != 0 {
		t.Errorf("integration health %+v: 429s must not count", got.Health)
	}
	if slack.Limited() == 0 {
		t.Error("no 429 at all: the storm did not exceed the webhook's rate")
	}
}

// Discord announces each webhook's bucket in X-RateLimit-* headers: Herald
// follows them, even to a bucket smaller than it assumed (3 per 2 s, not 5),
// and is never answered 429.
func TestDiscordBucketHeadersAreFollowed(t *testing.T) {
	s := testenv.NewStack(t)
	discord := fakes.NewDiscord(t)
	v := createChat(t, s, "discord", "discord-bucket", discord.URL("bucket"), map[string]any{"events": []string{"build:*"}})
	const n = 20
	before := len(discord.Accepted())
	postStorm(t, s, "disc", n)
	testenv.Await(t, "every Discord message", func() bool { return len(discord.Accepted()) >= before+n })
	if l := discord.Limited(); l != 0 {
		t.Errorf("%d answers of 429: the headers were not followed", l)
	}
	if c := s.AwaitSettled(t, v.ID, n); c[herald.DeliveryDelivered] != n {
		t.Errorf("deliveries %v", c)
	}
}

// maxInFlight holds across workers: a receiver that holds every request
// open sees the cap of two reached, and no third request while a third
// delivery has been refused a place in flight (recorded as waiting for it);
// with two workers, twelve deliveries at once.
func TestMaxInFlightHoldsAcrossWorkers(t *testing.T) {
	s := testenv.NewStack(t)
	s.AddWorker(t)
	var mu sync.Mutex
	inFlight, most := 0, 0
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		inFlight++
		most = max(most, inFlight)
		mu.Unlock()
		select {
		case <-release:
		case <-r.Context().Done():
		}
		mu.Lock()
		inFlight--
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(slow.Close)
	var releaseOnce sync.Once
	releaseAll := func() { releaseOnce.Do(func() { close(release) }) }
	t.Cleanup(releaseAll) // before slow.Close, which waits for the held requests
	v := s.CreateIntegration(t, map[string]any{"name": "slow-hook", "type": "webhook", "url": slow.URL, "events": []string{"build:*"}, "maxInFlight": 2})
	if v.MaxInFlight != 2 {
		t.Fatalf("maxInFlight view %d", v.MaxInFlight)
	}
	const n = 12
	postStorm(t, s, "slow", n)
	testenv.Await(t, "the cap reached: two requests held at once", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return inFlight >= 2
	})
	testenv.Await(t, "a third delivery refused a place in flight", func() bool {
		var waiting int
		err := s.Store.DB().QueryRow(`SELECT count(*) FROM deliveries WHERE integration_id = $1 AND waiting_for = $2`,
			v.ID, contract.WaitInFlight).Scan(&waiting)
		return err == nil && waiting > 0
	})
	mu.Lock()
	held := most
	mu.Unlock()
	releaseAll()
	if c := s.AwaitSettled(t, v.ID, n); c[herald.DeliveryDelivered] != n {
		t.Fatalf("deliveries %v, want %d delivered", c, n)
	}
	mu.Lock()
	defer mu.Unlock()
	if held != 2 || most != 2 {
		t.Errorf("%d requests in flight at once while two were held, %d over the run; want the cap, 2", held, most)
	}
}

// Each integration is paced on its own: one held to a message an hour
// (a burst of two: its confirmation message and one event go at once) does
// not slow the nine others of the same team, and still holds its other two
// messages when they are done.
func TestIntegrationsArePacedApart(t *testing.T) {
	s := testenv.NewStack(t)
	slack := fakes.NewSlack(t)
	slow := createChat(t, s, "slack", "slow-channel", slack.URL("slow"), map[string]any{"events": []string{"build:*"},
		"rateLimit": map[string]any{"count": 1, "per": "1h", "burst": 2}})
	var fast []string
	for i := range 9 {
		v := createChat(t, s, "slack", fmt.Sprintf("fast-channel-%d", i), slack.URL(fmt.Sprintf("fast%d", i)), map[string]any{"events": []string{"build:*"}})
		fast = append(fast, v.ID)
	}
	postStorm(t, s, "apart", 3)
	for _, id := range fast {
		if c := s.AwaitSettled(t, id, 3); c[herald.DeliveryDelivered] != 3 {
			t.Fatalf("fast channel %s: %v", id, c)
		}
	}
	s.AwaitStatus(t, firstDelivered(t, s, slow.ID), herald.DeliveryDelivered)
	if c := s.DeliveryCounts(t, slow.ID); c[herald.DeliveryDelivered] != 1 || c[herald.DeliveryPending]+c[herald.DeliveryRetrying] != 2 {
		t.Errorf("the slow channel when the fast ones were done: %v, want 1 delivered and 2 held", c)
	}
}

// firstDelivered is the id of the integration's first delivery to be
// recorded delivered, once one is.
func firstDelivered(t *testing.T, s *testenv.Stack, integrationID string) string {
	t.Helper()
	var id string
	testenv.Await(t, "a delivery of "+integrationID+" delivered", func() bool {
		return s.Store.DB().QueryRow(`SELECT id FROM deliveries WHERE integration_id = $1 AND status = 'delivered' LIMIT 1`, integrationID).Scan(&id) == nil
	})
	return id
}

func getIntegration(t *testing.T, s *testenv.Stack, id string) api.IntegrationView {
	t.Helper()
	var v api.IntegrationView
	r := s.Do(t, http.MethodGet, "/v1/integrations/"+id, s.Key, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("get integration %s: %d %s", id, r.Status, r.Body)
	}
	r.JSON(t, &v)
	return v
}
