package workflows

import (
	"fmt"
	"strconv"

	"go.temporal.io/sdk/workflow"

	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/internal/eventtype"
)

// DisableWorkflow disables an integration and tells its team through their
// other integrations (an integration:disabled event, never delivered to the
// disabled one). It is idempotent: run again, it finds the integration
// disabled and does nothing. An automatically disabled integration created
// with autoRecover is then probed until it answers.
func DisableWorkflow(ctx workflow.Context, in contract.DisableInput) (contract.DisableResult, error) {
	var d contract.DisabledIntegration
	err := workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, recordOptions), contract.ActivityDisableIntegration, in).Get(ctx, &d)
	if err != nil {
		return contract.DisableResult{}, fmt.Errorf("disable %s: %w", in.IntegrationID, err)
	}
	if !d.Changed {
		return contract.DisableResult{}, nil
	}
	eventID := "integration-disabled." + in.IntegrationID + "." + strconv.FormatInt(d.DisabledAt.UnixMilli(), 10)
	startChild(ctx, contract.EventWorkflowID(d.TeamID, eventID), contract.EventWorkflow,
		eventtype.IntegrationDisabled+" · "+d.Name, contract.EventInput{
			TeamID: d.TeamID, EventID: eventID, Type: eventtype.IntegrationDisabled, Data: d.EventData,
			ReceivedAt: workflow.Now(ctx), ExcludeIntegrationID: in.IntegrationID,
		})
	if d.AutoRecover && in.By == contract.DisabledByHerald {
		startChild(ctx, contract.ProbeWorkflowID(in.IntegrationID), contract.ProbeWorkflow,
			"probe "+in.IntegrationID, contract.ProbeInput{IntegrationID: in.IntegrationID})
	}
	return contract.DisableResult{Changed: true, EventID: eventID}, nil
}
