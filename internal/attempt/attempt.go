// Package attempt decides what one attempt's answer means for its delivery:
// whether it used an attempt of the retry schedule, whether the delivery is
// now final, and how long until the next attempt. The activity that records
// an attempt and the workflow that waits for the next one both ask it, so the
// rule is written once (README.md, "Failures, health and resending").
package attempt

import (
	"fmt"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/internal/retry"
)

// Answer is what the channel made of the receiver's answer.
type Answer struct {
	Outcome herald.Outcome
	Reason  string
	// RetryAfter is the wait the receiver asked for (0: none).
	RetryAfter time.Duration
}

// Decision is what the answer means for the delivery.
type Decision struct {
	// Outcome and Reason are the attempt's, as recorded: a rate limit past
	// contract.MaxThrottled is recorded as a failed attempt (retry).
	Outcome herald.Outcome
	Reason  string
	// Status is the delivery's state after the attempt, StatusReason why.
	Status       herald.DeliveryStatus
	StatusReason string
	// Delay is the wait before the next scheduled attempt (0 when final).
	Delay time.Duration
}

// ThrottleWait is how long a rate limit holds its delivery and its
// integration: the receiver's wait, and at least a second.
func ThrottleWait(retryAfter time.Duration) time.Duration { return max(retryAfter, time.Second) }

// Decide is the decision for an answer to attempt s of delivery deliveryID
// (s nil: a one-off attempt outside the schedule, a manual resend, final
// whatever the answer).
func Decide(deliveryID string, a Answer, s *contract.Schedule) Decision {
	d := Decision{Outcome: a.Outcome, Reason: a.Reason}
	if a.Outcome == herald.OutcomeThrottled && (s == nil || s.Throttled >= contract.MaxThrottled) {
		// Rate limited for longer than the bound (or once, outside the
		// schedule): from now on it counts as a failed attempt.
		d.Outcome = herald.OutcomeRetry
		d.Reason += fmt.Sprintf(" (rate limited for %s or more: counted as a failed attempt)", contract.MaxThrottled)
	}
	switch d.Outcome {
	case herald.OutcomeDelivered:
		d.Status = herald.DeliveryDelivered
		return d
	case herald.OutcomeGone:
		d.Status, d.StatusReason = herald.DeliveryFailed, "gone: "+d.Reason
		return d
	case herald.OutcomePermanent:
		d.Status, d.StatusReason = herald.DeliveryFailed, "rejected: "+d.Reason
		return d
	case herald.OutcomeThrottled:
		// Asked to slow down: waited out, without using an attempt.
		d.Delay = ThrottleWait(a.RetryAfter)
		d.Status, d.StatusReason = herald.DeliveryRetrying, "rate limited: "+d.Reason
		return d
	}
	switch {
	case s == nil:
		d.Status, d.StatusReason = herald.DeliveryFailed, "resend failed: "+d.Reason
	case s.Attempt >= s.Policy.MaxAttempts:
		d.Status, d.StatusReason = herald.DeliveryFailed, fmt.Sprintf("gave up after %d attempts: %s", s.Attempt, d.Reason)
	default:
		// Jittered per delivery (retry.Unit): deliveries that failed together
		// come back spread out, and each one's schedule is the same on every run.
		d.Status, d.StatusReason = herald.DeliveryRetrying, d.Reason
		d.Delay = s.Policy.Jittered(s.Attempt, retry.Unit(deliveryID, s.Attempt))
		if a.RetryAfter > 0 {
			d.Delay = a.RetryAfter
		}
	}
	return d
}

// Counted says whether an attempt that ended with outcome, leaving its
// delivery in status, used one of the schedule's attempts: all do but a
// rate limit waited out.
func Counted(outcome herald.Outcome, status herald.DeliveryStatus) bool {
	return outcome != herald.OutcomeThrottled || status != herald.DeliveryRetrying
}

// ReceiverWait is the wait the receiver asked for that the next attempt
// keeps to even when the integration recovers: only a retry's.
func (d Decision) ReceiverWait(a Answer) time.Duration {
	if d.Status != herald.DeliveryRetrying {
		return 0
	}
	return a.RetryAfter
}
