package ingest

import (
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/contract"
)

func TestNextLimit(t *testing.T) {
	p := limitParams{Min: 4, Max: 256, Target: 250 * time.Millisecond, Backoff: 0.75, Cooldown: 200 * time.Millisecond, Recover: time.Second}
	t0 := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	recent := t0.Add(-500 * time.Millisecond) // cut within Recover of t0
	fast, slow := 20*time.Millisecond, 900*time.Millisecond
	cases := []struct {
		name      string
		limit     float64
		lastCut   time.Time
		sample    startSample
		wantLimit float64
		wantCut   time.Time
	}{
		{"soon after a cut, a fast start while the limit is used adds 1/limit", 32, recent, startSample{Latency: fast, Inflight: 20, At: t0}, 32 + 1.0/32, recent},
		{"soon after a cut, a fast start while the limit is idle leaves it", 32, recent, startSample{Latency: fast, Inflight: 3, At: t0}, 32, recent},
		{"a second after the last cut, a fast start adds a whole slot even when idle", 6, t0.Add(-time.Second), startSample{Latency: fast, Inflight: 1, At: t0}, 7, t0.Add(-time.Second)},
		{"never cut: a fast start adds a whole slot", 32, time.Time{}, startSample{Latency: fast, Inflight: 20, At: t0}, 33, time.Time{}},
		{"never above the maximum", 256, time.Time{}, startSample{Latency: fast, Inflight: 256, At: t0}, 256, time.Time{}},
		{"a slow start cuts it", 32, time.Time{}, startSample{Latency: slow, Inflight: 32, At: t0}, 24, t0},
		{"a failed start cuts it", 32, time.Time{}, startSample{Latency: fast, Failed: true, Inflight: 32, At: t0}, 24, t0},
		{"not twice within the cooldown", 24, t0, startSample{Latency: slow, Inflight: 32, At: t0.Add(100 * time.Millisecond)}, 24, t0},
		{"again after the cooldown", 24, t0, startSample{Latency: slow, Inflight: 24, At: t0.Add(300 * time.Millisecond)}, 18, t0.Add(300 * time.Millisecond)},
		{"never below the minimum", 5, time.Time{}, startSample{Failed: true, Inflight: 5, At: t0}, 4, t0},
		{"a start exactly at the target is fast", 10, recent, startSample{Latency: 250 * time.Millisecond, Inflight: 10, At: t0}, 10.1, recent},
	}
	for _, c := range cases {
		gotLimit, gotCut := nextLimit(c.limit, c.lastCut, c.sample, p)
		if gotLimit != c.wantLimit || !gotCut.Equal(c.wantCut) {
			t.Errorf("%s: got %g cut %v, want %g cut %v", c.name, gotLimit, gotCut, c.wantLimit, c.wantCut)
		}
	}
}

// After a burst cut the limit to its minimum, a light steady load (one start
// in flight at a time, 20 a second, each fast) brings it back to the maximum:
// the limit follows Temporal's latency, not the load that happens to come.
func TestNextLimitRecoversUnderLightLoad(t *testing.T) {
	p := limitParams{Min: 4, Max: 256, Target: 250 * time.Millisecond, Backoff: 0.75, Cooldown: 200 * time.Millisecond, Recover: time.Second}
	t0 := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	limit, lastCut := 4.0, t0
	at := t0
	n := 0
	for limit < p.Max {
		at = at.Add(50 * time.Millisecond)
		limit, lastCut = nextLimit(limit, lastCut, startSample{Latency: 30 * time.Millisecond, Inflight: 1, At: at}, p)
		if n++; n > 10000 {
			t.Fatalf("after %d fast starts over %v the limit is still %g", n, at.Sub(t0), limit)
		}
	}
	// 1 s of fractional growth, then one slot per start: 20 + 252 starts.
	if at.Sub(t0) > 15*time.Second {
		t.Errorf("the limit took %v of fast starts to recover from 4 to 256, want within 15 s", at.Sub(t0))
	}
	// One slow start cuts it again, and the next second's fast starts grow it
	// only fractionally.
	limit, lastCut = nextLimit(limit, lastCut, startSample{Latency: time.Second, Inflight: 1, At: at}, p)
	if limit != 192 || !lastCut.Equal(at) {
		t.Errorf("a slow start after recovery: %g cut %v", limit, lastCut)
	}
}

func TestIngestLimiterAdmitsUpToTheLimit(t *testing.T) {
	l := NewLimiter(32)
	var releases []func(contract.StartFailure)
	for range 32 {
		release, ok := l.Admit()
		if !ok {
			t.Fatalf("refused at %d in flight, under the limit of 32", len(releases))
		}
		releases = append(releases, release)
	}
	if _, ok := l.Admit(); ok {
		t.Fatal("admitted a 33rd start over the limit")
	}
	for _, r := range releases {
		r(contract.StartSlow) // all slow at once: one cut, not 32
	}
	if got := l.Current(); got != 24 {
		t.Errorf("after a burst of failures the limit is %d, want 24", got)
	}
	for range 24 {
		if _, ok := l.Admit(); !ok {
			t.Fatal("refused under the cut limit")
		}
	}
	if _, ok := l.Admit(); ok {
		t.Fatal("admitted over the cut limit")
	}
	if small := NewLimiter(2); small.Current() != 2 || small.p.Min != 2 {
		t.Errorf("a maximum below the minimum: limit %d, minimum %g", small.Current(), small.p.Min)
	}
}
