package activities

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/channels"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/internal/health"
	"github.com/heraldhq/herald/internal/redact"
	"github.com/heraldhq/herald/internal/retry"
	"github.com/heraldhq/herald/internal/store"
)

// masked replaces secret header values in stored requests.
const masked = "••••••"

// throttleWait is how long a 429 holds its delivery and its integration:
// its Retry-After, or a second when it named none.
func throttleWait(res channels.Result) time.Duration { return max(res.RetryAfter, time.Second) }

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
	if integ.DeletedAt != nil || !integ.Enabled {
		a.Tokens.Drop(integ.ID)
		reason := store.ReasonIntegrationDisabled
		if integ.DeletedAt != nil {
			reason = "integration deleted"
		}
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
		res := channels.Result{Outcome: prev.Outcome, Reason: prev.Reason}
		if prev.RetryAfterMS != nil {
			res.RetryAfter = time.Duration(*prev.RetryAfterMS) * time.Millisecond
		}
		upd, delay := nextState(in.DeliveryID, res, a.currentSchedule(in.Schedule, integ), prev.StartedAt)
		return contract.DeliverResult{AttemptNo: in.AttemptNo, Outcome: prev.Outcome, Status: upd.Status,
			Reason: upd.Reason, Delay: delay, RetryAfter: receiverWait(upd, res), Decision: health.Pending(integ.Health())}, nil
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
			return a.paced(ctx, in, t.Delivery.Status, contract.WaitInFlight, inFlightRetry, false)
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
	waited := in.SendSlotHeld
	if l := in.Pace.Limit; !l.Unlimited() && !in.SendSlotHeld {
		// The request as it actually goes: its slot was reserved when the
		// workflow started waiting, and it may lag behind it.
		wait, err := a.Store.ReservePace(ctx, integ.ID, l, true, a.Now)
		if err != nil {
			return contract.DeliverResult{}, err
		}
		if wait > inlineWaitMax(l) {
			return a.paced(ctx, in, t.Delivery.Status, contract.WaitSlot, wait, true)
		}
		if err := sleep(ctx, wait); err != nil {
			return contract.DeliverResult{}, err
		}
		waited = wait > 0
	}
	if !in.Pace.Limit.Unlimited() && waited {
		// A slot taken just now already lies after any hold; one taken before
		// a wait may not. An answer that came in since may have held the
		// integration (a 429, an empty bucket): the request then takes a new
		// slot after the hold, spaced from the others.
		held, err := a.Store.HeldUntil(ctx, integ.ID)
		if err != nil {
			return contract.DeliverResult{}, err
		}
		if rest := held.Sub(a.Now()); rest > 0 {
			return a.paced(ctx, in, t.Delivery.Status, contract.WaitSlot, rest, false)
		}
	}
	s, err := a.send(ctx, integ, channels.Message{DeliveryID: t.Delivery.ID, EventID: t.Event.ID, EventType: t.Event.Type, Data: t.Event.Data})
	if err != nil {
		return contract.DeliverResult{}, nonRetryable(fmt.Errorf("%w: %v", store.ErrNotFound, err))
	}
	req, ex, res := s.req, s.ex, s.res
	a.answered(ctx, integ, in.Pace, res)
	if res.Outcome == herald.OutcomeThrottled && (in.Schedule == nil || in.Schedule.Throttled >= contract.MaxThrottled) {
		// Rate limited for longer than the bound: from now on it counts.
		res.Outcome = herald.OutcomeRetry
		res.Reason += fmt.Sprintf(" (rate limited for %s or more: counted as a failed attempt)", contract.MaxThrottled)
	}
	att := newAttempt(t.Delivery.ID, in, req, ex, res, s.secretHeaders)
	upd, delay := nextState(in.DeliveryID, res, a.currentSchedule(in.Schedule, integ), a.Now())
	upd.FreeSlotOf = slotOf
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
	return contract.DeliverResult{AttemptNo: in.AttemptNo, Outcome: res.Outcome, Status: upd.Status,
		Reason: upd.Reason, Delay: delay, RetryAfter: receiverWait(upd, res), Decision: rec.Decision}, nil
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

// receiverWait is the wait the receiver asked for before a retry, if one follows.
func receiverWait(upd store.DeliveryUpdate, res channels.Result) time.Duration {
	if upd.Status != herald.DeliveryRetrying {
		return 0
	}
	return res.RetryAfter
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
		RequestHeaders:        maskHeaders(req.Header, secretHeaders),
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

// nextState is the delivery's state after an attempt that ended with res, and
// the wait before the next scheduled attempt. A Retry-After from the receiver
// replaces the schedule's delay for that wait.
func nextState(deliveryID string, res channels.Result, s *contract.Schedule, now time.Time) (store.DeliveryUpdate, time.Duration) {
	switch res.Outcome {
	case herald.OutcomeDelivered:
		return store.DeliveryUpdate{Status: herald.DeliveryDelivered}, 0
	case herald.OutcomeGone:
		return store.DeliveryUpdate{Status: herald.DeliveryFailed, Reason: "gone: " + res.Reason}, 0
	case herald.OutcomePermanent:
		return store.DeliveryUpdate{Status: herald.DeliveryFailed, Reason: "rejected: " + res.Reason}, 0
	}
	if res.Outcome == herald.OutcomeThrottled && s != nil {
		// Asked to slow down: waited out, without using an attempt.
		wait := throttleWait(res)
		next := now.Add(wait)
		return store.DeliveryUpdate{Status: herald.DeliveryRetrying, Reason: "rate limited: " + res.Reason, NextAttemptAt: &next}, wait
	}
	switch {
	case s == nil:
		return store.DeliveryUpdate{Status: herald.DeliveryFailed, Reason: "resend failed: " + res.Reason}, 0
	case s.Attempt >= s.Policy.MaxAttempts:
		return store.DeliveryUpdate{Status: herald.DeliveryFailed,
			Reason: fmt.Sprintf("gave up after %d attempts: %s", s.Attempt, res.Reason)}, 0
	}
	// Jittered per delivery (retry.Unit): deliveries that failed together come
	// back spread out, and each one's schedule is the same on every run.
	wait := s.Policy.Jittered(s.Attempt, retry.Unit(deliveryID, s.Attempt))
	if res.RetryAfter > 0 {
		wait = res.RetryAfter
	}
	next := now.Add(wait)
	return store.DeliveryUpdate{Status: herald.DeliveryRetrying, Reason: res.Reason, NextAttemptAt: &next}, wait
}

func maskHeaders(h http.Header, secret []string) store.Headers {
	out := store.Headers(h.Clone())
	for _, name := range secret {
		k := http.CanonicalHeaderKey(name)
		if _, ok := out[k]; ok {
			out[k] = []string{masked}
		}
	}
	return out
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
