package workflows

import (
	"errors"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/internal/eventtype"
)

// AlertGroupWorkflow gathers an integration's alerts of one group (same
// project, service and type by default). The first alert waits GroupWait for
// company, then all go as one message; later alerts are held for
// RepeatInterval and go as one summary; a quiet interval ends the group. A
// resolve flushes what is held and ends it. Messages are alert:group events,
// delivered by their own EventWorkflow with every retry and health rule; each
// held alert's delivery is linked to the one that carried it.
func AlertGroupWorkflow(ctx workflow.Context, in contract.AlertGroupInput) error {
	alertCh := workflow.GetSignalChannel(ctx, contract.SignalAlert)
	resolveCh := workflow.GetSignalChannel(ctx, contract.SignalResolve)
	resolved := false
	drain := func() {
		var a contract.AlertSignal
		for alertCh.ReceiveAsync(&a) {
			in.Held = append(in.Held, a)
		}
		for resolveCh.ReceiveAsync(nil) {
			resolved = true
		}
	}
	wait := in.GroupWait
	if in.Repeating {
		wait = in.RepeatInterval
	}
	for cycle := 0; ; cycle++ {
		if _, err := workflow.AwaitWithTimeout(ctx, wait, func() bool { return resolveCh.Len() > 0 }); err != nil {
			return err
		}
		drain()
		if len(in.Held) == 0 {
			return nil // a quiet interval (or a resolve with nothing held): the group ends
		}
		if err := sendGroup(ctx, &in); err != nil {
			return err
		}
		if resolved {
			drain() // anything that raced the resolve goes in one last message
			if len(in.Held) == 0 {
				return nil
			}
			continue
		}
		in.Repeating, wait = true, in.RepeatInterval
		if cycle >= 10 {
			// Keep history short for groups that flap for days.
			drain()
			return workflow.NewContinueAsNewError(ctx, contract.AlertGroupWorkflow, in)
		}
	}
}

// sendGroup delivers what is held as one alert:group message, or a lone
// alert as itself.
func sendGroup(ctx workflow.Context, in *contract.AlertGroupInput) error {
	var msg contract.GroupMessage
	err := workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, recordOptions), contract.ActivityBuildGroupMessage,
		contract.GroupMessageInput{TeamID: in.TeamID, Key: in.Key, Held: in.Held, Summary: in.Repeating}).Get(ctx, &msg)
	if err != nil {
		return fmt.Errorf("build group message: %w", err)
	}
	carries := make([]string, len(in.Held))
	for i, h := range in.Held {
		carries[i] = h.DeliveryID
	}
	typ := msg.Type
	if typ == "" {
		typ = eventtype.AlertGroup
	}
	startChild(ctx, contract.EventWorkflowID(in.TeamID, msg.EventID), contract.EventWorkflow,
		fmt.Sprintf("%s · %d alert(s)", typ, len(in.Held)), contract.EventInput{
			TeamID: in.TeamID, EventID: msg.EventID, Type: typ, Data: msg.Data,
			ReceivedAt: workflow.Now(ctx), OnlyIntegrationID: in.IntegrationID, Carries: carries,
		})
	in.Held, in.Sent = nil, in.Sent+1
	return nil
}

// joinGroup hands an alert to its group: it starts the group with the alert,
// or signals the running one; a group that closed in between is started anew.
func joinGroup(ctx workflow.Context, teamID, integrationID string, g *contract.GroupPlan, alert contract.AlertSignal) error {
	for try := 0; try < 5; try++ {
		cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
			WorkflowID:            g.WorkflowID,
			ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_ABANDON,
			WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
			StaticSummary:         "alert group " + g.Key + " of " + integrationID,
		})
		err := workflow.ExecuteChildWorkflow(cctx, contract.AlertGroupWorkflow, contract.AlertGroupInput{
			TeamID: teamID, IntegrationID: integrationID, Key: g.Key, GroupWait: g.GroupWait,
			RepeatInterval: g.RepeatInterval, Held: []contract.AlertSignal{alert},
		}).GetChildWorkflowExecution().Get(ctx, nil)
		var started *temporal.ChildWorkflowExecutionAlreadyStartedError
		if err == nil {
			return nil
		}
		if !errors.As(err, &started) {
			return err
		}
		if err := workflow.SignalExternalWorkflow(ctx, g.WorkflowID, "", contract.SignalAlert, alert).Get(ctx, nil); err == nil {
			return nil
		}
	}
	return fmt.Errorf("alert %s could not join group %s", alert.DeliveryID, g.WorkflowID)
}

// closeGroup tells a group its alert was resolved (a group that is not
// running has nothing to close).
func closeGroup(ctx workflow.Context, g *contract.GroupPlan) {
	_ = workflow.SignalExternalWorkflow(ctx, g.WorkflowID, "", contract.SignalResolve, nil).Get(ctx, nil)
}
