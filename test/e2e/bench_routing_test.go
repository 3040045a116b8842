package e2e

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/bench"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/test/testenv"
)

// BenchmarkFilterCost compares, in one run against one dev server, Herald
// at fan-out 3 with a CEL filter on every integration (one that passes
// every event, so the same deliveries are made) and without (500 events,
// 32 senders), rounds interleaved. BENCHMARKS.md has the figures.
//
//	go test -run '^$' -bench FilterCost -benchtime 2x ./test/e2e
func BenchmarkFilterCost(b *testing.B) {
	recv, err := bench.NewReceiver()
	if err != nil {
		b.Fatal(err)
	}
	defer recv.Close()
	stacks := map[string]*testenv.Stack{"plain": benchStack(b, recv, func(*config.Config) {}), "filtered": benchStack(b, recv, func(*config.Config) {})}
	if _, err := stacks["filtered"].Store.DB().Exec(`UPDATE integrations SET filter = $1`,
		`event.startsWith("build:") && (!has(data.build) || data.build.branch != "never")`); err != nil {
		b.Fatal(err)
	}
	rate := map[string][]float64{}
	for i := 0; i < b.N; i++ {
		order := []string{"plain", "filtered"}
		if i%2 == 1 {
			order[0], order[1] = order[1], order[0] // neither always runs second
		}
		for _, name := range order {
			s := stacks[name]
			o := bench.Options{GatewayURL: s.URL, APIKey: s.Key, Events: 500, Concurrency: 32, FanOut: 3}
			f, err := bench.RunHerald(context.Background(), o, recv, fmt.Sprintf("flt-%s-%d", name, i))
			if err != nil || f.Missing != 0 {
				b.Fatalf("%s: %v (%+v)", name, err, f)
			}
			rate[name] = append(rate[name], f.DeliveriesPerS)
		}
	}
	for name, xs := range rate {
		b.ReportMetric(mean(xs), name+"-deliveries/s")
	}
	b.ReportMetric(mean(rate["filtered"])/mean(rate["plain"]), "filtered/plain")
}

// BenchmarkStatsAtAMillionAttempts answers GET /v1/integrations/{id}/stats
// for a team holding 1,000,000 attempts over the last 7 days, half of them
// to the integration asked about: the first answer of a window rolls its
// finished hours up (cold), the next read the roll-up (warm).
//
//	go test -run '^$' -bench StatsAtAMillion -benchtime 20x ./test/e2e
func BenchmarkStatsAtAMillionAttempts(b *testing.B) {
	s := testenv.NewStack(b)
	a := s.CreateIntegration(b, map[string]any{"name": "busy", "type": "webhook", "url": "http://127.0.0.1:9/a", "events": []string{"*"}})
	o := s.CreateIntegration(b, map[string]any{"name": "other", "type": "webhook", "url": "http://127.0.0.1:9/b", "events": []string{"*"}})
	fill(b, s, a.ID, o.ID)
	ask := func(window string) time.Duration {
		start := time.Now()
		r := s.Do(b, http.MethodGet, "/v1/integrations/"+a.ID+"/stats?window="+window, s.Key, nil)
		if r.Status != http.StatusOK {
			b.Fatalf("%d %s", r.Status, r.Body)
		}
		return time.Since(start)
	}
	cold7, cold24 := ask("7d"), ask("24h")
	b.ResetTimer() // which deletes metrics reported before it
	b.ReportMetric(float64(cold7.Microseconds())/1000, "cold-7d-ms")
	b.ReportMetric(float64(cold24.Microseconds())/1000, "cold-24h-ms")
	var warm7, warm24 []time.Duration
	for i := 0; i < b.N; i++ {
		warm7, warm24 = append(warm7, ask("7d")), append(warm24, ask("24h"))
	}
	b.ReportMetric(float64(median(warm7).Microseconds())/1000, "warm-7d-p50-ms")
	b.ReportMetric(float64(median(warm24).Microseconds())/1000, "warm-24h-p50-ms")
}

// fill writes 250,000 events over the last 7 days, each with a delivery to
// both integrations and two attempts each: 1,000,000 attempts.
func fill(b *testing.B, s *testenv.Stack, a, o string) {
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO events (team_id, id, type, project_id, data, workflow_id, received_at)
		 SELECT $1, 'e' || g, 'build:start', '', '{}', 'w', now() - (g * interval '2419 milliseconds') FROM generate_series(1, 250000) g`, []any{s.Team}},
		{`INSERT INTO deliveries (id, team_id, event_id, integration_id, status, reason, completed_at)
		 SELECT i || '-' || e.id, e.team_id, e.id, i, 'delivered', '', e.received_at FROM events e, unnest(ARRAY[$2, $3]) i WHERE e.team_id = $1`, []any{s.Team, a, o}},
		{`INSERT INTO attempts (delivery_id, integration_id, attempt_no, trigger, outcome, started_at, duration_ms,
			request_method, request_url, request_headers, request_body)
		 SELECT d.id, d.integration_id, n, 'auto', CASE WHEN n = 1 AND random() < 0.2 THEN 'retry' ELSE 'delivered' END,
			d.completed_at + n * interval '1 second', (random() * 400)::int, 'POST', 'http://x', '{}', ''
		 FROM deliveries d, generate_series(1, 2) n WHERE d.team_id = $1`, []any{s.Team}},
		{`ANALYZE`, nil},
	} {
		if _, err := s.Store.DB().Exec(q.sql, q.args...); err != nil {
			b.Fatalf("%.60s: %v", q.sql, err)
		}
	}
}

func median(xs []time.Duration) time.Duration {
	sort.Slice(xs, func(i, j int) bool { return xs[i] < xs[j] })
	return xs[len(xs)/2]
}

// BenchmarkReplayBesideLive measures what a replay of 10,000 past events
// does to a live stream (20 events a second for 20 s, fan-out 3) in the
// same run: the stream's end-to-end p99 alone, and beside the replay at
// its default rate, rounds interleaved. BENCHMARKS.md has the figures.
//
//	go test -run '^$' -bench ReplayBesideLive -benchtime 2x -timeout 60m ./test/e2e
func BenchmarkReplayBesideLive(b *testing.B) {
	recv, err := bench.NewReceiver()
	if err != nil {
		b.Fatal(err)
	}
	defer recv.Close()
	s := benchStack(b, recv, func(*config.Config) {})
	postPastJobs(b, s, 10_000)
	past := testenv.NewReceiver(b)
	x := s.CreateIntegration(b, map[string]any{"name": "replayed", "type": "webhook", "url": past.URL, "events": []string{"job-run:*"}})
	p99 := map[string][]float64{}
	for i := 0; i < b.N; i++ {
		for _, mode := range []string{"alone", "beside"} {
			var id string
			if mode == "beside" {
				var v api.ReplayView
				s.Do(b, http.MethodPost, "/v1/integrations/"+x.ID+"/replay", s.Key, map[string]any{"since": time.Now().Add(-24 * time.Hour).UTC().Format(time.RFC3339), "again": true}).JSON(b, &v)
				id = v.ID
			}
			o := bench.Options{GatewayURL: s.URL, APIKey: s.Key, Rate: 20, Duration: 20 * time.Second, Concurrency: 16, FanOut: 3}
			f, err := bench.RunHerald(context.Background(), o, recv, fmt.Sprintf("live-%s-%d", mode, i))
			if err != nil || f.Missing != 0 {
				b.Fatalf("%s: %v (%+v)", mode, err, f)
			}
			p99[mode] = append(p99[mode], f.EndToEndP99MS)
			if id != "" {
				s.Do(b, http.MethodDelete, "/v1/replays/"+id, s.Key, nil)
			}
		}
	}
	b.ReportMetric(mean(p99["alone"]), "alone-p99-ms")
	b.ReportMetric(mean(p99["beside"]), "beside-p99-ms")
	b.ReportMetric(mean(p99["beside"])/mean(p99["alone"]), "beside/alone")
}

// postPastJobs posts n job-run events nothing subscribes to yet, and waits
// until every one is recorded.
func postPastJobs(b *testing.B, s *testenv.Stack, n int) {
	for start := 0; start < n; start += 100 {
		var evs []map[string]any
		for i := start; i < min(n, start+100); i++ {
			evs = append(evs, map[string]any{"id": fmt.Sprintf("job-%d", i), "event": "job-run:success", "data": map[string]any{"job": map[string]any{"id": i}}})
		}
		if r := s.Do(b, http.MethodPost, "/v1/events/batch", s.Key, map[string]any{"events": evs}); r.Status != http.StatusMultiStatus {
			b.Fatalf("batch: %d %s", r.Status, r.Body)
		}
	}
	for deadline := time.Now().Add(15 * time.Minute); ; time.Sleep(time.Second) {
		var c int
		err := s.Store.DB().QueryRow(`SELECT count(*) FROM events WHERE id LIKE 'job-%'`).Scan(&c)
		if err == nil && c == n {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d past events recorded (%v)", c, n, err)
		}
	}
}
