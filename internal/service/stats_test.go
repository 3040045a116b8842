package service

import (
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/store"
)

func TestSummarizeStats(t *testing.T) {
	from := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	now := from.Add(7 * 24 * time.Hour).Add(-30 * time.Minute)
	counts := store.AttemptCounts{
		Series: []store.HourCount{
			{Hour: from, Outcome: herald.OutcomeDelivered, Attempts: 90},
			{Hour: from.Add(25 * time.Hour), Outcome: herald.OutcomeRetry, Attempts: 8},
			{Hour: from.Add(25 * time.Hour), Outcome: herald.OutcomeDelivered, Attempts: 2},
			{Hour: from.Add(-time.Hour), Outcome: herald.OutcomeDelivered, Attempts: 1000}, // before the window
		},
		// 50 attempts under 2^(8/4) = 4 ms, 45 under 2^(20/4) = 32 ms, 5 under 2^(40/4) = 1024 ms.
		Latency: []store.BucketCount{{Bucket: 7, Attempts: 50}, {Bucket: 19, Attempts: 45}, {Bucket: 39, Attempts: 5}},
	}
	st := SummarizeStats(counts, Stats7d, from, now)
	if st.Attempts != 100 || st.Outcomes[herald.OutcomeDelivered] != 92 || st.Outcomes[herald.OutcomeRetry] != 8 {
		t.Fatalf("counts %+v", st)
	}
	if *st.SuccessRate != 0.92 || len(st.Series) != 7 || st.Series[0].Attempts != 90 || st.Series[1].Attempts != 10 || st.Series[1].Delivered != 2 {
		t.Fatalf("rate %v series %+v", *st.SuccessRate, st.Series)
	}
	if *st.LatencyMs.P50 != 4 || *st.LatencyMs.P95 != 32 {
		t.Errorf("p50 %d p95 %d, want 4 and 32", *st.LatencyMs.P50, *st.LatencyMs.P95)
	}
	if empty := SummarizeStats(store.AttemptCounts{}, Stats24h, from, from.Add(24*time.Hour)); empty.SuccessRate != nil || empty.LatencyMs.P50 != nil || len(empty.Series) != 24 {
		t.Errorf("no attempts: %+v", empty)
	}
}
