package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/heraldhq/herald/internal/contract"
)

// retentionBatch is how many events one delete removes.
const retentionBatch = 1000

// RetentionWorkflow prunes events (with their deliveries and attempts) older
// than the retention, and audit entries older than theirs, in batches. A
// Temporal schedule runs it daily.
func RetentionWorkflow(ctx workflow.Context, in contract.RetentionInput) (int, error) {
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Hour,
		HeartbeatTimeout:    time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 10 * time.Second, MaximumInterval: 10 * time.Minute, MaximumAttempts: 10},
	})
	var pruned int
	prune := contract.PruneInput{Cutoff: workflow.Now(ctx).Add(-in.Retention), Batch: retentionBatch}
	if in.AuditRetention > 0 {
		prune.AuditCutoff = workflow.Now(ctx).Add(-in.AuditRetention)
	}
	err := workflow.ExecuteActivity(actx, contract.ActivityPruneOld, prune).Get(ctx, &pruned)
	return pruned, err
}
