package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/heraldhq/herald/internal/contract"
)

// replayPagesPerRun bounds a replay's history: it continues as new after them.
const replayPagesPerRun = 50

// ReplayWorkflow gives an integration the team's past events of a range,
// oldest first: each one its type, project and filter take, and that the
// integration has not had (unless asked again), gets a delivery in a run
// of its own, paced like every delivery to it. The replay itself starts
// those runs at its own rate (RatePerSecond), so live events never queue
// behind it. It is resumable (each page heartbeats its progress, each run
// continues as new with its cursor), cancellable (what it started stays
// started, nothing more is) and answers the progress query.
func ReplayWorkflow(ctx workflow.Context, in contract.ReplayInput) (contract.ReplayProgress, error) {
	progress := in.Progress
	if err := workflow.SetQueryHandler(ctx, contract.QueryProgress, func() (contract.ReplayProgress, error) {
		return progress, nil
	}); err != nil {
		return progress, err
	}
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Hour,
		HeartbeatTimeout:    30 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: time.Minute},
		WaitForCancellation: true,
	})
	for page := 0; page < replayPagesPerRun; page++ {
		in.Progress = progress
		var res contract.ReplayPageResult
		err := workflow.ExecuteActivity(actx, contract.ActivityReplayPage, in).Get(ctx, &res)
		var cancelled *temporal.CanceledError
		if errors.As(err, &cancelled) && cancelled.HasDetails() && cancelled.Details(&res) == nil {
			progress.Done, progress.Started = progress.Done+res.Done, progress.Started+res.Started
		}
		if err != nil {
			return progress, fmt.Errorf("replay page after %s: %w", in.Cursor.EventID, err)
		}
		progress.Done, progress.Started = progress.Done+res.Done, progress.Started+res.Started
		progress.Total = max(progress.Total, progress.Done)
		in.Cursor = res.Last
		if !res.More {
			return progress, nil
		}
	}
	in.Progress = progress
	return progress, workflow.NewContinueAsNewError(ctx, ReplayWorkflow, in)
}
