package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/contract"
)

const (
	bulkPage = 100
	// bulkPagesPerRun bounds history: the workflow continues as new after them.
	bulkPagesPerRun = 50
)

// BulkResendWorkflow resends an integration's deliveries matching a filter,
// page by page and paced. It is resumable (each page heartbeats, each run
// continues as new with its cursor), cancellable (cancel the workflow) and
// answers the progress query.
func BulkResendWorkflow(ctx workflow.Context, in contract.BulkResendInput) (contract.BulkResendProgress, error) {
	progress := contract.BulkResendProgress{Total: in.Total, Sent: in.Sent}
	if err := workflow.SetQueryHandler(ctx, contract.QueryProgress, func() (contract.BulkResendProgress, error) {
		return progress, nil
	}); err != nil {
		return progress, err
	}
	// Resending failed deliveries takes those skipped while the integration
	// was disabled too: a resend comes after an enable, for both.
	filter := contract.DeliveryFilter{TeamID: in.TeamID, IntegrationID: in.IntegrationID, Status: in.Status, Since: in.Since, Limit: bulkPage,
		DisabledSkips: in.Status == herald.DeliveryFailed}
	if in.Cursor == "" && in.Total == 0 {
		lctx := workflow.WithLocalActivityOptions(ctx, recordOptions)
		if err := workflow.ExecuteLocalActivity(lctx, contract.ActivityCountDeliveries, filter).Get(ctx, &progress.Total); err != nil {
			return progress, fmt.Errorf("count deliveries: %w", err)
		}
	}
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Hour,
		HeartbeatTimeout:    30 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: time.Minute},
		// A cancelled resend closes once its page has stopped, with what it
		// sent: after that, nothing more is resent.
		WaitForCancellation: true,
	})
	cursor := in.Cursor
	for page := 0; page < bulkPagesPerRun; page++ {
		filter.After = cursor
		var res contract.ResendPageResult
		if err := workflow.ExecuteActivity(actx, contract.ActivityResendPage, contract.ResendPageInput{
			Filter: filter, RatePerSecond: in.RatePerSecond,
		}).Get(ctx, &res); err != nil {
			var cancelled *temporal.CanceledError
			if errors.As(err, &cancelled) && cancelled.HasDetails() && cancelled.Details(&res) == nil {
				progress.Sent += res.Sent
			}
			return progress, fmt.Errorf("resend page after %q: %w", cursor, err)
		}
		progress.Sent += res.Sent
		progress.Total = max(progress.Total, progress.Sent)
		cursor = res.Last
		if !res.More {
			progress.Done = true
			return progress, nil
		}
	}
	in.Cursor, in.Sent, in.Total = cursor, progress.Sent, progress.Total
	return progress, workflow.NewContinueAsNewError(ctx, BulkResendWorkflow, in)
}
