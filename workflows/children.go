package workflows

import (
	"errors"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/internal/health"
)

// startChild starts a workflow that outlives its parent (the parent only
// waits for it to start). One already running under the id is fine: that is
// how a decision taken twice still runs once.
func startChild(ctx workflow.Context, id, name, summary string, input any) {
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:            id,
		ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_ABANDON,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		StaticSummary:         summary,
	})
	err := workflow.ExecuteChildWorkflow(cctx, name, input).GetChildWorkflowExecution().Get(ctx, nil)
	var started *temporal.ChildWorkflowExecutionAlreadyStartedError
	if err != nil && !errors.As(err, &started) {
		workflow.GetLogger(ctx).Error("start child workflow", "workflow", id, "error", err)
	}
}

// act carries out a health decision: disable the integration, or wake its
// deliveries waiting on backoff.
func act(ctx workflow.Context, integrationID string, d health.Decision) {
	if d.Disable {
		startChild(ctx, contract.DisableWorkflowID(integrationID), contract.DisableWorkflow,
			"disable "+integrationID+": "+d.Reason,
			contract.DisableInput{IntegrationID: integrationID, Reason: d.Reason, By: contract.DisabledByHerald})
	}
	if d.Recovered {
		startChild(ctx, contract.RecoveryWorkflowID(integrationID), contract.RecoveryWorkflow,
			"recover "+integrationID, contract.RecoveryInput{IntegrationID: integrationID})
	}
}
