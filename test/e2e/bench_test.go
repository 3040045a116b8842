package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/bench"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/telemetry"
	"github.com/heraldhq/herald/test/fakes"
	"github.com/heraldhq/herald/test/testenv"
)

// The benchmark harness counts every delivery and every latency it reports,
// for Herald and for the bare ceiling.
func TestBenchHarness(t *testing.T) {
	s := testenv.NewStack(t)
	recv, err := bench.NewReceiver()
	if err != nil {
		t.Fatal(err)
	}
	defer recv.Close()
	for i := range 2 {
		if _, err := s.Store.CreateIntegration(context.Background(), store.Integration{TeamID: s.Team, Name: fmt.Sprintf("bench-%d", i),
			Type: herald.IntegrationWebhook, URL: fmt.Sprintf("%s/h/%d", recv.URL, i), Events: []string{"build:*"}, Enabled: true}); err != nil {
			t.Fatal(err)
		}
	}
	o := bench.Options{GatewayURL: s.URL, APIKey: s.Key, Events: 20, Concurrency: 4, FanOut: 2,
		Temporal: s.Temporal, BareQueue: s.Config.TaskQueue + "-bare"}
	for name, run := range map[string]func(context.Context, bench.Options, *bench.Receiver, string) (bench.Figures, error){
		"herald": bench.RunHerald, "bare": bench.RunBare, "bare-local": bench.RunBareLocal,
	} {
		f, err := run(context.Background(), o, recv, name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if f.Events != 20 || f.Deliveries != 40 || f.Missing != 0 || f.Rejected != 0 ||
			f.EndToEndP50MS <= 0 || f.EndToEndMaxMS < f.EndToEndP99MS || f.IngestP99MS < f.IngestP50MS || f.DeliveriesPerS <= 0 {
			t.Errorf("%s figures %+v", name, f)
		}
	}
	// The shape of Herald's workflows: sampled from visibility, which
	// follows a workflow's close asynchronously.
	testenv.Await(t, "a sample of the run's histories", func() bool {
		shape, err := bench.HistoryShape(context.Background(), s.Temporal, "HeraldTeamId = '"+s.Team+"' AND ExecutionStatus = 'Completed'", 5)
		if err != nil {
			t.Fatal(err)
		}
		if shape.Sampled < 5 {
			return false
		}
		if shape.ActivityTasks != 0 || shape.WorkflowTasks < 1 || shape.Events < 5 {
			t.Errorf("shape %+v: want no activity task on the fast path", shape)
		}
		return true
	})
	if p, err := bench.ReadProc("self", 1); err != nil || p.PID != 1 {
		t.Errorf("ReadProc: %+v %v", p, err)
	}
}

// BenchmarkDeliveryControlCost measures what pacing, maxInFlight and ordering
// support cost on an unpaced webhook burst (fan-out 3): two stacks on the
// same dev server, one with delivery control and one without, run in turn
// in the same process. BENCHMARKS.md has the figures.
//
//	go test -run '^$' -bench DeliveryControlCost -benchtime 3x ./test/e2e
func BenchmarkDeliveryControlCost(b *testing.B) {
	recv, err := bench.NewReceiver()
	if err != nil {
		b.Fatal(err)
	}
	defer recv.Close()
	stacks := map[bool]*testenv.Stack{}
	for _, on := range []bool{true, false} {
		stacks[on] = benchStack(b, recv, func(c *config.Config) { c.DeliveryControl = on })
	}
	rate := map[bool][]float64{}
	for i := 0; i < b.N; i++ {
		for _, on := range []bool{i%2 == 0, i%2 != 0} { // alternate which goes first
			s := stacks[on]
			f, err := bench.RunHerald(context.Background(), bench.Options{GatewayURL: s.URL, APIKey: s.Key, Events: 300,
				Concurrency: 32, FanOut: 3, Temporal: s.Temporal}, recv, fmt.Sprintf("dc-%v-%d", on, i))
			if err != nil || f.Missing != 0 {
				b.Fatalf("delivery control %v: %v (%+v)", on, err, f)
			}
			rate[on] = append(rate[on], f.DeliveriesPerS)
		}
	}
	b.ReportMetric(mean(rate[true]), "on-deliveries/s")
	b.ReportMetric(mean(rate[false]), "off-deliveries/s")
	b.ReportMetric(mean(rate[true])/mean(rate[false]), "on/off")
}

// BenchmarkPacedStorm is the build storm of TestBuildStormIsPaced as a
// figure: 60 build events at once to one Slack webhook that takes one a
// second (burst 3): seconds from the first post to the last message, and
// the 429s it took.
//
//	go test -run '^$' -bench PacedStorm -benchtime 1x ./test/e2e
func BenchmarkPacedStorm(b *testing.B) {
	for i := 0; i < b.N; i++ {
		s := testenv.NewStack(b)
		s.AddWorker(b)
		slack := fakes.NewSlack(b)
		s.CreateIntegration(b, map[string]any{"name": "storm-bench", "type": "slack", "url": slack.URL("bucket"), "events": []string{"build:*"}})
		before := len(slack.Accepted())
		start := time.Now()
		for j := range 60 {
			s.PostEvent(b, map[string]any{"id": fmt.Sprintf("bench-%d-%03d", i, j), "event": "build:success", "data": map[string]any{}})
		}
		posted := time.Since(start)
		deadline := time.Now().Add(5 * time.Minute)
		for len(slack.Accepted()) < before+60 && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		at := slack.AcceptedAt()
		if len(at) < before+60 {
			b.Fatalf("%d of 60 messages arrived", len(at)-before)
		}
		b.ReportMetric(at[len(at)-1].Sub(start).Seconds(), "s-to-last")
		b.ReportMetric(posted.Seconds(), "s-to-post")
		b.ReportMetric(float64(slack.Limited()), "429s")
	}
}

// BenchmarkFastPath compares, in one run against one dev server, Herald with
// attempts as local activities and eager start (the defaults of herald dev),
// without eager start, with activity tasks as well, and the bare ceilings
// with regular and with local activities, the last also started eagerly (fan-out 3, 500 events, 32 senders).
// BENCHMARKS.md has the figures.
//
//	go test -run '^$' -bench FastPath -benchtime 2x ./test/e2e
func BenchmarkFastPath(b *testing.B) {
	recv, err := bench.NewReceiver()
	if err != nil {
		b.Fatal(err)
	}
	defer recv.Close()
	stacks := map[string]*testenv.Stack{
		"local":    benchStack(b, recv, func(c *config.Config) {}),
		"queued":   benchStack(b, recv, func(c *config.Config) { c.EagerStart = false }),
		"activity": benchStack(b, recv, func(c *config.Config) { c.EagerStart, c.LocalAttempts = false, false }),
	}
	stacks["bare"], stacks["bare-local"], stacks["bare-local-eager"] = stacks["queued"], stacks["queued"], stacks["queued"]
	run := map[string]func(context.Context, bench.Options, *bench.Receiver, string) (bench.Figures, error){
		"local": bench.RunHerald, "queued": bench.RunHerald, "activity": bench.RunHerald,
		"bare": bench.RunBare, "bare-local": bench.RunBareLocal, "bare-local-eager": bench.RunBareLocal}
	rate := map[string][]float64{}
	for i := 0; i < b.N; i++ {
		for _, name := range []string{"local", "queued", "activity", "bare", "bare-local", "bare-local-eager"} {
			s := stacks[name]
			o := bench.Options{GatewayURL: s.URL, APIKey: s.Key, Events: 500, Concurrency: 32, FanOut: 3,
				Temporal: s.Temporal, BareQueue: s.Config.TaskQueue + "-bare", BareEager: name == "bare-local-eager"}
			f, err := run[name](context.Background(), o, recv, fmt.Sprintf("fp-%s-%d", name, i))
			if err != nil || f.Missing != 0 {
				b.Fatalf("%s: %v (%+v)", name, err, f)
			}
			rate[name] = append(rate[name], f.DeliveriesPerS)
		}
	}
	for name, xs := range rate {
		b.ReportMetric(mean(xs), name+"-deliveries/s")
	}
	b.ReportMetric(mean(rate["local"])/mean(rate["bare"]), "local/bare")
	b.ReportMetric(mean(rate["local"])/mean(rate["bare-local"]), "local/bare-local")
	b.ReportMetric(mean(rate["local"])/mean(rate["bare-local-eager"]), "local/bare-local-eager")
}

// benchStack is a stack configured by opt with three webhook integrations
// posting to recv: the fan-out 3 of the benchmarks.
func benchStack(b *testing.B, recv *bench.Receiver, opt func(*config.Config)) *testenv.Stack {
	s := testenv.NewStack(b, opt)
	for i := range 3 {
		if _, err := s.Store.CreateIntegration(context.Background(), store.Integration{TeamID: s.Team, Name: fmt.Sprintf("bench-%d", i),
			Type: herald.IntegrationWebhook, URL: fmt.Sprintf("%s/h/%d", recv.URL, i), Events: []string{"build:*"}, Enabled: true}); err != nil {
			b.Fatal(err)
		}
	}
	return s
}

func mean(xs []float64) float64 {
	t := 0.0
	for _, x := range xs {
		t += x
	}
	return t / float64(len(xs))
}

// BenchmarkTracingCost measures what tracing costs, in the same run: Herald
// with no OTEL_EXPORTER_OTLP_ENDPOINT (nothing installed), Herald tracing
// every event and exporting over OTLP/HTTP to a local collector that takes
// and drops the spans, and the bare local-activity ceiling. BENCHMARKS.md
// has the figures.
//
//	go test -run '^$' -bench TracingCost -benchtime 3x ./test/e2e
func BenchmarkTracingCost(b *testing.B) {
	recv, err := bench.NewReceiver()
	if err != nil {
		b.Fatal(err)
	}
	defer recv.Close()
	var spans atomic.Int64
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		spans.Add(n)
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer collector.Close()
	off := benchStack(b, recv, func(c *config.Config) {})
	exp, err := otlptracehttp.New(context.Background(), otlptracehttp.WithEndpointURL(collector.URL+"/v1/traces"))
	if err != nil {
		b.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	restore := telemetry.Use(tp)
	on := benchStack(b, recv, func(c *config.Config) {})
	restore()
	stacks := map[string]*testenv.Stack{"off": off, "on": on, "bare-local": off}
	rate := map[string][]float64{}
	for i := 0; i < b.N; i++ {
		for _, name := range []string{"off", "on", "bare-local"} {
			s := stacks[name]
			o := bench.Options{GatewayURL: s.URL, APIKey: s.Key, Events: 500, Concurrency: 32, FanOut: 3,
				Temporal: s.Temporal, BareQueue: s.Config.TaskQueue + "-bare"}
			runner := bench.RunHerald
			if name == "bare-local" {
				runner = bench.RunBareLocal
			}
			f, err := runner(context.Background(), o, recv, fmt.Sprintf("tr-%s-%d", name, i))
			if err != nil || f.Missing != 0 {
				b.Fatalf("%s: %v (%+v)", name, err, f)
			}
			rate[name] = append(rate[name], f.DeliveriesPerS)
		}
	}
	_ = tp.ForceFlush(context.Background())
	if spans.Load() == 0 {
		b.Fatal("the traced stack exported nothing")
	}
	for name, xs := range rate {
		b.ReportMetric(mean(xs), name+"-deliveries/s")
	}
	b.ReportMetric(mean(rate["off"])/mean(rate["bare-local"]), "off/bare-local")
	b.ReportMetric(mean(rate["on"])/mean(rate["off"]), "on/off")
	b.ReportMetric(float64(spans.Load())/1024, "exported-KiB")
}

// What one team's costly events cost another team (TestCostlyValidationIsBoundedAndFair
// asserts the order; the times are here): team B posts 100 events one after
// another, alone and then while team A posts events whose schema would cost
// 2^40 steps from four senders; B's ingest and delivery medians and p99 in
// each phase, and what A's requests were answered with.
func BenchmarkCostlyNeighbour(b *testing.B) {
	for b.Loop() {
		s := testenv.NewStack(b)
		s.Do(b, http.MethodPost, "/v1/event-types", s.Key, map[string]any{"name": "deep:thing", "schema": exponentialSchema})
		s.Do(b, http.MethodPatch, "/v1/team", s.Key, map[string]any{"validateData": true})
		teamB, keyB := testenv.Team(b, s.Store, "ingest", "manage")
		asB := &testenv.Stack{URL: s.URL, Key: keyB, Team: teamB, Store: s.Store, Temporal: s.Temporal, Config: s.Config}
		recv := testenv.NewReceiver(b)
		asB.CreateIntegration(b, map[string]any{"name": "b-hook", "type": "webhook", "url": recv.URL, "events": []string{"*"}})
		asB.Do(b, http.MethodPost, "/v1/event-types", keyB, map[string]any{"name": "b:ping", "schema": map[string]any{"type": "object", "required": []string{"n"}}})
		asB.Do(b, http.MethodPatch, "/v1/team", keyB, map[string]any{"validateData": true})
		phase := func(name string) {
			var ingest, delivery []time.Duration
			for i := range 100 {
				start := time.Now()
				wf := asB.PostEvent(b, map[string]any{"id": fmt.Sprintf("%s-%d", name, i), "event": "b:ping", "data": map[string]any{"n": i}})
				ingest = append(ingest, time.Since(start))
				asB.AwaitWorkflow(b, wf)
				delivery = append(delivery, time.Since(start))
			}
			b.ReportMetric(float64(percentile(ingest, 50).Microseconds())/1000, name+"-ingest-p50-ms")
			b.ReportMetric(float64(percentile(ingest, 99).Microseconds())/1000, name+"-ingest-p99-ms")
			b.ReportMetric(float64(percentile(delivery, 50).Microseconds())/1000, name+"-delivered-p50-ms")
			b.ReportMetric(float64(percentile(delivery, 99).Microseconds())/1000, name+"-delivered-p99-ms")
		}
		phase("alone")
		var refused, accepted atomic.Int64
		stop := make(chan struct{})
		done := make(chan struct{}, 4)
		for range 4 {
			go func() {
				defer func() { done <- struct{}{} }()
				for {
					select {
					case <-stop:
						return
					default:
					}
					switch answered, ok := postCostly(s.URL, s.Key); {
					case !answered:
					case ok:
						accepted.Add(1)
					default:
						refused.Add(1)
					}
				}
			}()
		}
		phase("flooded")
		close(stop)
		for range 4 {
			<-done
		}
		b.ReportMetric(float64(refused.Load()), "costly-refused")
		b.ReportMetric(float64(accepted.Load()), "costly-accepted")
	}
}

// percentile is the p-th percentile of ds (nearest rank).
func percentile(ds []time.Duration, p int) time.Duration {
	s := append([]time.Duration(nil), ds...)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)]
}
