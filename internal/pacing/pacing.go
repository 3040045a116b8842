// Package pacing is how fast Herald may send to one integration: its rate
// limit, an integration's override of it, and the reservation arithmetic
// (GCRA) over the integration's shared pace state. It is pure (no clock, no
// I/O): the store runs Reserve inside a row lock on the integration's own
// pace row, so every worker draws from one budget, and the table tests here
// pin what it decides.
package pacing

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/heraldhq/herald/internal/jsontime"
)

// Limit is a rate: Count requests per Per, of which up to Burst may go at
// once. The zero Limit is unlimited (no pacing).
type Limit struct {
	Count int           `json:"count"`
	Per   time.Duration `json:"per"`
	Burst int           `json:"burst"`
}

// Bounds of a limit: slower than one request a day is a typo, and a burst
// of more than 1,000 is no pacing at all.
const (
	MaxPer   = 24 * time.Hour
	MaxBurst = 1000
	MaxCount = 1_000_000
)

// Unlimited reports whether l paces nothing.
func (l Limit) Unlimited() bool { return l.Count <= 0 }

// Interval is the time between two requests at the steady rate.
func (l Limit) Interval() time.Duration {
	if l.Unlimited() {
		return 0
	}
	return l.Per / time.Duration(l.Count)
}

// Validate says what is wrong with a limit, naming the field.
func (l Limit) Validate() error {
	switch {
	case l.Count < 1 || l.Count > MaxCount:
		return &FieldError{"rateLimit.count", fmt.Sprintf("must be from 1 to %d", MaxCount)}
	case l.Per <= 0 || l.Per > MaxPer:
		return &FieldError{"rateLimit.per", fmt.Sprintf("must be a duration above 0 and at most %s", MaxPer)}
	case l.Per/time.Duration(l.Count) < time.Millisecond:
		return &FieldError{"rateLimit.per", "the rate is above 1,000 requests a second: remove the limit instead"}
	case l.Burst < 1 || l.Burst > MaxBurst:
		return &FieldError{"rateLimit.burst", fmt.Sprintf("must be from 1 to %d", MaxBurst)}
	}
	return nil
}

func (l Limit) String() string {
	if l.Unlimited() {
		return "unlimited"
	}
	return fmt.Sprintf("%d per %s (burst %d)", l.Count, l.Per, l.Burst)
}

// FieldError names the request field a bad value came in.
type FieldError struct{ Field, Problem string }

func (e *FieldError) Error() string { return e.Field + ": " + e.Problem }

// Override is an integration's rateLimit as the API takes it: each field set
// replaces the channel default's; Off removes pacing altogether.
type Override struct {
	Count *int               `json:"count,omitempty"`
	Per   *jsontime.Duration `json:"per,omitempty"`
	Burst *int               `json:"burst,omitempty"`
	Off   bool               `json:"off,omitempty"`
}

// UnmarshalJSON names the field a bad value came in: a per that is not a
// duration is "rateLimit.per", not a bare parse error.
func (o *Override) UnmarshalJSON(b []byte) error {
	var raw struct {
		Count *int            `json:"count"`
		Per   json.RawMessage `json:"per"`
		Burst *int            `json:"burst"`
		Off   bool            `json:"off"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return &FieldError{"rateLimit", "want {\"count\": N, \"per\": \"1s\", \"burst\": B} or {\"off\": true}: " + err.Error()}
	}
	*o = Override{Count: raw.Count, Burst: raw.Burst, Off: raw.Off}
	if len(raw.Per) > 0 && string(raw.Per) != "null" {
		var d jsontime.Duration
		if err := json.Unmarshal(raw.Per, &d); err != nil {
			return &FieldError{"rateLimit.per", err.Error()}
		}
		o.Per = &d
	}
	return nil
}

// Apply returns base with the override's fields, validated. An override of a
// channel that has no default (webhooks) must give count and per; its burst
// defaults to 1.
func (o *Override) Apply(base Limit) (Limit, error) {
	if o == nil {
		return base, nil
	}
	if o.Off {
		if o.Count != nil || o.Per != nil || o.Burst != nil {
			return Limit{}, &FieldError{"rateLimit.off", "cannot be set together with count, per or burst"}
		}
		return Limit{}, nil
	}
	if base.Unlimited() {
		base = Limit{Burst: 1}
	}
	if o.Count != nil {
		base.Count = *o.Count
		if *o.Count < 1 {
			return Limit{}, &FieldError{"rateLimit.count", fmt.Sprintf("must be from 1 to %d", MaxCount)}
		}
	}
	if o.Per != nil {
		base.Per = time.Duration(*o.Per)
	}
	if o.Burst != nil {
		base.Burst = *o.Burst
	}
	return base, base.Validate()
}

// State is an integration's shared pace: the GCRA theoretical arrival time
// of the next request at the steady rate, and how far a 429 despite pacing
// has slowed the rate down.
type State struct {
	// TAT is when the budget is back to full burst. Zero: never used.
	TAT time.Time
	// Slowdown halves the rate per step (0 to MaxSlowdown), after a 429 that
	// pacing did not prevent; SlowedAt is when it last rose.
	Slowdown int
	SlowedAt time.Time
}

// Slowing down after a 429 despite pacing: each one halves the rate, to at
// most an eighth of it, and each RecoverStep without another doubles it
// back: a limit lower than assumed, or another sender on the same webhook,
// is followed within a few answers and forgotten within two minutes.
const (
	MaxSlowdown = 3
	RecoverStep = 30 * time.Second
)

// slowdownAt is the slowdown in force at now, recovered step by step.
func (s State) slowdownAt(now time.Time) int {
	if s.Slowdown <= 0 {
		return 0
	}
	steps := int(now.Sub(s.SlowedAt) / RecoverStep)
	return max(0, s.Slowdown-steps)
}

// Effective is the limit in force at now: l slowed down by s.
func Effective(l Limit, s State, now time.Time) Limit {
	if k := s.slowdownAt(now); k > 0 && !l.Unlimited() {
		l.Per <<= k
	}
	return l
}

// Reserve takes the next request slot at or after now under l: it returns
// the new state and when the request may go. Requests within the burst go at
// once; the rest are spaced by the interval, in the order they reserve.
// This is GCRA: the request conforms at t when t ≥ TAT − (Burst−1)·Interval.
func Reserve(s State, l Limit, now time.Time) (State, time.Time) {
	if l.Unlimited() {
		return s, now
	}
	l = Effective(l, s, now)
	t := l.Interval()
	tolerance := time.Duration(l.Burst-1) * t
	tat := s.TAT
	if tat.Before(now) {
		tat = now
	}
	slot := tat.Add(-tolerance)
	if slot.Before(now) {
		slot = now
	}
	s.TAT = tat.Add(t)
	return s, slot
}

// Hold keeps every request from going before until: a platform said its
// bucket is empty until then (Discord's X-RateLimit-Reset-After with
// X-RateLimit-Remaining 0), or answered 429 with a Retry-After. The first
// request after it goes at until, the next ones one interval apart: waiting
// deliveries are released one slot at a time, never all at once.
func Hold(s State, l Limit, until time.Time) State {
	if l.Unlimited() {
		return s
	}
	tolerance := time.Duration(l.Burst-1) * Effective(l, s, until).Interval()
	if min := until.Add(tolerance); s.TAT.Before(min) {
		s.TAT = min
	}
	return s
}

// Throttled is the state after a 429 that pacing did not prevent, at now: the
// rate is slowed one more step, and nothing goes before the Retry-After.
func Throttled(s State, l Limit, now time.Time, retryAfter time.Duration) State {
	if l.Unlimited() {
		return s
	}
	s.Slowdown = min(s.slowdownAt(now)+1, MaxSlowdown)
	s.SlowedAt = now
	return Hold(s, l, now.Add(retryAfter))
}
