package gateway

import (
	"testing"
	"time"
)

func TestNextLimit(t *testing.T) {
	p := limitParams{Min: 4, Max: 256, Target: 250 * time.Millisecond, Backoff: 0.75, Cooldown: 200 * time.Millisecond}
	t0 := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	fast, slow := 20*time.Millisecond, 900*time.Millisecond
	cases := []struct {
		name      string
		limit     float64
		lastCut   time.Time
		sample    startSample
		wantLimit float64
		wantCut   time.Time
	}{
		{"a fast start while the limit is used adds 1/limit", 32, time.Time{}, startSample{Latency: fast, Inflight: 20, At: t0}, 32 + 1.0/32, time.Time{}},
		{"a fast start while the limit is idle leaves it", 32, time.Time{}, startSample{Latency: fast, Inflight: 3, At: t0}, 32, time.Time{}},
		{"never above the maximum", 256, time.Time{}, startSample{Latency: fast, Inflight: 256, At: t0}, 256, time.Time{}},
		{"a slow start cuts it", 32, time.Time{}, startSample{Latency: slow, Inflight: 32, At: t0}, 24, t0},
		{"a failed start cuts it", 32, time.Time{}, startSample{Latency: fast, Failed: true, Inflight: 32, At: t0}, 24, t0},
		{"not twice within the cooldown", 24, t0, startSample{Latency: slow, Inflight: 32, At: t0.Add(100 * time.Millisecond)}, 24, t0},
		{"again after the cooldown", 24, t0, startSample{Latency: slow, Inflight: 24, At: t0.Add(300 * time.Millisecond)}, 18, t0.Add(300 * time.Millisecond)},
		{"never below the minimum", 5, time.Time{}, startSample{Failed: true, Inflight: 5, At: t0}, 4, t0},
		{"a start exactly at the target is fast", 10, time.Time{}, startSample{Latency: 250 * time.Millisecond, Inflight: 10, At: t0}, 10.1, time.Time{}},
	}
	for _, c := range cases {
		gotLimit, gotCut := nextLimit(c.limit, c.lastCut, c.sample, p)
		if gotLimit != c.wantLimit || !gotCut.Equal(c.wantCut) {
			t.Errorf("%s: got %g cut %v, want %g cut %v", c.name, gotLimit, gotCut, c.wantLimit, c.wantCut)
		}
	}
}

func TestIngestLimiterAdmitsUpToTheLimit(t *testing.T) {
	l := newIngestLimiter(32)
	var releases []func(bool)
	for range 32 {
		release, ok := l.admit()
		if !ok {
			t.Fatalf("refused at %d in flight, under the limit of 32", len(releases))
		}
		releases = append(releases, release)
	}
	if _, ok := l.admit(); ok {
		t.Fatal("admitted a 33rd start over the limit")
	}
	for _, r := range releases {
		r(true) // all failed at once: one cut, not 32
	}
	if got := l.current(); got != 24 {
		t.Errorf("after a burst of failures the limit is %d, want 24", got)
	}
	for range 24 {
		if _, ok := l.admit(); !ok {
			t.Fatal("refused under the cut limit")
		}
	}
	if _, ok := l.admit(); ok {
		t.Fatal("admitted over the cut limit")
	}
	if small := newIngestLimiter(2); small.current() != 2 || small.p.Min != 2 {
		t.Errorf("a maximum below the minimum: limit %d, minimum %g", small.current(), small.p.Min)
	}
}
