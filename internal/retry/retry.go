// Package retry is the delivery retry schedule: the policy, an integration's
// override of it, and the delay before each attempt. It is pure (no clock, no
// I/O), so workflows compute the same schedule on every replay.
package retry

import (
	"fmt"
	"hash/fnv"
	"time"

	"github.com/heraldhq/herald/internal/jsontime"
)

// Policy is the delivery retry schedule: first retry after InitialInterval,
// each later one BackoffCoefficient times longer, capped at MaxInterval,
// MaxAttempts attempts in all (the first one included). It travels in
// workflow history: its JSON names do not change.
type Policy struct {
	InitialInterval    time.Duration `json:"initialInterval"`
	BackoffCoefficient float64       `json:"backoffCoefficient"`
	MaxInterval        time.Duration `json:"maxInterval"`
	MaxAttempts        int           `json:"maxAttempts"`
	// Jitter spreads each delay by up to ±Jitter of itself (0 to 0.5; 0,
	// the default, keeps the schedule exact). See Jittered.
	Jitter float64 `json:"jitter,omitempty"`
}

// Bounds of a schedule: a wait longer than a day, or a factor that reaches
// it in two steps, is a typo, not a policy.
const (
	MaxInterval           = 24 * time.Hour
	MaxBackoffCoefficient = 10.0
	MaxAttempts           = 100
	MinInterval           = time.Second
	MaxJitter             = 0.5
)

// Validate says what is wrong with a policy, if anything.
func (p Policy) Validate() error {
	switch {
	case p.InitialInterval < MinInterval:
		return fmt.Errorf("retry initial interval %s: must be at least %s", p.InitialInterval, MinInterval)
	case p.BackoffCoefficient < 1:
		return fmt.Errorf("retry backoff coefficient %g: must be at least 1", p.BackoffCoefficient)
	case p.BackoffCoefficient > MaxBackoffCoefficient:
		return fmt.Errorf("retry backoff coefficient %g: must be at most %g", p.BackoffCoefficient, MaxBackoffCoefficient)
	case p.MaxInterval < p.InitialInterval:
		return fmt.Errorf("retry max interval %s: must be at least the initial interval %s", p.MaxInterval, p.InitialInterval)
	case p.MaxInterval > MaxInterval:
		return fmt.Errorf("retry max interval %s: must be at most %s (a longer wait outlives the delivery it retries)", p.MaxInterval, MaxInterval)
	case p.MaxAttempts < 1 || p.MaxAttempts > MaxAttempts:
		return fmt.Errorf("retry max attempts %d: must be between 1 and %d", p.MaxAttempts, MaxAttempts)
	case p.Jitter < 0 || p.Jitter > MaxJitter:
		return fmt.Errorf("retry jitter %g: must be from 0 to %g", p.Jitter, MaxJitter)
	}
	return nil
}

// Delay is the wait after failed attempt n (1-based) under this policy, the same
// schedule Temporal computes: InitialInterval × BackoffCoefficient^(n-1), capped.
func (p Policy) Delay(n int) time.Duration {
	d := float64(p.InitialInterval)
	for i := 1; i < n && d < float64(p.MaxInterval); i++ {
		d *= p.BackoffCoefficient
	}
	return min(time.Duration(d), p.MaxInterval)
}

// Jittered is Delay(n) spread by the policy's Jitter, with u in [0, 1)
// (Unit: a hash of the delivery and the attempt, so every replay and every
// worker computes the same): u of 0.5 gives Delay(n) itself. The result
// stays within [MinInterval, MaxInterval], which may pass the policy's own
// MaxInterval.
func (p Policy) Jittered(n int, u float64) time.Duration {
	d := p.Delay(n)
	if p.Jitter == 0 {
		return d
	}
	spread := float64(d) * p.Jitter * (2*u - 1)
	return min(max(time.Duration(float64(d)+spread), MinInterval), MaxInterval)
}

// Span is the longest a delivery can wait between its first attempt and
// its last under this policy: every delay at the top of its jitter.
func (p Policy) Span() time.Duration {
	var total time.Duration
	for n := 1; n < p.MaxAttempts; n++ {
		total += min(time.Duration(float64(p.Delay(n))*(1+p.Jitter)), MaxInterval)
	}
	return total
}

// DefaultJitter spreads each retry by up to ±20 % of its delay. Bounded
// ("equal") jitter rather than full jitter: the documented schedule stays
// what a reader can count on (the first retry comes after 4 to 6 s, not
// anywhere from 0 to 5 s), while deliveries that failed together in an
// outage come back spread over a fifth of their delay instead of in step.
const DefaultJitter = 0.2

// Unit is a number in [0, 1) fixed by a delivery and its attempt number: the
// jitter of that retry. Being a function of the ids, not a random draw, it is
// the same on every replay and in every test, and still differs from one
// delivery to the next.
func Unit(deliveryID string, attempt int) float64 {
	h := fnv.New64a()
	h.Write([]byte(deliveryID))
	h.Write([]byte{'/', byte(attempt), byte(attempt >> 8)})
	return float64(h.Sum64()>>11) / (1 << 53)
}

// Override is an integration's own retry schedule: each field set replaces
// the default's.
type Override struct {
	MaxAttempts     *int               `json:"maxAttempts,omitempty"`
	InitialInterval *jsontime.Duration `json:"initialInterval,omitempty"`
	MaxInterval     *jsontime.Duration `json:"maxInterval,omitempty"`
}

// Patch is o with the fields patch sets replaced: a PATCH changes the
// fields it names and keeps the others.
func (o *Override) Patch(patch Override) Override {
	var out Override
	if o != nil {
		out = *o
	}
	if patch.MaxAttempts != nil {
		out.MaxAttempts = patch.MaxAttempts
	}
	if patch.InitialInterval != nil {
		out.InitialInterval = patch.InitialInterval
	}
	if patch.MaxInterval != nil {
		out.MaxInterval = patch.MaxInterval
	}
	return out
}

// Apply returns base with the override's fields, validated.
func (o *Override) Apply(base Policy) (Policy, error) {
	if o == nil {
		return base, nil
	}
	if o.MaxAttempts != nil {
		base.MaxAttempts = *o.MaxAttempts
	}
	if o.InitialInterval != nil {
		base.InitialInterval = time.Duration(*o.InitialInterval)
	}
	if o.MaxInterval != nil {
		base.MaxInterval = time.Duration(*o.MaxInterval)
	}
	if base.MaxInterval < base.InitialInterval && o.MaxInterval == nil {
		// A longer first delay than the default cap raises the cap with it.
		base.MaxInterval = base.InitialInterval
	}
	return base, base.Validate()
}
