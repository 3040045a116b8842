package workflows

import (
	"strconv"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/internal/eventtype"
)

// Probe schedule: first after a minute, doubling, at most every 6 hours, for 3 days.
const (
	probeFirstDelay = time.Minute
	probeMaxDelay   = 6 * time.Hour
	probeGiveUp     = 72 * time.Hour
)

// ProbeWorkflow sends test notifications to an automatically disabled
// integration on a backoff and re-enables it at the first success, emitting
// integration:recovered. It stops when someone enables the integration first,
// when the destination answers that it is gone, and gives up after three days. It returns whether it re-enabled it.
func ProbeWorkflow(ctx workflow.Context, in contract.ProbeInput) (bool, error) {
	delay, horizon := in.FirstDelay, in.GiveUpAfter
	if delay <= 0 {
		delay = probeFirstDelay
	}
	if horizon <= 0 {
		horizon = probeGiveUp
	}
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 3},
	})
	// Histories from before version 1 kept probing a gone destination.
	stopAtGone := workflow.GetVersion(ctx, "probe-stops-at-gone", workflow.DefaultVersion, 1) >= 1
	deadline := workflow.Now(ctx).Add(horizon)
	for workflow.Now(ctx).Add(delay).Before(deadline) {
		if err := workflow.Sleep(ctx, delay); err != nil {
			return false, err
		}
		delay = min(2*delay, probeMaxDelay)
		var res contract.ProbeResult
		if err := workflow.ExecuteActivity(actx, contract.ActivityProbe, in.IntegrationID).Get(ctx, &res); err != nil {
			workflow.GetLogger(ctx).Warn("probe", "integration", in.IntegrationID, "error", err)
			continue
		}
		if !res.Disabled {
			return false, nil
		}
		workflow.SetCurrentDetails(ctx, "last probe: "+string(res.Outcome)+" ("+markdownText(res.Reason)+")")
		if stopAtGone && res.Outcome == herald.OutcomeGone {
			// The destination no longer exists (a deleted Discord webhook, a
			// revoked Slack one): no answer will ever be a success.
			workflow.SetCurrentDetails(ctx, "stopped: the destination is gone ("+markdownText(res.Reason)+")")
			return false, nil
		}
		if res.Outcome != herald.OutcomeDelivered {
			continue
		}
		var e contract.EnabledIntegration
		lctx := workflow.WithLocalActivityOptions(ctx, recordOptions)
		if err := workflow.ExecuteLocalActivity(lctx, contract.ActivityEnableIntegration, in.IntegrationID).Get(ctx, &e); err != nil {
			return false, err
		}
		eventID := "integration-recovered." + in.IntegrationID + "." + strconv.FormatInt(workflow.Now(ctx).UnixMilli(), 10)
		startChild(ctx, contract.EventWorkflowID(e.TeamID, eventID), contract.EventWorkflow,
			eventtype.IntegrationRecovered+" · "+e.Name, contract.EventInput{
				TeamID: e.TeamID, EventID: eventID, Type: eventtype.IntegrationRecovered, Data: e.EventData,
				ReceivedAt: workflow.Now(ctx),
			})
		return true, nil
	}
	return false, nil
}
