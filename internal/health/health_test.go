package health

import (
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

func TestNext(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	healthy := State{Enabled: true}
	cases := []struct {
		name     string
		in       State
		attempt  Attempt
		want     State
		decision Decision
	}{
		{"success while healthy", healthy, Attempt{Outcome: herald.OutcomeDelivered}, healthy, Decision{}},
		{"failed attempt marks failing", healthy, Attempt{Outcome: herald.OutcomeRetry, At: now},
			State{Enabled: true, FailedRequests: 1, FirstFailedAt: &now}, Decision{}},
		{"second failure keeps the first time", State{Enabled: true, FailedRequests: 1, FirstFailedAt: &now},
			Attempt{Outcome: herald.OutcomeRetry, At: now.Add(time.Hour)},
			State{Enabled: true, FailedRequests: 2, FirstFailedAt: &now}, Decision{}},
		{"failed delivery counts", State{Enabled: true, FailedRequests: 3, FirstFailedAt: &now, ConsecutiveFailures: 1},
			Attempt{Outcome: herald.OutcomePermanent, DeliveryFailed: true, At: now},
			State{Enabled: true, FailedRequests: 4, FirstFailedAt: &now, ConsecutiveFailures: 2}, Decision{}},
		{"reaching the threshold disables", State{Enabled: true, FailedRequests: 9, FirstFailedAt: &now, ConsecutiveFailures: 4},
			Attempt{Outcome: herald.OutcomeRetry, DeliveryFailed: true, At: now},
			State{Enabled: true, FailedRequests: 10, FirstFailedAt: &now, ConsecutiveFailures: 5, DisablePending: "5 consecutive failed deliveries"},
			Decision{Disable: true, Reason: "5 consecutive failed deliveries"}},
		{"a pending disable is not decided again", State{Enabled: true, FailedRequests: 10, FirstFailedAt: &now, ConsecutiveFailures: 5, DisablePending: "x"},
			Attempt{Outcome: herald.OutcomeRetry, DeliveryFailed: true, At: now},
			State{Enabled: true, FailedRequests: 11, FirstFailedAt: &now, ConsecutiveFailures: 6, DisablePending: "x"}, Decision{}},
		{"past the threshold without a pending disable decides", State{Enabled: true, FailedRequests: 10, FirstFailedAt: &now, ConsecutiveFailures: 7},
			Attempt{Outcome: herald.OutcomePermanent, DeliveryFailed: true, At: now},
			State{Enabled: true, FailedRequests: 11, FirstFailedAt: &now, ConsecutiveFailures: 8, DisablePending: "8 consecutive failed deliveries"},
			Decision{Disable: true, Reason: "8 consecutive failed deliveries"}},
		{"gone disables at once", healthy, Attempt{Outcome: herald.OutcomeGone, DeliveryFailed: true, At: now},
			State{Enabled: true, FailedRequests: 1, FirstFailedAt: &now, ConsecutiveFailures: 1, DisablePending: "the endpoint is gone"},
			Decision{Disable: true, Reason: "the endpoint is gone"}},
		{"a disabled integration is not disabled again", State{Enabled: false},
			Attempt{Outcome: herald.OutcomeGone, DeliveryFailed: true, At: now},
			State{Enabled: false, FailedRequests: 1, FirstFailedAt: &now, ConsecutiveFailures: 1}, Decision{}},
		// Asked to slow down is not failing, whatever the state: nothing moves.
		{"throttled while healthy", healthy, Attempt{Outcome: herald.OutcomeThrottled, At: now}, healthy, Decision{}},
		{"throttled while failing", State{Enabled: true, FailedRequests: 3, FirstFailedAt: &now, ConsecutiveFailures: 4},
			Attempt{Outcome: herald.OutcomeThrottled, At: now.Add(time.Hour)},
			State{Enabled: true, FailedRequests: 3, FirstFailedAt: &now, ConsecutiveFailures: 4}, Decision{}},
		{"throttled as a delivery's last answer", State{Enabled: true, FailedRequests: 9, FirstFailedAt: &now, ConsecutiveFailures: 4},
			Attempt{Outcome: herald.OutcomeThrottled, DeliveryFailed: true, At: now},
			State{Enabled: true, FailedRequests: 9, FirstFailedAt: &now, ConsecutiveFailures: 4}, Decision{}},
		{"success after failures recovers", State{Enabled: true, FailedRequests: 3, FirstFailedAt: &now, ConsecutiveFailures: 2},
			Attempt{Outcome: herald.OutcomeDelivered}, healthy, Decision{Recovered: true}},
	}
	for _, c := range cases {
		got, d := Next(c.in, c.attempt, 5)
		if got.Enabled != c.want.Enabled || got.FailedRequests != c.want.FailedRequests ||
			got.ConsecutiveFailures != c.want.ConsecutiveFailures || got.DisablePending != c.want.DisablePending || !sameTime(got.FirstFailedAt, c.want.FirstFailedAt) {
			t.Errorf("%s: state %+v, want %+v", c.name, got, c.want)
		}
		if d != c.decision {
			t.Errorf("%s: decision %+v, want %+v", c.name, d, c.decision)
		}
	}
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

func TestStatus(t *testing.T) {
	if Pending(State{Enabled: true, DisablePending: "x"}) != (Decision{Disable: true, Reason: "x"}) ||
		Pending(State{Enabled: false, DisablePending: "x"}) != (Decision{}) {
		t.Error("pending decision")
	}
	if (State{Enabled: true}).Status() != herald.HealthHealthy ||
		(State{Enabled: true, FailedRequests: 1}).Status() != herald.HealthFailing ||
		(State{Enabled: false}).Status() != herald.HealthDisabled {
		t.Error("status mapping")
	}
}
