package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/test/testenv"
)

// metricValue finds one sample in a Prometheus text exposition.
func metricValue(t *testing.T, text, series string) float64 {
	t.Helper()
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, series+" ") {
			v, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimPrefix(line, series)), 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return v
		}
	}
	return 0
}

func scrape(t *testing.T, s *testenv.Stack) string {
	t.Helper()
	return s.Scrape(t)
}

func TestMetricsMoveByTheRightAmounts(t *testing.T) {
	s := testenv.NewStack(t, fastRetry)
	ok := testenv.NewReceiver(t, testenv.Reply{Status: 429, Header: map[string]string{"Retry-After": "1"}})
	bad := testenv.NewReceiver(t)
	bad.SetDefault(testenv.Reply{Status: 400})
	s.CreateIntegration(t, map[string]any{"name": "good", "type": "webhook", "url": ok.URL, "events": []string{"build:*"}})
	s.CreateIntegration(t, map[string]any{"name": "bad", "type": "webhook", "url": bad.URL, "events": []string{"build:failure"}})
	before := scrape(t, s)

	s.AwaitWorkflow(t, s.PostEvent(t, map[string]any{"event": "build:start"}))   // good: 429, then delivered
	s.AwaitWorkflow(t, s.PostEvent(t, map[string]any{"event": "build:failure"})) // good delivered, bad failed
	s.AwaitWorkflow(t, s.PostEvent(t, map[string]any{"event": "custom:thing"}))  // no match, counted as other
	after := scrape(t, s)

	delta := func(series string) float64 { return metricValue(t, after, series) - metricValue(t, before, series) }
	checks := map[string]float64{
		`herald_events_ingested_total{type="build:start"}`:                  1,
		`herald_events_ingested_total{type="build:failure"}`:                1,
		`herald_events_ingested_total{type="other"}`:                        1,
		`herald_deliveries_total{channel="webhook",outcome="delivered"}`:    2,
		`herald_deliveries_total{channel="webhook",outcome="failed"}`:       1,
		`herald_delivery_attempt_duration_seconds_count{channel="webhook"}`: 4,
		`herald_retry_after_seconds_count`:                                  1,
		`herald_retry_after_seconds_bucket{le="1"}`:                         1,
	}
	for series, want := range checks {
		if got := delta(series); got != want {
			t.Errorf("%s moved by %v, want %v", series, got, want)
		}
	}
	if h, f := metricValue(t, after, `herald_integrations{status="healthy"}`), metricValue(t, after, `herald_integrations{status="failing"}`); h != 1 || f != 1 {
		t.Errorf("herald_integrations healthy %v failing %v, want 1 and 1", h, f)
	}
	if !strings.Contains(after, "temporal_workflow_completed") || !strings.Contains(after, "temporal_local_activity_total") {
		t.Error("the Temporal SDK's worker metrics are missing")
	}
}

func TestSearchAttributesAreQueryable(t *testing.T) {
	s := testenv.NewStack(t)
	recv := testenv.NewReceiver(t)
	integ := s.CreateIntegration(t, map[string]any{"name": "visible", "type": "webhook", "url": recv.URL, "events": []string{"build:*"}})
	s.AwaitWorkflow(t, s.PostEvent(t, map[string]any{"id": "sa-1", "event": "build:start", "data": map[string]any{"project": map[string]any{"id": "proj-vis"}}}))
	s.AwaitWorkflow(t, s.PostEvent(t, map[string]any{"id": "sa-2", "event": "job-run:start"}))
	ctx := context.Background()
	queries := map[string]int64{
		"HeraldTeamId = '" + s.Team + "'":                                        2,
		"HeraldTeamId = '" + s.Team + "' AND HeraldEventType = 'build:start'":    1,
		"HeraldProjectId = 'proj-vis' AND HeraldTeamId = '" + s.Team + "'":       1,
		"HeraldIntegrationIds = '" + integ.ID + "'":                              1,
		"HeraldTeamId = '" + s.Team + "' AND HeraldDeliveryStatus = 'delivered'": 1,
		"HeraldTeamId = '" + s.Team + "' AND HeraldDeliveryStatus = 'none'":      1,
	}
	// Visibility follows a workflow's close asynchronously: wait for each count.
	for q, want := range queries {
		testenv.Await(t, q, func() bool {
			resp, err := s.Temporal.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Query: q})
			if err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			return resp.Count == want
		})
	}
}

// herald temporal setup registers the search attributes a namespace lacks,
// and changes nothing the second time.
func TestTemporalSetup(t *testing.T) {
	dev := testenv.DevServer(t)
	ns := "herald-setup-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	nc, err := client.NewNamespaceClient(client.Options{HostPort: dev.FrontendHostPort()})
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if err := nc.Register(context.Background(), &workflowservice.RegisterNamespaceRequest{
		Namespace: ns, WorkflowExecutionRetentionPeriod: durationpb.New(24 * time.Hour),
	}); err != nil {
		t.Fatal(err)
	}
	env := []string{"HERALD_TEMPORAL_ADDRESS=" + dev.FrontendHostPort(), "HERALD_TEMPORAL_NAMESPACE=" + ns}
	var first, second struct{ Added []string }
	var out string
	testenv.Await(t, "the new namespace to be usable", func() bool {
		o, _, err := runHerald(t, env, "temporal", "setup", "-o", "json")
		out = o
		return err == nil
	})
	if err := json.Unmarshal([]byte(out), &first); err != nil || len(first.Added) != 5 {
		t.Fatalf("first setup: %s %v", out, err)
	}
	if err := json.Unmarshal([]byte(mustHerald(t, env, "temporal", "setup", "-o", "json")), &second); err != nil || len(second.Added) != 0 {
		t.Errorf("second setup added %v", second.Added)
	}
}

// Workers keep a daily retention schedule; a run prunes what is older than
// the retention and keeps the rest.
func TestRetention(t *testing.T) {
	s := testenv.NewStack(t)
	ctx := context.Background()
	for range 2 { // idempotent: the second call updates the same schedule
		if err := contract.EnsureRetentionSchedule(ctx, s.Temporal, s.Config.TaskQueue, contract.RetentionInput{Retention: 48 * time.Hour}); err != nil {
			t.Fatal(err)
		}
	}
	desc, err := s.Temporal.ScheduleClient().GetHandle(ctx, contract.RetentionScheduleID).Describe(ctx)
	if err != nil || desc.Schedule.Spec.Intervals[0].Every != 24*time.Hour {
		t.Fatalf("schedule: %+v %v", desc, err)
	}
	recv := testenv.NewReceiver(t)
	s.CreateIntegration(t, map[string]any{"name": "kept", "type": "webhook", "url": recv.URL, "events": []string{"*"}})
	s.AwaitWorkflow(t, s.PostEvent(t, map[string]any{"id": "recent", "event": "build:start"}))
	s.AwaitWorkflow(t, s.PostEvent(t, map[string]any{"id": "ancient", "event": "build:start"}))
	if _, err := s.Store.DB().Exec(`UPDATE events SET received_at = now() - interval '3 days' WHERE id = 'ancient'`); err != nil {
		t.Fatal(err)
	}
	// The audit log keeps its entries longer: one of 3 days stays, one of
	// 11 goes.
	var audited int
	if _, err := s.Store.DB().Exec(`UPDATE audit_log SET created_at = now() - interval '3 days' WHERE action = 'integration.create'`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Store.DB().Exec(`UPDATE audit_log SET created_at = now() - interval '11 days' WHERE action = 'team.create'`); err != nil {
		t.Fatal(err)
	}
	run, err := s.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: s.Config.TaskQueue},
		contract.RetentionWorkflow, contract.RetentionInput{Retention: 48 * time.Hour, AuditRetention: 10 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	var pruned int
	if err := run.Get(ctx, &pruned); err != nil || pruned != 1 {
		t.Fatalf("pruned %d, %v", pruned, err)
	}
	if r := s.Do(t, http.MethodGet, "/v1/events/recent", s.Key, nil); r.Status != 200 {
		t.Errorf("recent event gone: %d", r.Status)
	}
	var n int
	if err := s.Store.DB().QueryRow(`SELECT count(*) FROM events WHERE id = 'ancient'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("ancient event kept (%d, %v)", n, err)
	}
	if err := s.Store.DB().QueryRow(`SELECT count(*) FROM audit_log WHERE action IN ('integration.create', 'team.create')`).Scan(&audited); err != nil || audited != 1 {
		t.Errorf("%d audit entries left of 2, want the 3-day-old one (%v)", audited, err)
	}
}

// Retention never takes a delivery that is still retrying: an old event
// whose receiver keeps failing stays, with its delivery and its attempts,
// through a retention run past its age, and goes once its delivery ended.
func TestRetentionKeepsWhatIsStillRetrying(t *testing.T) {
	s := testenv.NewStack(t, func(c *config.Config) { c.Retry.InitialInterval = time.Hour; c.Retry.MaxInterval = time.Hour })
	ctx := context.Background()
	recv := testenv.NewReceiver(t)
	recv.SetDefault(testenv.Reply{Status: http.StatusServiceUnavailable})
	s.CreateIntegration(t, map[string]any{"name": "failing", "type": "webhook", "url": recv.URL, "events": []string{"*"}})
	s.PostEvent(t, map[string]any{"id": "old-and-retrying", "event": "build:start"})
	s.AwaitAttempt(t, "old-and-retrying", 1)
	if _, err := s.Store.DB().Exec(`UPDATE events SET received_at = now() - interval '3 days'`); err != nil {
		t.Fatal(err)
	}
	prune := func() int {
		run, err := s.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: s.Config.TaskQueue},
			contract.RetentionWorkflow, contract.RetentionInput{Retention: 48 * time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		var pruned int
		if err := run.Get(ctx, &pruned); err != nil {
			t.Fatal(err)
		}
		return pruned
	}
	if n := prune(); n != 0 {
		t.Fatalf("retention pruned %d events; the retrying one must stay", n)
	}
	ds, err := s.Store.EventDeliveries(ctx, s.Team, "old-and-retrying")
	if err != nil || len(ds) != 1 || ds[0].Status != herald.DeliveryRetrying {
		t.Fatalf("after retention: %+v %v, want the delivery retrying", ds, err)
	}
	if _, err := s.Store.LoadAttempt(ctx, ds[0].ID, 1); err != nil {
		t.Fatalf("its first attempt: %v", err)
	}
	if _, err := s.Store.DB().Exec(`UPDATE deliveries SET status = 'failed' WHERE id = $1`, ds[0].ID); err != nil {
		t.Fatal(err)
	}
	if n := prune(); n != 1 {
		t.Fatalf("retention pruned %d once the delivery ended, want 1", n)
	}
}

// With HERALD_METRICS_TOKEN set, the gateway's /metrics answers only the
// bearer of the token: event-type names are no one else's to read. Without
// it, the gateway's listener does not serve /metrics at all (the process
// serves it on its separate metrics listener), and a gateway with neither
// refuses to start.
func TestMetricsNeedTheirToken(t *testing.T) {
	open := testenv.NewStack(t, func(c *config.Config) { c.MetricsToken = "" })
	if r := open.Do(t, "GET", "/metrics", "", nil); r.Status != http.StatusNotFound || strings.Contains(string(r.Body), "herald_") {
		t.Errorf("/metrics without a token on the public listener: %d %.200s", r.Status, r.Body)
	}
	cfg := *open.Config
	cfg.MetricsListen = ""
	if err := cfg.CheckMetricsExposure(); err == nil || !strings.Contains(err.Error(), "HERALD_METRICS_TOKEN") {
		t.Errorf("no token and no metrics listener: %v", err)
	}
	s := testenv.NewStack(t, func(c *config.Config) { c.MetricsToken = "scrape-me-only" })
	for auth, want := range map[string]int{"": 401, "Bearer nope": 401, "Bearer " + s.Key: 401, "Bearer scrape-me-only": 200} {
		req, _ := http.NewRequest("GET", s.URL+"/metrics", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("Authorization %q: %d, want %d", auth, resp.StatusCode, want)
		}
		if want == 401 && strings.Contains(string(b), "herald_") {
			t.Errorf("Authorization %q: a refused scrape shows metrics: %.200s", auth, b)
		}
	}
}
