package activities

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/channels"
	"github.com/heraldhq/herald/config"
	"github.com/heraldhq/herald/store"
)

// DeliverInput names the delivery; everything else is loaded from Postgres.
type DeliverInput struct {
	DeliveryID string
	// AttemptBase is added to Temporal's attempt number to number this
	// execution's attempts after those already recorded.
	AttemptBase int
	Trigger     herald.Trigger
	// Retry is the schedule the workflow runs this activity under; the activity
	// uses it to record when the next attempt is due and when it gives up.
	Retry config.RetryPolicy
}

// DeliverResult is a successful attempt.
type DeliverResult struct {
	AttemptNo  int
	StatusCode int
}

// masked replaces secret header values in stored requests.
const masked = "••••••"

// Deliver makes one attempt at a delivery, records it, and reports the outcome
// as a result (delivered) or a typed ApplicationError (see ErrType*).
func (a *Activities) Deliver(ctx context.Context, in DeliverInput) (DeliverResult, error) {
	info := activity.GetInfo(ctx)
	attemptNo := in.AttemptBase + int(info.Attempt)
	log := activity.GetLogger(ctx)

	t, err := a.Store.LoadTarget(ctx, in.DeliveryID)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return DeliverResult{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypePermanent, nil)
		}
		return DeliverResult{}, temporal.NewApplicationErrorWithCause("load delivery", ErrTypeUnavailable, err)
	}
	integ := t.Integration
	if integ.DeletedAt != nil {
		return DeliverResult{}, temporal.NewNonRetryableApplicationError("integration "+integ.ID+" was deleted", ErrTypeDisabled, nil)
	}
	if !integ.Enabled {
		return DeliverResult{}, temporal.NewNonRetryableApplicationError("integration "+integ.ID+" is disabled", ErrTypeDisabled, nil)
	}
	ch, err := a.Channels.For(integ.Type)
	if err != nil {
		return DeliverResult{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypePermanent, nil)
	}
	now := a.Now()
	req, err := ch.Render(channels.Message{
		DeliveryID:      t.Delivery.ID,
		EventID:         t.Event.ID,
		EventType:       t.Event.Type,
		Data:            t.Event.Data,
		IntegrationID:   integ.ID,
		IntegrationName: integ.Name,
		URL:             integ.URL,
		Secret:          integ.Secret,
		Timestamp:       now,
	})
	if err != nil {
		return DeliverResult{}, temporal.NewNonRetryableApplicationError("render: "+err.Error(), ErrTypePermanent, nil)
	}

	ex := a.Sender.Send(ctx, req)
	var res channels.Result
	if ex.Err != nil {
		res = channels.TransportResult(ex.Err)
	} else {
		res = ch.Classify(ex.Response, a.Now())
	}

	att := store.Attempt{
		DeliveryID:            t.Delivery.ID,
		AttemptNo:             attemptNo,
		Trigger:               in.Trigger,
		Outcome:               res.Outcome,
		StartedAt:             ex.Started,
		DurationMS:            int(ex.Duration.Milliseconds()),
		RequestMethod:         req.Method,
		RequestURL:            req.URL,
		RequestHeaders:        maskHeaders(req.Header, ch.SecretHeaders()),
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

	upd, delay := a.nextState(res, int(info.Attempt), in.Retry)
	if err := a.Store.RecordAttempt(ctx, att, upd); err != nil {
		// The request went out but its record did not: let Temporal try again (a
		// new attempt). Receivers dedupe on webhook-id.
		return DeliverResult{}, temporal.NewApplicationErrorWithCause("record attempt", ErrTypeUnavailable, err)
	}
	log.Info("delivery attempt", "delivery", t.Delivery.ID, "integration", integ.ID, "event", t.Event.ID,
		"attempt", attemptNo, "outcome", res.Outcome, "reason", res.Reason, "durationMs", att.DurationMS)

	switch res.Outcome {
	case herald.OutcomeDelivered:
		code := 0
		if ex.Response != nil {
			code = ex.Response.Status
		}
		return DeliverResult{AttemptNo: attemptNo, StatusCode: code}, nil
	case herald.OutcomeGone:
		return DeliverResult{}, temporal.NewNonRetryableApplicationError(res.Reason, ErrTypeGone, nil)
	case herald.OutcomePermanent:
		return DeliverResult{}, temporal.NewNonRetryableApplicationError(res.Reason, ErrTypePermanent, nil)
	default:
		return DeliverResult{}, temporal.NewApplicationErrorWithOptions(res.Reason, ErrTypeRetry,
			temporal.ApplicationErrorOptions{NextRetryDelay: delay})
	}
}

// nextState is the delivery state after attempt n of a policy ended with res,
// and the delay to ask Temporal for (0: the policy's own backoff).
func (a *Activities) nextState(res channels.Result, n int, p config.RetryPolicy) (store.DeliveryUpdate, time.Duration) {
	switch res.Outcome {
	case herald.OutcomeDelivered:
		return store.DeliveryUpdate{Status: herald.DeliveryDelivered}, 0
	case herald.OutcomeGone:
		return store.DeliveryUpdate{Status: herald.DeliveryFailed, Reason: "gone: " + res.Reason}, 0
	case herald.OutcomePermanent:
		return store.DeliveryUpdate{Status: herald.DeliveryFailed, Reason: "rejected: " + res.Reason}, 0
	}
	if n >= p.MaxAttempts {
		return store.DeliveryUpdate{Status: herald.DeliveryFailed,
			Reason: fmt.Sprintf("gave up after %d attempts: %s", n, res.Reason)}, 0
	}
	wait := p.Delay(n)
	if res.RetryAfter > 0 {
		wait = res.RetryAfter
	}
	next := a.Now().Add(wait)
	return store.DeliveryUpdate{Status: herald.DeliveryRetrying, Reason: res.Reason, NextAttemptAt: &next}, res.RetryAfter
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
