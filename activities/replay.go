package activities

import (
	"context"
	"errors"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"golang.org/x/time/rate"

	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/internal/replay"
	"github.com/heraldhq/herald/internal/store"
)

// ReplayPage goes through one page of a replay's events after its cursor:
// each its integration takes, and has not had (store.Redeliver), gets its
// run, paced at the replay's rate; it heartbeats its progress, so a
// replay resumed elsewhere goes on from there.
func (a *Activities) ReplayPage(ctx context.Context, in contract.ReplayInput) (contract.ReplayPageResult, error) {
	out := contract.ReplayPageResult{Last: in.Cursor}
	_ = activity.GetHeartbeatDetails(ctx, &out)
	integ, err := a.Store.LoadIntegration(ctx, in.IntegrationID)
	if err != nil {
		return out, nonRetryable(err)
	}
	scope := replay.ScopeOf(integ, in.Patterns)
	page, err := a.Store.EventsBetween(ctx, in.TeamID, in.Since, in.Until, out.Last.ReceivedAt, out.Last.EventID, replay.PageSize, store.EventsWithData)
	if err != nil {
		return out, err
	}
	statuses, err := a.Store.DeliveryStatuses(ctx, in.TeamID, in.IntegrationID, eventIDs(page))
	if err != nil {
		return out, err
	}
	redeliver := replay.Redeliver(in)
	y := newYielder(rate.Limit(in.RatePerSecond))
	for _, ev := range page {
		if scope.Takes(ev) {
			if redeliver.Replayable(statuses[ev.ID]) && scope.Passes(ev) {
				if err := a.startReplayRun(ctx, in, ev, y.pace(ctx, a.Store), out); err != nil {
					return out, err
				}
				y.started++
				out.Started++
			}
			out.Done++
		}
		out.Last = contract.ReplayCursor{ReceivedAt: ev.ReceivedAt, EventID: ev.ID}
		activity.RecordHeartbeat(ctx, out)
	}
	out.More = len(page) == replay.PageSize
	return out, nil
}

// Live events come first: while Herald makes more than liveDeliveries
// deliveries a second besides the replay's own, a replay starts at most
// one event a second (so it still ends), and at its full rate otherwise.
const (
	liveDeliveries = 5
	yieldingRate   = rate.Limit(1)
)

// yielder paces a replay's page: its rate, looked at again every second
// against how busy Herald is (store.RecentDeliveries).
type yielder struct {
	lim     *rate.Limiter
	full    rate.Limit
	checked time.Time
	started int // runs started since checked
}

func newYielder(full rate.Limit) *yielder {
	return &yielder{lim: rate.NewLimiter(full, 1), full: full}
}

// pace is the limiter for the next start, its rate set by the last
// second's deliveries less the replay's own starts (a failure to count
// leaves the rate as it was).
func (y *yielder) pace(ctx context.Context, st *store.Store) *rate.Limiter {
	now := time.Now()
	if now.Sub(y.checked) < time.Second {
		return y.lim
	}
	if n, err := st.RecentDeliveries(ctx, now.Add(-time.Second), 1000); err == nil {
		if n-y.started > liveDeliveries {
			y.lim.SetLimit(min(yieldingRate, y.full))
		} else {
			y.lim.SetLimit(y.full)
		}
	}
	y.checked, y.started = now, 0
	return y.lim
}

// startReplayRun starts one event's run in its turn of the replay's pace.
func (a *Activities) startReplayRun(ctx context.Context, in contract.ReplayInput, ev store.EventRef, lim *rate.Limiter, progress contract.ReplayPageResult) error {
	if err := waitBeating(ctx, lim.Reserve().Delay(), progress); err != nil {
		if errors.Is(err, context.Canceled) {
			// Cancelled: say how far it went, for the workflow's progress.
			return temporal.NewCanceledError(progress)
		}
		return err
	}
	return contract.StartReplayRun(ctx, a.Temporal, a.TaskQueue, in.ReplayID, contract.EventInput{TeamID: in.TeamID, EventID: ev.ID,
		Type: ev.Type, ProjectID: ev.ProjectID, ReceivedAt: ev.ReceivedAt, OnlyIntegrationID: in.IntegrationID, Again: in.Again})
}

func eventIDs(evs []store.EventRef) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.ID
	}
	return out
}
