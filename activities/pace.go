package activities

import (
	"context"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/attempt"
	"github.com/heraldhq/herald/internal/channels"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/internal/pacing"
	"github.com/heraldhq/herald/internal/store"
)

// HeadOfLineLimit is how long a delivery to a fifo integration waits behind
// an earlier one that is in flight or retrying before it goes anyway (and is
// marked out of order): long enough for a slow receiver or a few quick
// retries, short enough that one dead event does not stall the channel for
// the hours its retries take.
const HeadOfLineLimit = 2 * time.Minute

// inlineWaitMax is the longest an attempt waits for its send slot inside the
// activity (its reservation was taken earlier and the request lags a little
// behind it); anything longer goes back to the workflow as a timer.
func inlineWaitMax(l pacing.Limit) time.Duration {
	return min(2*l.Interval(), 2*time.Second)
}

// inFlightRetry is how long a delivery waits before it asks again for a
// place in flight when all are taken.
const inFlightRetry = time.Second

// pace plans the delivery control of an integration from its settings and
// its channel's defaults (nothing when delivery control is switched off).
func (a *Activities) pace(t herald.IntegrationType, rate *pacing.Override, maxInFlight *int, ordering herald.Ordering) contract.Pace {
	if !a.DeliveryControl {
		return contract.Pace{}
	}
	tr := a.Channels.TraitsOf(t)
	limit, err := rate.Apply(tr.Rate)
	if err != nil {
		limit = tr.Rate // validated when set; a default that no longer fits it falls back
	}
	p := contract.Pace{Channel: t, Limit: limit, MaxInFlight: tr.MaxInFlight, FIFO: ordering == herald.OrderingFIFO}
	if maxInFlight != nil {
		p.MaxInFlight = *maxInFlight
	}
	return p
}

// answered tells the integration's pace what the platform's answer said
// about its limit (a 429, or a bucket announced empty).
func (a *Activities) answered(ctx context.Context, integ store.Integration, p contract.Pace, res channels.Result) {
	switch {
	case res.Outcome == herald.OutcomeThrottled:
		a.Metrics.Throttled(string(integ.Type))
		a.holdPace(ctx, integ.ID, p, store.AnswerThrottled, attempt.ThrottleWait(res.RetryAfter))
	case res.Hold > 0:
		a.holdPace(ctx, integ.ID, p, store.AnswerBucketEmpty, res.Hold)
	}
}

// sleep waits d unless ctx ends first.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// ReserveSlot takes a delivery's send slot in its integration's shared pace
// and returns how long the workflow waits for it (a timer: nothing is held
// meanwhile). A delivery that waits says so until its attempt.
func (a *Activities) ReserveSlot(ctx context.Context, in contract.ReserveInput) (time.Duration, error) {
	wait, err := a.Store.ReservePace(ctx, in.IntegrationID, in.Pace.Limit, store.BookReserved, a.Now)
	if err != nil || wait <= 0 {
		return 0, err
	}
	a.Metrics.PacedWait(string(in.Pace.Channel), contract.WaitSlot, wait)
	if err := a.Store.SetWaiting(ctx, in.DeliveryID, contract.WaitSlot, a.Now().Add(wait)); err != nil {
		return 0, err
	}
	return wait, nil
}

// AwaitTurn says whether a delivery to a fifo integration may go: yes when no
// earlier delivery to it is open, or when it has waited the head-of-line
// limit (it then goes out of order, and says so).
func (a *Activities) AwaitTurn(ctx context.Context, in contract.TurnInput) (contract.Turn, error) {
	ahead, err := a.Store.Ahead(ctx, in.IntegrationID, in.DeliveryID)
	if err != nil {
		return contract.Turn{}, err
	}
	switch {
	case ahead == "":
		if in.WaitedFor > 0 {
			a.Metrics.PacedWait(string(in.Channel), contract.WaitTurn, in.WaitedFor)
		}
		return contract.Turn{Go: true}, nil
	case in.WaitedFor >= HeadOfLineLimit:
		return contract.Turn{Go: true, OutOfOrder: true, Ahead: ahead}, a.Store.MarkOutOfOrder(ctx, in.DeliveryID)
	}
	rest := HeadOfLineLimit - in.WaitedFor
	if err := a.Store.SetWaiting(ctx, in.DeliveryID, contract.WaitTurn, a.Now().Add(rest)); err != nil {
		return contract.Turn{}, err
	}
	return contract.Turn{Ahead: ahead, Wait: rest}, nil
}

// PassTurn wakes the delivery after this one to a fifo integration: this one
// has ended, so the next one's turn has come.
func (a *Activities) PassTurn(ctx context.Context, in contract.TurnInput) error {
	next, workflowID, err := a.Store.Next(ctx, in.IntegrationID, in.DeliveryID)
	if err != nil || next == "" {
		return err
	}
	return contract.PassTurn(ctx, a.Temporal, workflowID, next)
}

// paced is an attempt that did not go: the workflow waits and makes the same
// attempt again. What it waits for (res.WaitingFor, for res.Delay) is
// recorded for people to see; res carries the delivery's status and whether
// the slot stays held.
func (a *Activities) paced(ctx context.Context, in contract.DeliverInput, res contract.DeliverResult) (contract.DeliverResult, error) {
	if err := a.Store.SetWaiting(ctx, in.DeliveryID, res.WaitingFor, a.Now().Add(res.Delay)); err != nil {
		return contract.DeliverResult{}, err
	}
	a.Metrics.PacedWait(string(in.Pace.Channel), res.WaitingFor, res.Delay)
	res.AttemptNo, res.Paced = in.AttemptNo, true
	return res, nil
}

// holdPace tells the integration's pace what the platform said about its
// limit. A failure to record it is logged, not fatal: the attempt it follows
// has been sent and recorded.
func (a *Activities) holdPace(ctx context.Context, integrationID string, p contract.Pace, answer store.PlatformAnswer, wait time.Duration) {
	if p.Limit.Unlimited() {
		return
	}
	if err := a.Store.PaceAnswer(ctx, integrationID, p.Limit, answer, wait, a.Now); err != nil {
		activity.GetLogger(ctx).Warn("record the platform's rate limit", "integration", integrationID, "error", err)
	}
}
