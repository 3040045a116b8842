package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/heraldhq/herald/test/testenv"
)

// An event matching 120 integrations is delivered to every one: the search
// attribute listing them is bounded, so Temporal never terminates the workflow.
func TestManyIntegrationsOneEvent(t *testing.T) {
	s := testenv.NewStack(t)
	recv := testenv.NewReceiver(t)
	for i := range 120 {
		s.CreateIntegration(t, map[string]any{"name": fmt.Sprintf("hook-%03d", i), "type": "webhook", "url": recv.URL, "events": []string{"*"}})
	}
	res := s.AwaitWorkflow(t, s.PostEvent(t, map[string]any{"id": "wide-1", "event": "build:success"}))
	if res.Status != "delivered" || len(res.Deliveries) != 120 {
		t.Fatalf("event to 120 integrations: %s, %d deliveries", res.Status, len(res.Deliveries))
	}
	if n := len(recv.Requests()); n != 120 {
		t.Errorf("%d requests received, want 120", n)
	}
	// A resend of one of them works on the closed workflow.
	d := res.Deliveries[77].DeliveryID
	if r := s.Do(t, http.MethodPost, "/v1/deliveries/"+d+"/resend", s.Key, nil); r.Status >= 300 {
		t.Fatalf("resend: %d %s", r.Status, r.Body)
	}
	testenv.Await(t, "the resend to arrive", func() bool { return len(recv.Requests()) == 121 })
}

// A project id longer than the bound is a 400 at ingest, not a queued event
// that can never start.
func TestLongProjectIDRefused(t *testing.T) {
	s := testenv.NewStack(t)
	long := strings.Repeat("p", 3000)
	r := s.Do(t, http.MethodPost, "/v1/events", s.Key, map[string]any{"event": "build:start", "data": map[string]any{"project": map[string]any{"id": long}}})
	if r.Status != 400 || !strings.Contains(string(r.Body), "data.project.id") {
		t.Errorf("3,000-byte project id: %d %s", r.Status, r.Body)
	}
	r = s.Do(t, http.MethodPost, "/v1/events", s.Key, `{"event":"build:start","data":{"note":"a\u0000b"}}`)
	if r.Status != 400 {
		t.Errorf("\\u0000 in data: %d %s", r.Status, r.Body)
	}
}

// A receiver's bytes never stop an attempt from being recorded: each is sent
// once and recorded once.
func TestReceiverBytesAreStored(t *testing.T) {
	s := testenv.NewStack(t)
	for _, c := range []struct{ name, body string }{
		{"nul", "ok\x00then"},
		{"invalid-utf8", "bad \xff\xfe bytes"},
		{"multibyte-cut", strings.Repeat("é", 70<<10/2)},
	} {
		t.Run(c.name, func(t *testing.T) {
			recv := testenv.NewReceiver(t, testenv.Reply{Status: 200, Body: c.body})
			in := s.CreateIntegration(t, map[string]any{"name": "bytes-" + c.name, "type": "webhook", "url": recv.URL, "events": []string{"bytes:" + c.name}})
			res := s.AwaitWorkflow(t, s.PostEvent(t, map[string]any{"event": "bytes:" + c.name}))
			if res.Status != "delivered" {
				t.Fatalf("%s: %+v", in.ID, res)
			}
			if n := len(recv.Requests()); n != 1 {
				t.Errorf("sent %d times, want once", n)
			}
			d := s.Delivery(t, res.Deliveries[0].DeliveryID)
			if len(d.AttemptLog) != 1 {
				t.Errorf("%d attempts recorded, want 1", len(d.AttemptLog))
			}
		})
	}
}

// One team's oversized events, sent in the same second as another team's
// ordinary ones, are each refused with a 400; the other team's are all
// delivered, and nothing is left queued or set aside.
func TestHostileTenantBesideAnOrdinaryOne(t *testing.T) {
	s := testenv.NewStack(t)
	recv := testenv.NewReceiver(t)
	s.CreateIntegration(t, map[string]any{"name": "team-a-hook", "type": "webhook", "url": recv.URL, "events": []string{"build:*"}})
	teamB, keyB := testenv.Team(t, s.Store, "ingest", "manage")
	hostileRecv := testenv.NewReceiver(t)
	if r := s.Do(t, http.MethodPost, "/v1/integrations", keyB, map[string]any{"name": "team-b-hook", "type": "webhook", "url": hostileRecv.URL, "events": []string{"*"}}); r.Status != 201 {
		t.Fatalf("team B's integration: %d %s", r.Status, r.Body)
	}
	long := strings.Repeat("p", 3000)
	var wg sync.WaitGroup
	answers := make(chan string, 300)
	send := func(key, id, project string) {
		defer wg.Done()
		r := s.Do(t, http.MethodPost, "/v1/events", key, map[string]any{"id": id, "event": "build:start", "data": map[string]any{"project": map[string]any{"id": project}}})
		answers <- fmt.Sprintf("%s %d", id[:1], r.Status)
	}
	for i := range 100 {
		wg.Add(1)
		go send(keyB, fmt.Sprintf("b-%03d", i), long)
	}
	for i := range 200 {
		wg.Add(1)
		go send(s.Key, fmt.Sprintf("a-%03d", i), "ordinary")
	}
	wg.Wait()
	close(answers)
	counts := map[string]int{}
	for a := range answers {
		counts[a]++
	}
	if counts["b 400"] != 100 || counts["a 202"] != 200 {
		t.Fatalf("answers %v, want 100 × \"b 400\" and 200 × \"a 202\"", counts)
	}
	testenv.Await(t, "team A's 200 deliveries", func() bool { return len(recv.Requests()) >= 200 })
	if n := len(recv.Requests()); n != 200 {
		t.Errorf("team A's receiver got %d requests, want 200", n)
	}
	if n := len(hostileRecv.Requests()); n != 0 {
		t.Errorf("team B's refused events reached its receiver %d times", n)
	}
	// An event the outbox started can arrive before the dispatcher clears its batch.
	testenv.Await(t, "the outbox to empty", func() bool {
		var queued int
		err := s.Store.DB().QueryRow(`SELECT count(*) FROM event_outbox`).Scan(&queued)
		return err == nil && queued == 0
	})
	var bEvents int
	if err := s.Store.DB().QueryRow(`SELECT count(*) FROM events WHERE team_id = $1`, teamB).Scan(&bEvents); err != nil || bEvents != 0 {
		t.Errorf("team B has %d stored events (%v), want none", bEvents, err)
	}
}
