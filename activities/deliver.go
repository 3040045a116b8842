package activities

import (
	"context"
	"errors"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/attempt"
	"github.com/heraldhq/herald/internal/channels"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/internal/health"
	"github.com/heraldhq/herald/internal/outgoing"
	"github.com/heraldhq/herald/internal/redact"
	"github.com/heraldhq/herald/internal/store"
)

// slotMargin outlives an attempt's timeout before its in-flight slot expires
// on its own (its worker died).
const slotMargin = 30 * time.Second

// Deliver makes one attempt at a delivery and records it with the delivery's
// new state and the integration's health, in one transaction. HTTP answers of
// every kind are results; an error means the attempt could not be made or
// recorded (Temporal retries it). Deliver is idempotent per (delivery,
// attempt number): an attempt already recorded is returned, not repeated.
func (a *Activities) Deliver(ctx context.Context, in contract.DeliverInput) (contract.DeliverResult, error) {
	defer keepAlive(ctx)()
	t, err := a.Store.LoadTarget(ctx, in.DeliveryID, in.AttemptNo)
	if err != nil {
		return contract.DeliverResult{}, nonRetryable(err)
	}
	integ := t.Integration
	if reason := integ.SkipReason(); reason != "" {
		a.Tokens.Drop(integ.ID)
		if err := a.Store.FinishDelivery(ctx, in.DeliveryID, herald.DeliverySkipped, reason); err != nil {
			return contract.DeliverResult{}, err
		}
		a.Metrics.DeliveryFinished(string(integ.Type), string(herald.DeliverySkipped))
		return contract.DeliverResult{AttemptNo: in.AttemptNo, Status: herald.DeliverySkipped, Reason: reason}, nil
	}
	// An attempt recorded already was made by an execution that did not
	// report back (a worker that died, a workflow task that failed and runs
	// its local activities again): do not send it again.
	if t.Recorded {
		prev, err := a.Store.LoadAttempt(ctx, in.DeliveryID, in.AttemptNo)
		if err != nil {
			return contract.DeliverResult{}, err
		}
		ans := attempt.Answer{Outcome: prev.Outcome, Reason: prev.Reason}
		if prev.RetryAfterMS != nil {
			ans.RetryAfter = time.Duration(*prev.RetryAfterMS) * time.Millisecond
		}
		d := attempt.Decide(in.DeliveryID, ans, a.currentSchedule(in.Schedule, integ))
		return contract.DeliverResult{AttemptNo: in.AttemptNo, Outcome: d.Outcome, Status: d.Status,
			Reason: d.StatusReason, Delay: d.Delay, RetryAfter: d.ReceiverWait(ans), Decision: health.Pending(integ.Health())}, nil
	}
	return a.attempt(ctx, in, t)
}

// attempt renders, sends, classifies and records one attempt.
func (a *Activities) attempt(ctx context.Context, in contract.DeliverInput, t store.Target) (contract.DeliverResult, error) {
	integ := t.Integration
	// slotOf is the integration whose in-flight slot this attempt holds
	// until it is freed: with the attempt's record, or on the way out.
	slotOf := ""
	if p := in.Pace; p.MaxInFlight > 0 {
		ok, err := a.Store.AcquireSlot(ctx, integ.ID, in.DeliveryID, p.MaxInFlight, a.AttemptTimeout+slotMargin)
		if err != nil {
			return contract.DeliverResult{}, err
		}
		if !ok {
			return a.paced(ctx, in, contract.DeliverResult{Status: t.Delivery.Status, WaitingFor: contract.WaitInFlight, Delay: inFlightRetry})
		}
		slotOf = integ.ID
		a.Metrics.InFlight(integ.ID, 1)
		defer func() {
			a.Metrics.InFlight(integ.ID, -1)
			if slotOf == "" {
				return
			}
			// Freed even when the attempt's context ended; its expiry frees it otherwise.
			if err := a.Store.ReleaseSlot(context.WithoutCancel(ctx), integ.ID, in.DeliveryID); err != nil {
				activity.GetLogger(ctx).Warn("free an in-flight slot", "delivery", in.DeliveryID, "error", err)
			}
		}()
	}
	if res, err := a.awaitSendSlot(ctx, in, t); err != nil {
		return contract.DeliverResult{}, err
	} else if res != nil {
		return *res, nil
	}
	s, err := a.send(ctx, integ, channels.Message{DeliveryID: t.Delivery.ID, EventID: t.Event.ID, EventType: t.Event.Type, Data: t.Event.Data,
		ProjectID: t.Event.ProjectID})
	if err != nil {
		return contract.DeliverResult{}, temporal.NewNonRetryableApplicationError(err.Error(), contract.ErrTypeUnsendable, err)
	}
	req, ex, res := s.req, s.ex, s.res
	a.answered(ctx, integ, in.Pace, res)
	ans := attempt.Answer{Outcome: res.Outcome, Reason: res.Reason, RetryAfter: res.RetryAfter}
	d := attempt.Decide(in.DeliveryID, ans, a.currentSchedule(in.Schedule, integ))
	res.Outcome, res.Reason = d.Outcome, d.Reason
	att := newAttempt(t.Delivery.ID, in, req, ex, res, s.secretHeaders)
	upd := store.DeliveryUpdate{Status: d.Status, Reason: d.StatusReason, FreeSlotOf: slotOf}
	if d.Status == herald.DeliveryRetrying {
		next := a.Now().Add(d.Delay)
		upd.NextAttemptAt = &next
	}
	rec, err := a.recordSent(ctx, integ, att, upd)
	if err == nil {
		slotOf = "" // freed with the record
	}
	if err != nil {
		// The request went out and its record could not be written however
		// long this execution tried: Temporal runs this attempt again
		// (receivers dedupe on webhook-id).
		return contract.DeliverResult{}, err
	}
	a.Metrics.Attempt(string(integ.Type), ex.Duration, res.RetryAfter)
	if upd.Status.Final() && !t.Delivery.Status.Final() {
		a.Metrics.DeliveryFinished(string(integ.Type), string(upd.Status))
	}
	activity.GetLogger(ctx).Info("delivery attempt", "delivery", t.Delivery.ID, "integration", integ.ID,
		"event", t.Event.ID, "team", t.Delivery.TeamID, "attempt", in.AttemptNo, "trigger", in.Trigger,
		"outcome", res.Outcome, "reason", res.Reason, "durationMs", att.DurationMS)
	return contract.DeliverResult{AttemptNo: in.AttemptNo, Outcome: d.Outcome, Status: d.Status,
		Reason: d.StatusReason, Delay: d.Delay, RetryAfter: d.ReceiverWait(ans), Decision: rec.Decision}, nil
}

// awaitSendSlot waits for the request's place in its integration's pace: a
// short wait here, a longer one as a paced result (non-nil) that the workflow
// waits out with a timer before it makes the same attempt again.
func (a *Activities) awaitSendSlot(ctx context.Context, in contract.DeliverInput, t store.Target) (*contract.DeliverResult, error) {
	integ := t.Integration
	waited := in.SendSlotHeld
	if l := in.Pace.Limit; !l.Unlimited() && !in.SendSlotHeld {
		// The request as it actually goes: its slot was reserved when the
		// workflow started waiting, and it may lag behind it.
		wait, err := a.Store.ReservePace(ctx, integ.ID, l, store.BookSent, a.Now)
		if err != nil {
			return nil, err
		}
		if wait > inlineWaitMax(l) {
			return a.pacedRef(ctx, in, contract.DeliverResult{Status: t.Delivery.Status, WaitingFor: contract.WaitSlot, Delay: wait, SlotHeld: true})
		}
		if err := sleep(ctx, wait); err != nil {
			return nil, err
		}
		waited = wait > 0
	}
	if in.Pace.Limit.Unlimited() || !waited {
		return nil, nil
	}
	// A slot taken just now already lies after any hold; one taken before
	// a wait may not. An answer that came in since may have held the
	// integration (a 429, an empty bucket): the request then takes a new
	// slot after the hold, spaced from the others.
	held, err := a.Store.HeldUntil(ctx, integ.ID)
	if err != nil {
		return nil, err
	}
	if rest := held.Sub(a.Now()); rest > 0 {
		return a.pacedRef(ctx, in, contract.DeliverResult{Status: t.Delivery.Status, WaitingFor: contract.WaitSlot, Delay: rest})
	}
	return nil, nil
}

func (a *Activities) pacedRef(ctx context.Context, in contract.DeliverInput, res contract.DeliverResult) (*contract.DeliverResult, error) {
	res, err := a.paced(ctx, in, res)
	if err != nil {
		return nil, err
	}
	return &res, nil
}

// currentSchedule is the attempt's place in its schedule under the
// integration's retry policy as it is now: a change made while the delivery
// waited applies from this attempt on (its budget and the next delay).
func (a *Activities) currentSchedule(s *contract.Schedule, integ store.Integration) *contract.Schedule {
	if s == nil {
		return nil
	}
	now := *s
	now.Policy = a.retryPolicy(integ.Retry.V)
	return &now
}

func newAttempt(deliveryID string, in contract.DeliverInput, req *channels.Request, ex channels.Exchange, res channels.Result, secretHeaders []string) store.Attempt {
	att := store.Attempt{
		DeliveryID:    deliveryID,
		AttemptNo:     in.AttemptNo,
		Trigger:       in.Trigger,
		Outcome:       res.Outcome,
		Reason:        res.Reason,
		StartedAt:     ex.Started,
		DurationMS:    int(ex.Duration.Milliseconds()),
		RequestMethod: req.Method,
		// Masked as every view shows it: a chat webhook URL is the
		// credential, and a receiver's URL may carry a token.
		RequestURL:            redact.URL(req.URL),
		RequestHeaders:        outgoing.Masked(req.Header, secretHeaders),
		RequestBody:           string(req.Body),
		ResponseBodyTruncated: ex.BodyTruncated,
	}
	if ex.Err != nil {
		att.Error = res.Reason
	}
	if r := ex.Response; r != nil {
		att.ResponseStatus = &r.Status
		att.ResponseHeaders = store.Headers(r.Header)
		att.ResponseBody = string(r.Body)
	}
	if res.RetryAfter > 0 {
		ms := res.RetryAfter.Milliseconds()
		att.RetryAfterMS = &ms
	}
	return att
}

// recordSent writes an attempt whose request already went out. A request that
// was sent must not be sent again only because its record failed, so this
// keeps trying within the activity's deadline (Postgres restarting) before it
// gives the attempt back to Temporal's retry, which would send it again.
func (a *Activities) recordSent(ctx context.Context, integ store.Integration, att store.Attempt, upd store.DeliveryUpdate) (store.Recorded, error) {
	wait := 100 * time.Millisecond
	for {
		rec, err := a.Store.RecordAttempt(ctx, integ.ID, att, upd, integ.DisableThreshold(a.DisableAfter))
		if err == nil || errors.Is(err, store.ErrNotFound) {
			return rec, err
		}
		deadline, ok := ctx.Deadline()
		if !ok || time.Until(deadline) < 2*wait {
			return rec, err
		}
		activity.GetLogger(ctx).Warn("record a sent attempt; trying again", "delivery", att.DeliveryID, "attempt", att.AttemptNo, "error", err)
		select {
		case <-ctx.Done():
			return rec, err
		case <-time.After(wait):
		}
		wait = min(2*wait, 2*time.Second)
	}
}
