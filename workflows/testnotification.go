package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/heraldhq/herald/internal/contract"
)

// TestWorkflow sends one test notification and returns how it fared; a
// success on a failing integration starts the recovery of its waiting
// deliveries. It runs on the workers, like every request to a receiver.
func TestWorkflow(ctx workflow.Context, in contract.TestInput) (contract.TestResult, error) {
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 1},
	})
	var out contract.TestReport
	if err := workflow.ExecuteActivity(actx, contract.ActivityTestIntegration, in).Get(ctx, &out); err != nil {
		return contract.TestResult{}, fmt.Errorf("test %s: %w", in.IntegrationID, err)
	}
	act(ctx, in.IntegrationID, out.Decision)
	return out.Result, nil
}
