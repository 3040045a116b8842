package activities

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"
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
		if err := lim.Wait(ctx); err != nil {
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

// CountDeliveries counts a bulk resend's deliveries, for its progress.
func (a *Activities) CountDeliveries(ctx context.Context, f store.DeliveryFilter) (int, error) {
	return a.Store.CountDeliveries(ctx, f)
}
