// Package health tracks how an integration's deliveries are faring. It is pure:
// Next takes the current state and what just happened and returns the new
// state and a decision (disable now, recover waiting deliveries) as data; the
// store applies the state and the workflows act on the decision.
package health

import (
	"fmt"
	"time"

	"github.com/heraldhq/herald"
)

// State is an integration's health counters.
type State struct {
	Enabled bool
	// FailedRequests counts failed attempts since the last success.
	FailedRequests int
	// FirstFailedAt is when the first of them happened (nil when healthy).
	FirstFailedAt *time.Time
	// ConsecutiveFailures counts deliveries that ended failed since the last success.
	ConsecutiveFailures int
	// DisablePending holds the reason of a disable decided and not yet carried
	// out, so that it is decided once however many failures race past the threshold.
	DisablePending string
}

// Status is the health shown to people.
func (s State) Status() herald.Health {
	switch {
	case !s.Enabled:
		return herald.HealthDisabled
	case s.FailedRequests > 0 || s.ConsecutiveFailures > 0:
		return herald.HealthFailing
	}
	return herald.HealthHealthy
}

// Attempt is what just happened to one delivery attempt.
type Attempt struct {
	Outcome herald.Outcome
	// DeliveryFailed is true when this attempt ended its delivery as failed
	// (gone, permanent, or the last scheduled attempt).
	DeliveryFailed bool
	At             time.Time
}

// Decision is what the caller must do after an attempt.
type Decision struct {
	// Disable the integration, for Reason.
	Disable bool
	Reason  string
	// Recovered: the integration answered after failing; deliveries waiting on
	// backoff should be retried now.
	Recovered bool
}

// Next is the state after an attempt and what to do about it. threshold is
// the number of consecutive failed deliveries that disables an integration.
// The disable decision is taken exactly when the count reaches the threshold,
// so concurrent failures past it do not decide again.
func Next(s State, a Attempt, threshold int) (State, Decision) {
	if a.Outcome == herald.OutcomeThrottled {
		// Asked to slow down is not failing: nothing moves.
		return s, Decision{}
	}
	if a.Outcome == herald.OutcomeDelivered {
		recovered := s.FailedRequests > 0 || s.ConsecutiveFailures > 0
		s.FailedRequests, s.FirstFailedAt, s.ConsecutiveFailures = 0, nil, 0
		return s, Decision{Recovered: recovered}
	}
	s.FailedRequests++
	if s.FirstFailedAt == nil {
		at := a.At
		s.FirstFailedAt = &at
	}
	if !a.DeliveryFailed {
		return s, Decision{}
	}
	s.ConsecutiveFailures++
	if !s.Enabled || s.DisablePending != "" {
		return s, Decision{}
	}
	switch {
	case a.Outcome == herald.OutcomeGone:
		s.DisablePending = "the endpoint is gone"
	case threshold > 0 && s.ConsecutiveFailures >= threshold:
		s.DisablePending = fmt.Sprintf("%d consecutive failed deliveries", s.ConsecutiveFailures)
	default:
		return s, Decision{}
	}
	return s, Decision{Disable: true, Reason: s.DisablePending}
}

// Pending is the decision still owed for a state: a disable decided but not
// carried out (an attempt recorded before a crash is replayed through this).
func Pending(s State) Decision {
	if s.Enabled && s.DisablePending != "" {
		return Decision{Disable: true, Reason: s.DisablePending}
	}
	return Decision{}
}
