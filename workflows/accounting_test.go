package workflows_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/attempt"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/internal/retry"
	"github.com/heraldhq/herald/workflows"
)

// The event workflow's accounting alone: its activities are mocks
// (env.OnActivity) that answer from a script through the same decision
// the real Deliver makes (attempt.Decide), and record what the workflow
// asked of them and when. No Postgres, no receiver.

// call is one Deliver the workflow made.
type call struct {
	at time.Duration // after the event's start, on the skipped clock
	in contract.DeliverInput
}

type accounting struct {
	env    *testsuite.TestWorkflowEnvironment
	mu     sync.Mutex
	calls  []call
	script []attempt.Answer
	start  time.Time
	// fail, when set, is every Deliver's error.
	fail error
}

var threeAttempts = retry.Policy{MaxAttempts: 3, InitialInterval: 10 * time.Second, BackoffCoefficient: 2, MaxInterval: time.Hour}

// newAccounting runs one delivery under policy; its attempts are answered
// from script in order (then delivered).
func newAccounting(t *testing.T, policy retry.Policy, script ...attempt.Answer) *accounting {
	var suite testsuite.WorkflowTestSuite
	a := &accounting{env: suite.NewTestWorkflowEnvironment(), script: script}
	a.env.SetTestTimeout(30 * time.Second)
	a.env.RegisterWorkflow(workflows.EventWorkflow)
	// The activities exist by name only; every call is the mock's.
	a.env.RegisterActivityWithOptions(func(context.Context, contract.EventInput) ([]contract.PlannedDelivery, error) { return nil, nil },
		activity.RegisterOptions{Name: contract.ActivityRecordEvent})
	a.env.RegisterActivityWithOptions(func(context.Context, contract.DeliverInput) (contract.DeliverResult, error) {
		return contract.DeliverResult{}, nil
	}, activity.RegisterOptions{Name: contract.ActivityDeliver})
	a.env.RegisterActivityWithOptions(func(context.Context, contract.FinishInput) error { return nil },
		activity.RegisterOptions{Name: contract.ActivityFinishDelivery})
	a.env.OnActivity(contract.ActivityRecordEvent, mock.Anything, mock.Anything).Return(
		[]contract.PlannedDelivery{{DeliveryID: "dlv_1", IntegrationID: "int_1", Status: herald.DeliveryPending, Retry: policy, AttemptTimeout: 10 * time.Second}}, nil)
	a.env.OnActivity(contract.ActivityDeliver, mock.Anything, mock.Anything).Return(a.deliver)
	return a
}

func (a *accounting) deliver(_ context.Context, in contract.DeliverInput) (contract.DeliverResult, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls = append(a.calls, call{at: a.env.Now().Sub(a.start), in: in})
	if a.fail != nil {
		return contract.DeliverResult{}, a.fail
	}
	ans := attempt.Answer{Outcome: herald.OutcomeDelivered}
	if len(a.script) > 0 {
		ans, a.script = a.script[0], a.script[1:]
	}
	d := attempt.Decide(in.DeliveryID, ans, in.Schedule)
	return contract.DeliverResult{AttemptNo: in.AttemptNo, Outcome: d.Outcome, Status: d.Status, Reason: d.StatusReason,
		Delay: d.Delay, RetryAfter: d.ReceiverWait(ans)}, nil
}

// run runs the event and returns its one delivery's outcome.
func (a *accounting) run(t *testing.T) contract.DeliveryEnd {
	t.Helper()
	a.start = a.env.Now()
	a.env.ExecuteWorkflow(workflows.EventWorkflow, contract.EventInput{TeamID: "team_1", EventID: "ev-1", Type: "build:failure", ReceivedAt: a.start})
	if !a.env.IsWorkflowCompleted() || a.env.GetWorkflowError() != nil {
		t.Fatalf("workflow: completed %v, %v", a.env.IsWorkflowCompleted(), a.env.GetWorkflowError())
	}
	var res contract.EventResult
	if err := a.env.GetWorkflowResult(&res); err != nil || len(res.Deliveries) != 1 {
		t.Fatalf("result %+v %v", res, err)
	}
	return res.Deliveries[0]
}

// scheduled are the schedule's attempt numbers the workflow asked for, 0
// for an attempt outside the schedule (manual).
func (a *accounting) scheduled() []int {
	var out []int
	for _, c := range a.calls {
		n := 0
		if c.in.Schedule != nil {
			n = c.in.Schedule.Attempt
		}
		out = append(out, n)
	}
	return out
}

func retryAnswer(after time.Duration) attempt.Answer {
	return attempt.Answer{Outcome: herald.OutcomeRetry, Reason: "HTTP 503", RetryAfter: after}
}

func throttledAnswer(after time.Duration) attempt.Answer {
	return attempt.Answer{Outcome: herald.OutcomeThrottled, Reason: "HTTP 429", RetryAfter: after}
}

func sameInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Every failed attempt counts: three of three, 10 s then 20 s apart, and
// the delivery fails with the schedule used up.
func TestEveryFailedAttemptCounts(t *testing.T) {
	a := newAccounting(t, threeAttempts, retryAnswer(0), retryAnswer(0), retryAnswer(0))
	out := a.run(t)
	if out.Status != herald.DeliveryFailed || !sameInts(a.scheduled(), []int{1, 2, 3}) {
		t.Fatalf("%+v after attempts %v", out, a.scheduled())
	}
	if a.calls[1].at != 10*time.Second || a.calls[2].at != 30*time.Second {
		t.Errorf("attempts at %s and %s, want 10s and 30s", a.calls[1].at, a.calls[2].at)
	}
	for i, c := range a.calls {
		if c.in.AttemptNo != i+1 || c.in.Trigger != herald.TriggerAuto {
			t.Errorf("call %d: attempt %d %s", i, c.in.AttemptNo, c.in.Trigger)
		}
	}
}

// A rate limit waited out uses no attempt of the schedule: after two 429s
// the delivery still has its three, and the time waited on them travels
// with the next attempt.
func TestARateLimitUsesNoAttempt(t *testing.T) {
	a := newAccounting(t, threeAttempts, throttledAnswer(30*time.Second), throttledAnswer(0), retryAnswer(0), retryAnswer(0))
	out := a.run(t)
	if out.Status != herald.DeliveryDelivered || !sameInts(a.scheduled(), []int{1, 1, 1, 2, 3}) {
		t.Fatalf("%+v after schedule numbers %v", out, a.scheduled())
	}
	if got := a.calls[2].in.Schedule.Throttled; got != 31*time.Second {
		t.Errorf("the third call carries %s waited on rate limits, want 31s", got)
	}
	if a.calls[1].at != 30*time.Second || a.calls[2].at != 31*time.Second {
		t.Errorf("the 429s were waited out until %s and %s, want 30s and 31s", a.calls[1].at, a.calls[2].at)
	}
}

// Past contract.MaxThrottled a 429 counts: a delivery rate limited for
// longer than that uses its attempts and fails.
func TestARateLimitPastTheBoundCounts(t *testing.T) {
	one := threeAttempts
	one.MaxAttempts = 1
	a := newAccounting(t, one, throttledAnswer(contract.MaxThrottled), throttledAnswer(0))
	out := a.run(t)
	if out.Status != herald.DeliveryFailed || len(a.calls) != 2 {
		t.Fatalf("%+v after %d calls", out, len(a.calls))
	}
}

// A final answer ends the delivery at once, and a second one is never asked.
func TestAFinalAnswerEndsTheDelivery(t *testing.T) {
	for _, o := range []herald.Outcome{herald.OutcomeDelivered, herald.OutcomePermanent, herald.OutcomeGone} {
		a := newAccounting(t, threeAttempts, attempt.Answer{Outcome: o, Reason: "why"})
		out := a.run(t)
		if len(a.calls) != 1 || out.Status.Final() != true {
			t.Errorf("%s: %d calls, %+v", o, len(a.calls), out)
		}
	}
}

// A resend during the backoff makes one manual attempt now, which uses no
// attempt of the schedule: when it fails too, the schedule goes on from
// where it was, its next attempt one delay after the resend.
func TestAResendCutsTheBackoffShort(t *testing.T) {
	a := newAccounting(t, threeAttempts, retryAnswer(time.Hour), retryAnswer(0))
	a.env.RegisterDelayedCallback(func() {
		a.env.SignalWorkflow(contract.SignalResend, contract.ResendSignal{DeliveryID: "dlv_1"})
	}, time.Minute)
	out := a.run(t)
	if len(a.calls) != 3 || a.calls[1].in.Trigger != herald.TriggerManual || a.calls[1].at != time.Minute {
		t.Fatalf("calls %+v", a.calls)
	}
	if !sameInts(a.scheduled(), []int{1, 1, 2}) || a.calls[2].in.Trigger != herald.TriggerAuto || a.calls[2].at != time.Minute+10*time.Second {
		t.Errorf("after the resend: schedule numbers %v, third call %+v", a.scheduled(), a.calls[2])
	}
	if out.Status != herald.DeliveryDelivered {
		t.Errorf("the delivery ended %s", out.Status)
	}
}

// An integration's recovery wakes a delivery on backoff for its next
// scheduled attempt, but not one the receiver asked to wait (Retry-After).
func TestRecoveryWakesTheBackoffButNotTheReceiversWait(t *testing.T) {
	recover := func(a *accounting) {
		a.env.RegisterDelayedCallback(func() {
			a.env.SignalWorkflow(contract.SignalRecovered, contract.RecoveredSignal{IntegrationID: "int_1"})
		}, time.Minute)
	}
	slow := threeAttempts
	slow.InitialInterval = time.Hour
	a := newAccounting(t, slow, retryAnswer(0))
	recover(a)
	a.run(t)
	if len(a.calls) != 2 || a.calls[1].at != time.Minute || a.calls[1].in.Trigger != herald.TriggerAuto || a.calls[1].in.Schedule.Attempt != 2 {
		t.Errorf("woken by recovery: %+v", a.calls)
	}

	a = newAccounting(t, threeAttempts, retryAnswer(30*time.Minute))
	recover(a)
	a.run(t)
	if len(a.calls) != 2 || a.calls[1].at != 30*time.Minute {
		t.Errorf("the receiver's 30 minutes were cut short by a recovery: %+v", a.calls)
	}
}

// A resend that arrives while an attempt is in flight is made right after
// it, superseding the backoff that attempt asked for.
func TestAResendDuringAnAttemptFollowsIt(t *testing.T) {
	a := newAccounting(t, threeAttempts, retryAnswer(time.Hour))
	a.env.OnActivity(contract.ActivityDeliver, mock.Anything, mock.Anything).Return(a.deliver).After(time.Minute).Once()
	a.env.OnActivity(contract.ActivityDeliver, mock.Anything, mock.Anything).Return(a.deliver)
	a.env.RegisterDelayedCallback(func() {
		a.env.SignalWorkflow(contract.SignalResend, contract.ResendSignal{DeliveryID: "dlv_1"})
	}, 30*time.Second)
	out := a.run(t)
	if len(a.calls) != 2 || a.calls[1].in.Trigger != herald.TriggerManual || a.calls[1].at > 2*time.Minute || out.Status != herald.DeliveryDelivered {
		t.Errorf("%+v, calls %+v", out, a.calls)
	}
}

// An attempt that cannot be made (its delivery is gone, its message does not
// render) fails the delivery at once with the activity's words, recorded by
// FinishDelivery: one call, no retry.
func TestAnAttemptThatCannotBeMadeFailsTheDelivery(t *testing.T) {
	for _, c := range []struct{ errType, words string }{
		{contract.ErrTypeNotFound, "delivery not found"},
		{contract.ErrTypeUnsendable, "render slack message: template: bad"},
	} {
		t.Run(c.errType, func(t *testing.T) {
			a := newAccounting(t, threeAttempts)
			a.fail = temporal.NewNonRetryableApplicationError(c.words, c.errType, nil)
			var finished contract.FinishInput
			a.env.OnActivity(contract.ActivityFinishDelivery, mock.Anything, mock.Anything).Return(func(_ context.Context, in contract.FinishInput) error {
				finished = in
				return nil
			})
			out := a.run(t)
			if out.Status != herald.DeliveryFailed || finished.Status != herald.DeliveryFailed || finished.Reason != c.words || len(a.calls) != 1 {
				t.Errorf("%+v, finished %+v, %d calls", out, finished, len(a.calls))
			}
		})
	}
}
