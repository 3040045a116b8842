package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"golang.org/x/time/rate"

	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/internal/store"
)

const signalPage = 200

// RecoverWaiting signals every event workflow holding a delivery of the
// integration on retry backoff, paced at in.RatePerSecond. It heartbeats its
// cursor, so a retried execution resumes where the last one stopped. It
// returns how many deliveries it woke.
func (a *Activities) RecoverWaiting(ctx context.Context, in contract.RecoveryInput) (int, error) {
	var cursor string
	_ = activity.GetHeartbeatDetails(ctx, &cursor) // empty on the first execution
	perSecond := in.RatePerSecond
	if perSecond <= 0 {
		perSecond = a.RecoveryRate
	}
	lim := rate.NewLimiter(rate.Limit(perSecond), 1)
	woken := 0
	for {
		page, err := a.Store.WaitingDeliveries(ctx, in.IntegrationID, cursor, signalPage)
		if err != nil {
			return woken, err
		}
		for _, w := range page {
			if err := lim.Wait(ctx); err != nil {
				return woken, err
			}
			if err := contract.Recovered(ctx, a.Temporal, w.WorkflowID, in.IntegrationID); err != nil {
				return woken, err
			}
			woken++
			cursor = w.DeliveryID
			activity.RecordHeartbeat(ctx, cursor)
		}
		if len(page) < signalPage {
			return woken, nil
		}
	}
}

// ResendPage resends one page of deliveries by signal, oldest first after
// Filter.After, paced, heartbeating its progress.
func (a *Activities) ResendPage(ctx context.Context, in contract.ResendPageInput) (contract.ResendPageResult, error) {
	out := contract.ResendPageResult{Last: in.Filter.After}
	_ = activity.GetHeartbeatDetails(ctx, &out)
	in.Filter.After = out.Last
	if in.Filter.After == "" {
		in.Filter.After = store.IDAt("dlv", time.Time{})
	}
	page, err := a.Store.ListDeliveries(ctx, in.Filter)
	if err != nil {
		return out, err
	}
	lim := rate.NewLimiter(rate.Limit(in.RatePerSecond), 1)
	for _, d := range page {
		if err := waitBeating(ctx, lim.Reserve().Delay(), out); err != nil {
			if errors.Is(err, context.Canceled) {
				// Cancelled: say what was resent, for the workflow's progress.
				return out, temporal.NewCanceledError(out)
			}
			return out, err
		}
		ev, err := a.Store.GetEvent(ctx, d.TeamID, d.EventID)
		if err != nil {
			return out, fmt.Errorf("resend %s: %w", d.ID, err)
		}
		if _, err := contract.Resend(ctx, a.Temporal, a.TaskQueue, ev.Input(), d.ID); err != nil {
			return out, err
		}
		out.Sent++
		out.Last = d.ID
		activity.RecordHeartbeat(ctx, out)
	}
	out.More = len(page) == in.Filter.Limit
	return out, nil
}

// waitBeating waits d, heartbeating progress as it goes (heartbeatEvery):
// within the bulk resend's heartbeat timeout however slow its pace, and
// often enough that a cancellation, which reaches an activity with a
// heartbeat's answer, stops it while it waits.
func waitBeating(ctx context.Context, d time.Duration, progress any) error {
	for d > 0 {
		step := min(d, heartbeatEvery)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(step):
		}
		d -= step
		activity.RecordHeartbeat(ctx, progress)
	}
	return ctx.Err()
}

// CountDeliveries counts a bulk resend's deliveries, for its progress.
func (a *Activities) CountDeliveries(ctx context.Context, f store.DeliveryFilter) (int, error) {
	return a.Store.CountDeliveries(ctx, f)
}
