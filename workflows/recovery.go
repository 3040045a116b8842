package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/heraldhq/herald/internal/contract"
)

// RecoveryWorkflow wakes every delivery of an integration that waits on retry
// backoff, paced so the receiver that just came back is not flooded.
func RecoveryWorkflow(ctx workflow.Context, in contract.RecoveryInput) (int, error) {
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Hour,
		HeartbeatTimeout:    30 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: time.Minute},
	})
	var woken int
	if err := workflow.ExecuteActivity(actx, contract.ActivityRecoverWaiting, in).Get(ctx, &woken); err != nil {
		return woken, fmt.Errorf("recover %s: %w", in.IntegrationID, err)
	}
	return woken, nil
}
