package service

import (
	"context"
	"math"
	"sort"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/problem"
	"github.com/heraldhq/herald/internal/store"
)

// StatsWindow is a window of numbers: its length and its series' bucket.
type StatsWindow struct {
	Name   string
	Length time.Duration
	Bucket time.Duration
}

// The windows GET /v1/integrations/{id}/stats answers.
var (
	Stats24h = StatsWindow{Name: "24h", Length: 24 * time.Hour, Bucket: time.Hour}
	Stats7d  = StatsWindow{Name: "7d", Length: 7 * 24 * time.Hour, Bucket: 24 * time.Hour}
)

// ParseStatsWindow reads ?window= ("": 24h).
func ParseStatsWindow(s string) (StatsWindow, error) {
	switch s {
	case "", Stats24h.Name:
		return Stats24h, nil
	case Stats7d.Name:
		return Stats7d, nil
	}
	return StatsWindow{}, problem.BadRequest("window %q: want 24h or 7d", s)
}

// Stats are an integration's numbers over the window named ("": 24h)
// ending now: what the API and the console show.
func (s *Service) Stats(ctx context.Context, integ store.Integration, window string) (api.IntegrationStats, error) {
	w, err := ParseStatsWindow(window)
	if err != nil {
		return api.IntegrationStats{}, err
	}
	now := time.Now().UTC()
	from := now.Add(-w.Length).Truncate(w.Bucket)
	counts, err := s.store.AttemptStats(ctx, integ.ID, from, now)
	if err != nil {
		return api.IntegrationStats{}, err
	}
	return SummarizeStats(counts, w, from, now), nil
}

// SummarizeStats sums an integration's counted attempts into its numbers.
func SummarizeStats(counts store.AttemptCounts, w StatsWindow, from, now time.Time) api.IntegrationStats {
	out := api.IntegrationStats{Window: w.Name, From: from, To: now, Outcomes: map[herald.Outcome]int64{}}
	n := int(math.Ceil(float64(now.Sub(from)) / float64(w.Bucket)))
	out.Series = make([]api.StatsBucket, n)
	for i := range out.Series {
		out.Series[i].Start = from.Add(time.Duration(i) * w.Bucket)
	}
	for _, r := range counts.Series {
		i := int(r.Hour.Sub(from) / w.Bucket)
		if r.Hour.Before(from) || i >= n {
			continue
		}
		out.Attempts += r.Attempts
		out.Outcomes[r.Outcome] += r.Attempts
		out.Series[i].Attempts += r.Attempts
		if r.Outcome == herald.OutcomeDelivered {
			out.Series[i].Delivered += r.Attempts
		}
	}
	hist, timed := map[int]int64{}, int64(0)
	for _, b := range counts.Latency {
		hist[b.Bucket] += b.Attempts
		timed += b.Attempts
	}
	if out.Attempts > 0 {
		rate := float64(out.Outcomes[herald.OutcomeDelivered]) / float64(out.Attempts)
		out.SuccessRate = &rate
		out.LatencyMs = api.LatencyView{P50: percentile(hist, timed, 0.50), P95: percentile(hist, timed, 0.95)}
	}
	return out
}

// percentile is the upper bound, in milliseconds, of the latency bucket the
// q-th attempt falls in (bucket b holds durations below 2^((b+1)/4) ms).
func percentile(hist map[int]int64, total int64, q float64) *int {
	buckets := make([]int, 0, len(hist))
	for b := range hist {
		buckets = append(buckets, b)
	}
	sort.Ints(buckets)
	want := int64(math.Ceil(q * float64(total)))
	var seen int64
	for _, b := range buckets {
		if seen += hist[b]; seen >= want {
			ms := int(math.Round(math.Exp2(float64(b+1) / 4)))
			return &ms
		}
	}
	return nil
}
