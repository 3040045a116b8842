package e2e

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/gateway"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/internal/metrics"
	"github.com/heraldhq/herald/internal/temporalclient"
	"github.com/heraldhq/herald/test/testenv"
)

// gatewayOnly is a gateway (no worker) whose Temporal connection runs through
// a proxy the test can freeze or cut.
type gatewayOnly struct {
	*testenv.Stack
	proxy *testenv.Proxy
}

func newGatewayOnly(t *testing.T, opts ...func(*config.Config)) *gatewayOnly {
	t.Helper()
	st := testenv.NewStore(t)
	team, key := testenv.Team(t, st)
	px := testenv.NewProxy(t, testenv.DevServer(t).FrontendHostPort())
	cfg := config.Defaults()
	cfg.TemporalAddress = px.Addr()
	cfg.TaskQueue = "faults-" + time.Now().Format("150405.000000")
	cfg.RateLimit = 0
	cfg.MetricsToken = testenv.TestMetricsToken
	for _, o := range opts {
		o(&cfg)
	}
	tc, err := temporalclient.Dial(context.Background(), &cfg, discard(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tc.Close)
	gw, err := gateway.New(&cfg, st, tc, discard(), metrics.New())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = gw.Serve(ln) }()
	t.Cleanup(func() { _ = gw.Shutdown(context.Background()) })
	return &gatewayOnly{Stack: &testenv.Stack{URL: "http://" + ln.Addr().String(), Config: &cfg, Store: st, Temporal: tc, Team: team, Key: key},
		proxy: px}
}

type timedAnswer struct {
	status     int
	retryAfter string
	detail     string
	took       time.Duration
}

// flood posts n distinct events at once and returns each answer with its time.
func (g *gatewayOnly) flood(t *testing.T, prefix string, n int) []timedAnswer {
	t.Helper()
	out := make([]timedAnswer, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			start := time.Now()
			r := g.Do(t, http.MethodPost, "/v1/events", g.Key, fmt.Sprintf(`{"id":"%s-%d","event":"build:start"}`, prefix, i))
			out[i] = timedAnswer{status: r.Status, retryAfter: r.Header.Get("Retry-After"), detail: string(r.Body), took: time.Since(start)}
		})
	}
	wg.Wait()
	return out
}

// With Temporal hanging or refusing and no outbox to queue in, POST
// /v1/events answers 503 with Retry-After inside the ingest deadline, /readyz fails, no goroutines pile
// up, and ingestion comes back by itself when Temporal does.
func TestGatewayRidesOutATemporalOutage(t *testing.T) {
	// With the outbox off: the answer is then 503 (with it on, events are
	// queued: TestQueuedEventsWaitOutATemporalOutage).
	g := newGatewayOnly(t, func(c *config.Config) { c.OutboxLimit = 0 })
	if r := g.Do(t, http.MethodPost, "/v1/events", g.Key, `{"id":"before","event":"build:start"}`); r.Status != http.StatusAccepted {
		t.Fatalf("healthy ingest: %d %s", r.Status, r.Body)
	}
	baseline := runtime.NumGoroutine()
	for _, fault := range []struct {
		name  string
		fault testenv.Fault
	}{{"hanging", testenv.Freeze}, {"down", testenv.Refuse}} {
		g.proxy.Set(fault.fault)
		answers := g.flood(t, fault.name, 100)
		var slowest time.Duration
		for i, a := range answers {
			if a.status != http.StatusServiceUnavailable || a.retryAfter == "" {
				t.Fatalf("Temporal %s: event %d answered %d (Retry-After %q): %s", fault.name, i, a.status, a.retryAfter, a.detail)
			}
			slowest = max(slowest, a.took)
		}
		// How long the answers took is a measurement (RELIABILITY.md §3: 1.5–1.6 s
		// against the 1.5 s ingest deadline), not a pass/fail limit: a loaded CI
		// machine only adds to it. What must hold is above: every event answered
		// 503 with Retry-After, none left hanging.
		t.Logf("Temporal %s: 100 concurrent events answered 503 + Retry-After, slowest in %s", fault.name, slowest.Round(time.Millisecond))
		if r := g.Do(t, http.MethodGet, "/readyz", "", nil); r.Status != http.StatusServiceUnavailable || !strings.Contains(string(r.Body), `"temporal":"unreachable"`) {
			t.Errorf("Temporal %s: readyz %d %s", fault.name, r.Status, r.Body)
		}
	}
	g.proxy.Set(testenv.Pass)
	// The client retries an event it was refused, with the same id.
	testenv.Await(t, "ingestion after Temporal came back", func() bool {
		return g.Do(t, http.MethodPost, "/v1/events", g.Key, `{"id":"down-7","event":"build:start"}`).Status == http.StatusAccepted
	})
	if r := g.Do(t, http.MethodGet, "/readyz", "", nil); r.Status != http.StatusOK {
		t.Errorf("readyz after recovery: %d %s", r.Status, r.Body)
	}
	testenv.Await(t, "goroutines back to their number before the outage", func() bool {
		return runtime.NumGoroutine() <= baseline+25
	})
}

// With the outbox off, the gateway sheds events over its ingest limit at once
// with 503 and Retry-After instead of queueing them behind a slow Temporal.
func TestGatewayShedsEventsBeyondItsIngestConcurrency(t *testing.T) {
	g := newGatewayOnly(t, func(c *config.Config) { c.IngestConcurrency, c.OutboxLimit = 8, 0 })
	g.proxy.Set(testenv.Freeze) // every admitted start holds its slot for the whole deadline
	answers := g.flood(t, "flood", 100)
	var shed, timedOut int
	for _, a := range answers {
		switch {
		case a.status == http.StatusServiceUnavailable && strings.Contains(a.detail, "queueing is off"):
			shed++
			if a.retryAfter != "1" {
				t.Errorf("shed event: Retry-After %q", a.retryAfter)
			}
		case a.status == http.StatusServiceUnavailable && strings.Contains(a.detail, "workflow service is unavailable"):
			timedOut++
		default:
			t.Errorf("answer %d: %s", a.status, a.detail)
		}
	}
	if timedOut < 1 || timedOut > 8 || shed+timedOut != 100 {
		t.Errorf("%d shed at once and %d timed out; want at most 8 admitted", shed, timedOut)
	}
	// Every 503 counts: shed at once, or timed out with nowhere to queue.
	if got := metricValue(t, scrape(t, g.Stack), "herald_events_shed_total"); got != 100 {
		t.Errorf("herald_events_shed_total = %g, want 100", got)
	}
	g.proxy.Set(testenv.Pass)
	testenv.Await(t, "ingestion after the flood", func() bool {
		return g.Do(t, http.MethodPost, "/v1/events", g.Key, `{"id":"flood-0","event":"build:start"}`).Status == http.StatusAccepted
	})
}

// With Postgres down, a key used in the last minutes still ingests, a key
// never seen gets 503 (not 401), deliveries wait, and everything resumes by
// itself when Postgres is back.
func TestPostgresOutage(t *testing.T) {
	var px *testenv.Proxy
	s := testenv.NewStack(t, func(c *config.Config) {
		u := c.DatabaseURL
		px = testenv.NewProxy(t, "127.0.0.1:5432")
		c.DatabaseURL = strings.Replace(u, "127.0.0.1:5432", px.Addr(), 1)
	})
	_, unusedKey := testenv.TeamWithKey(t, s.Store, s.Team, "ingest")
	recv := testenv.NewReceiver(t)
	s.CreateIntegration(t, map[string]any{"name": "hook", "type": "webhook", "url": recv.URL, "events": []string{"*"}})
	first := s.PostEvent(t, map[string]any{"id": "before-outage", "event": "build:start"})
	s.AwaitWorkflow(t, first)

	px.Set(testenv.Refuse)
	during := s.PostEvent(t, map[string]any{"id": "during-outage", "event": "build:start"})
	r := s.Do(t, http.MethodPost, "/v1/events", unusedKey, `{"event":"build:start"}`)
	if r.Status != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" {
		t.Errorf("a key the gateway never checked, with Postgres down: %d %s", r.Status, r.Body)
	}
	if r := s.Do(t, http.MethodGet, "/readyz", "", nil); r.Status != http.StatusServiceUnavailable || !strings.Contains(string(r.Body), `"postgres":"unreachable"`) {
		t.Errorf("readyz with Postgres down: %d %s", r.Status, r.Body)
	}
	healed := time.Now()
	px.Set(testenv.Pass)
	s.AwaitWorkflow(t, during)
	refs, err := s.Store.DeliveryRefs(context.Background(), s.Team, "during-outage")
	if err != nil || len(refs) != 1 || refs[0].Status != herald.DeliveryDelivered || refs[0].AttemptCount != 1 {
		t.Errorf("delivery of the event posted during the outage: %+v %v", refs, err)
	}
	// Nothing reached the receiver while Postgres was down: the second
	// request came after it was back.
	if got := recv.Requests(); len(got) != 2 || got[1].At.Before(healed) {
		t.Errorf("receiver got %d requests, want 2, the second after Postgres came back", len(got))
	}
}

// SIGTERM on `herald serve` closes the listener, lets the request in flight
// finish with its 202, and exits 0.
func TestGatewayDrainsOnSIGTERM(t *testing.T) {
	dev := testenv.DevServer(t)
	st, dbURL := testenv.NewStoreURL(t)
	ctx := context.Background()
	team, key := testenv.Team(t, st)
	px := testenv.NewProxy(t, dev.FrontendHostPort())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(heraldBinary(t), "serve")
	cmd.Env = append(os.Environ(), "HERALD_DATABASE_URL="+dbURL, "HERALD_TEMPORAL_ADDRESS="+px.Addr(), "HERALD_LISTEN="+addr,
		"HERALD_METRICS_LISTEN=127.0.0.1:0", "HERALD_SECRET_KEYS="+testenv.TestSecretKeys, "HERALD_TASK_QUEUE=drain-"+time.Now().Format("150405.000000"))
	var logs testenv.SyncBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() { _ = cmd.Process.Kill() }()
	s := &testenv.Stack{URL: "http://" + addr, Key: key}
	testenv.Await(t, "the gateway to listen", func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	if r := s.Do(t, http.MethodPost, "/v1/events", key, `{"id":"warm","event":"build:start"}`); r.Status != http.StatusAccepted {
		t.Fatalf("warm-up event: %d %s", r.Status, r.Body)
	}

	px.Set(testenv.Freeze) // the next start hangs in flight
	inflight := make(chan testenv.Response, 1)
	go func() {
		inflight <- s.Do(t, http.MethodPost, "/v1/events", key, `{"id":"in-flight","event":"build:start"}`)
	}()
	testenv.Await(t, "the event's start held in flight", func() bool { return px.Held() > 0 })
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	testenv.Await(t, "the listener to close", func() bool {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
		}
		return err != nil
	})
	px.Set(testenv.Pass)
	select {
	case r := <-inflight:
		if r.Status != http.StatusAccepted {
			t.Errorf("the request in flight at SIGTERM: %d %s", r.Status, r.Body)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("the request in flight did not finish:\n%s", logs.String())
	}
	select {
	case err := <-exited:
		var exit *exec.ExitError
		if errors.As(err, &exit) || err != nil {
			t.Fatalf("gateway exited with %v:\n%s", err, logs.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("the gateway did not exit:\n%s", logs.String())
	}
	cfg := config.Defaults()
	cfg.TemporalAddress = dev.FrontendHostPort()
	tc, err := temporalclient.Dial(ctx, &cfg, discard(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	if _, err := tc.DescribeWorkflow(ctx, contract.EventWorkflowID(team, "in-flight"), ""); err != nil {
		t.Errorf("the event accepted during the drain has no workflow: %v", err)
	}
}

// A burst over the ingest limit is accepted into the outbox and every event in
// it is delivered exactly once.
func TestBurstOverTheIngestLimitIsQueuedAndDelivered(t *testing.T) {
	s := testenv.NewStack(t, func(c *config.Config) { c.IngestConcurrency = 2 })
	recv := testenv.NewReceiver(t)
	s.CreateIntegration(t, map[string]any{"name": "hook", "type": "webhook", "url": recv.URL, "events": []string{"*"}})
	const n = 100
	queued := 0
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			r := s.Do(t, http.MethodPost, "/v1/events", s.Key, fmt.Sprintf(`{"id":"burst-%d","event":"build:start"}`, i))
			if r.Status != http.StatusAccepted {
				t.Errorf("event %d: %d %s", i, r.Status, r.Body)
				return
			}
			if strings.Contains(string(r.Body), `"queued":true`) {
				mu.Lock()
				queued++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if queued == 0 {
		t.Fatal("no event of the burst went through the outbox")
	}
	testenv.Await(t, "every event of the burst delivered", func() bool { return len(recv.Requests()) >= n })
	seen := map[string]int{}
	for _, r := range recv.Requests() {
		seen[r.Header.Get("X-Northflank-Notification-Integration-Event-Id")]++
	}
	for i := range n {
		if c := seen[fmt.Sprintf("burst-%d", i)]; c != 1 {
			t.Errorf("burst-%d arrived %d times", i, c)
		}
	}
	// A started event can be delivered (eagerly, on this process's worker)
	// before the dispatcher has finished its batch and cleared its rows.
	testenv.Await(t, "the outbox to empty", func() bool {
		var left int
		err := s.Store.DB().QueryRow(`SELECT count(*) FROM event_outbox`).Scan(&left)
		return err == nil && left == 0
	})
	t.Logf("%d of %d events went through the outbox", queued, n)
}

// Queued events survive a Temporal outage: over the ingest limit they wait in
// the outbox (up to its limit; beyond it, 503), and start when Temporal is back.
func TestQueuedEventsWaitOutATemporalOutage(t *testing.T) {
	g := newGatewayOnly(t, func(c *config.Config) { c.IngestConcurrency, c.OutboxLimit = 1, 5 })
	g.proxy.Set(testenv.Freeze)
	answers := g.flood(t, "outage", 30)
	var queued []string
	var full, timedOut int
	for i, a := range answers {
		switch {
		case a.status == http.StatusAccepted && strings.Contains(a.detail, `"queued":true`):
			queued = append(queued, fmt.Sprintf("outage-%d", i))
		case a.status == http.StatusServiceUnavailable && strings.Contains(a.detail, "the outbox is full"):
			full++
		case a.status == http.StatusServiceUnavailable && strings.Contains(a.detail, "unavailable and it could not be queued"):
			timedOut++ // the one admitted start: it timed out with the outbox already full
		default:
			t.Errorf("answer %d: %s", a.status, a.detail)
		}
	}
	if len(queued) != 5 || timedOut != 1 || full != 24 {
		t.Fatalf("%d queued, %d timed out, %d refused with the outbox full; want 5, 1, 24", len(queued), timedOut, full)
	}
	r := g.Do(t, http.MethodGet, "/v1/events/"+queued[0], g.Key, nil)
	if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"status":"queued"`) {
		t.Errorf("a queued event: %d %s", r.Status, r.Body)
	}
	g.proxy.Set(testenv.Pass)
	ctx := context.Background()
	for _, id := range queued {
		testenv.Await(t, "the workflow of queued event "+id, func() bool {
			_, err := g.Temporal.DescribeWorkflow(ctx, contract.EventWorkflowID(g.Team, id), "")
			return err == nil
		})
	}
	testenv.Await(t, "the outbox to empty", func() bool {
		var n int
		return g.Store.DB().QueryRow(`SELECT count(*) FROM event_outbox WHERE team_id = $1`, g.Team).Scan(&n) == nil && n == 0
	})
	if got := metricValue(t, scrape(t, g.Stack), "herald_events_queued_total"); got != 5 {
		t.Errorf("herald_events_queued_total = %g, want 5", got)
	}
}
