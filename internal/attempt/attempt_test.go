package attempt

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/internal/retry"
)

// Every outcome × how long the delivery has been rate limited × the
// attempt's place in the schedule × the schedule (or none: a one-off).
func TestDecideEveryCase(t *testing.T) {
	outcomes := []herald.Outcome{herald.OutcomeDelivered, herald.OutcomeRetry, herald.OutcomeThrottled, herald.OutcomePermanent, herald.OutcomeGone}
	throttled := []time.Duration{0, contract.MaxThrottled - time.Second, contract.MaxThrottled}
	policies := map[string]*retry.Policy{
		"none (one-off)": nil,
		"1 attempt":      {MaxAttempts: 1, InitialInterval: 5 * time.Second, MaxInterval: time.Hour, BackoffCoefficient: 3},
		"3 attempts":     {MaxAttempts: 3, InitialInterval: 5 * time.Second, MaxInterval: time.Hour, BackoffCoefficient: 3},
	}
	for name, p := range policies {
		numbers := []int{1}
		if p != nil {
			numbers = []int{1, p.MaxAttempts - 1, p.MaxAttempts}
		}
		for _, n := range numbers {
			if n < 1 {
				continue
			}
			for _, th := range throttled {
				for _, o := range outcomes {
					var s *contract.Schedule
					if p != nil {
						s = &contract.Schedule{Attempt: n, Policy: *p, Throttled: th}
					}
					t.Run(fmt.Sprintf("%s/attempt %d/throttled %s/%s", name, n, th, o), func(t *testing.T) {
						check(t, o, s, Decide("dlv_1", Answer{Outcome: o, Reason: "why"}, s))
					})
				}
			}
		}
	}
}

// check is the rule, said case by case.
func check(t *testing.T, o herald.Outcome, s *contract.Schedule, d Decision) {
	t.Helper()
	waitedOut := o == herald.OutcomeThrottled && s != nil && s.Throttled < contract.MaxThrottled
	if counted := Counted(d.Outcome, d.Status); counted == waitedOut {
		t.Errorf("counted %v; only a rate limit waited out is not", counted)
	}
	switch {
	case o == herald.OutcomeDelivered:
		want(t, d, herald.DeliveryDelivered, "")
	case o == herald.OutcomeGone:
		want(t, d, herald.DeliveryFailed, "gone: why")
	case o == herald.OutcomePermanent:
		want(t, d, herald.DeliveryFailed, "rejected: why")
	case waitedOut:
		want(t, d, herald.DeliveryRetrying, "rate limited: why")
		if d.Delay != time.Second || d.Outcome != herald.OutcomeThrottled {
			t.Errorf("a rate limit waited out: delay %s, outcome %s", d.Delay, d.Outcome)
		}
		return
	case s == nil:
		want(t, d, herald.DeliveryFailed, "resend failed: ")
	case s.Attempt >= s.Policy.MaxAttempts:
		want(t, d, herald.DeliveryFailed, fmt.Sprintf("gave up after %d attempts: ", s.Attempt))
	default:
		want(t, d, herald.DeliveryRetrying, "why")
		if d.Delay < retry.MinInterval {
			t.Errorf("a retry %s away", d.Delay)
		}
	}
	if o == herald.OutcomeThrottled {
		// Past the bound, or outside the schedule, a rate limit is a failed attempt.
		if d.Outcome != herald.OutcomeRetry || !strings.Contains(d.Reason, "counted as a failed attempt") {
			t.Errorf("a rate limit past the bound recorded as %s %q", d.Outcome, d.Reason)
		}
	}
}

func want(t *testing.T, d Decision, status herald.DeliveryStatus, reason string) {
	t.Helper()
	if d.Status != status || !strings.HasPrefix(d.StatusReason, reason) {
		t.Errorf("status %s %q, want %s %q…", d.Status, d.StatusReason, status, reason)
	}
	if status.Final() && d.Delay != 0 {
		t.Errorf("final with a delay of %s", d.Delay)
	}
}

// The receiver's Retry-After replaces the schedule's delay, and is the
// wait a recovery does not cut short; a rate limit waits it, at least 1 s.
func TestTheReceiversWait(t *testing.T) {
	s := &contract.Schedule{Attempt: 1, Policy: retry.Policy{MaxAttempts: 3, InitialInterval: 5 * time.Second, MaxInterval: time.Hour, BackoffCoefficient: 3}}
	a := Answer{Outcome: herald.OutcomeRetry, Reason: "busy", RetryAfter: 42 * time.Second}
	if d := Decide("dlv_1", a, s); d.Delay != 42*time.Second || d.ReceiverWait(a) != 42*time.Second {
		t.Errorf("retry after 42s: delay %s, receiver's wait %s", d.Delay, d.ReceiverWait(a))
	}
	a.Outcome = herald.OutcomeThrottled
	if d := Decide("dlv_1", a, s); d.Delay != 42*time.Second || d.Outcome != herald.OutcomeThrottled {
		t.Errorf("429 after 42s: %+v", d)
	}
	a.RetryAfter = 0
	if d := Decide("dlv_1", a, s); d.Delay != time.Second {
		t.Errorf("429 with no wait: %s", d.Delay)
	}
	s.Attempt = 3
	a.Outcome, a.RetryAfter = herald.OutcomeRetry, time.Minute
	if d := Decide("dlv_1", a, s); d.ReceiverWait(a) != 0 || d.Delay != 0 {
		t.Errorf("a final attempt keeps a wait: %+v", d)
	}
}

// The jitter is the delivery's own: the same on every run, and not the
// same for two deliveries.
func TestTheDelayIsTheDeliverysOwn(t *testing.T) {
	s := &contract.Schedule{Attempt: 2, Policy: retry.Policy{MaxAttempts: 5, InitialInterval: 10 * time.Second, MaxInterval: time.Hour, BackoffCoefficient: 3, Jitter: 0.2}}
	a := Answer{Outcome: herald.OutcomeRetry}
	first, again := Decide("dlv_1", a, s).Delay, Decide("dlv_1", a, s).Delay
	if first != again {
		t.Errorf("one delivery's delay differs between runs: %s, %s", first, again)
	}
	// 30 s ± 20 %: within the band, and not its middle for both.
	if first < 24*time.Second || first > 36*time.Second {
		t.Errorf("delay %s outside 30 s ± 20 %%", first)
	}
	if first == Decide("dlv_2", a, s).Delay {
		t.Error("two deliveries got the same jittered delay")
	}
}
