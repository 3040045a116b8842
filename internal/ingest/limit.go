package ingest

import (
	"math"
	"sync"
	"time"

	"github.com/heraldhq/herald/internal/contract"
)

// The ingest path bounds the event starts it has in flight with an adaptive
// limit (additive increase, multiplicative decrease): events over it go to
// the outbox (202, started as the limit allows; a 503 only when the outbox
// is full too) instead of queueing at Temporal. A fixed bound only caps
// goroutines, while starts Temporal cannot keep up with keep arriving there
// and delay every accepted event behind them.
const (
	// ingestTarget is the start latency the limit steers below. A start takes
	// tens of milliseconds at a steady rate and a few hundred in a burst at
	// Temporal's ceiling (BENCHMARKS.md); events over the limit go to the
	// outbox (202, started as the limit allows), so steering low costs a burst
	// nothing and keeps ingest latency low.
	ingestTarget = 250 * time.Millisecond
	// ingestBackoff multiplies the limit on a slow or failed start, at most
	// once per ingestCooldown so that one burst of slow answers counts once.
	ingestBackoff  = 0.75
	ingestCooldown = 200 * time.Millisecond
	// ingestMinLimit keeps a trickle of starts going to notice recovery.
	ingestMinLimit = 4
	// ingestRecover: once no start has been slow for this long, every fast
	// start gives back a whole slot, used or not, so the limit climbs from the
	// minimum to 256 in 252 fast starts (about 13 s at 20 events/s, well under
	// a second in a burst) instead of staying cut after the burst that cut it.
	ingestRecover = time.Second
)

// limitParams bound and steer the limit.
type limitParams struct {
	Min, Max float64
	Target   time.Duration
	Backoff  float64
	Cooldown time.Duration
	// Recover is how long after the last cut fast starts count in whole slots.
	Recover time.Duration
}

// startSample is one finished start: how long it took, whether it failed,
// how many were in flight when it began, and when it ended.
type startSample struct {
	Latency  time.Duration
	Failed   bool
	Inflight int
	At       time.Time
}

// nextLimit is the limit after a sample; lastCut is when it was last cut.
// A slow or failed start (Failed: Temporal was unavailable or overloaded, not
// a start it refused for its content) cuts it by Backoff unless it was cut
// within Cooldown. A fast success adds 1/limit (one per limit's worth of
// starts) when the limit was being used; once Recover has passed since the
// last cut it adds 1, used or not, so that a limit cut by one burst comes back
// when Temporal does, even under a light load that never fills it.
func nextLimit(limit float64, lastCut time.Time, s startSample, p limitParams) (float64, time.Time) {
	if s.Failed || s.Latency > p.Target {
		if s.At.Sub(lastCut) < p.Cooldown {
			return limit, lastCut
		}
		return math.Max(p.Min, limit*p.Backoff), s.At
	}
	switch {
	case s.At.Sub(lastCut) >= p.Recover:
		limit = math.Min(p.Max, limit+1)
	case float64(s.Inflight) >= limit/2:
		limit = math.Min(p.Max, limit+1/limit)
	}
	return limit, lastCut
}

// Limiter admits event starts under the adaptive limit.
type Limiter struct {
	p        limitParams
	mu       sync.Mutex
	limit    float64
	inflight int
	lastCut  time.Time
}

func NewLimiter(maxInflight int) *Limiter {
	p := limitParams{Min: math.Min(ingestMinLimit, float64(maxInflight)), Max: float64(maxInflight),
		Target: ingestTarget, Backoff: ingestBackoff, Cooldown: ingestCooldown, Recover: ingestRecover}
	// A new gateway trusts Temporal fully until starts get slow.
	return &Limiter{p: p, limit: p.Max}
}

// admit takes a slot without waiting, or says no at once. release reports
// what became of the start: only Temporal's slowness moves the shared limit
// (a start refused for what one event carries says nothing about Temporal).
func (l *Limiter) Admit() (release func(contract.StartFailure), ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if float64(l.inflight) >= math.Floor(l.limit) {
		return nil, false
	}
	l.inflight++
	inflight, began := l.inflight, time.Now()
	return func(f contract.StartFailure) {
		failed := f == contract.StartSlow
		now := time.Now()
		l.mu.Lock()
		defer l.mu.Unlock()
		l.inflight--
		l.limit, l.lastCut = nextLimit(l.limit, l.lastCut, startSample{Latency: now.Sub(began), Failed: failed, Inflight: inflight, At: now}, l.p)
	}, true
}

// current is the limit now, rounded down as admit applies it.
func (l *Limiter) Current() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return int(l.limit)
}
