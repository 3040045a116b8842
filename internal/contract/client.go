package contract

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/heraldhq/herald"
)

func eventSearchAttributes(in EventInput) temporal.SearchAttributes {
	attrs := []temporal.SearchAttributeUpdate{AttrTeamID.ValueSet(in.TeamID), AttrEventType.ValueSet(keywordValue(in.Type))}
	// An event stored before ingest bounded project ids is still started
	// (for a resend) without one, rather than refused.
	if p := keywordValue(in.ProjectID); p != "" {
		attrs = append(attrs, AttrProjectID.ValueSet(p))
	}
	return temporal.NewSearchAttributes(attrs...)
}

// StartFailure says what a failed workflow start means.
type StartFailure int

const (
	// StartOK: the workflow exists (started now, or before with the same id).
	StartOK StartFailure = iota
	// StartSlow: Temporal did not answer in time, or is overloaded or down;
	// the same start will pass later. Only this moves the ingest limit.
	StartSlow
	// StartRefused: Temporal refused this start for what it carries (a search
	// attribute over its limit, an invalid argument); it will never pass.
	StartRefused
	// StartOther: anything else (counted, and set aside after a few tries).
	StartOther
)

// ClassifyStart classifies a StartEvent error.
func ClassifyStart(err error) StartFailure {
	var (
		invalid  *serviceerror.InvalidArgument
		denied   *serviceerror.PermissionDenied
		unavail  *serviceerror.Unavailable
		deadline *serviceerror.DeadlineExceeded
		busy     *serviceerror.ResourceExhausted
		canceled *serviceerror.Canceled
	)
	switch {
	case errors.As(err, &invalid), errors.As(err, &denied):
		return StartRefused
	case errors.As(err, &unavail), errors.As(err, &deadline), errors.As(err, &busy), errors.As(err, &canceled),
		errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return StartSlow
	}
	return StartOther
}

// Dispatch says where a new event's first workflow task goes.
type Dispatch int

const (
	// DispatchQueued: through the task queue, to whichever worker polls it.
	DispatchQueued Dispatch = iota
	// DispatchEager: returned with the start to a worker of this process
	// (one created on the same client), when one has a free workflow-task
	// slot; otherwise queued as usual. It saves the trip through matching.
	DispatchEager
)

// StartEvent starts the event's workflow, or joins the one already started
// for this (team, event id), running or closed: a repeated event is accepted
// and not delivered again. It returns the workflow id.
func StartEvent(ctx context.Context, c client.Client, taskQueue string, dispatch Dispatch, in EventInput) (string, error) {
	id := EventWorkflowID(in.TeamID, in.EventID)
	_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       id,
		TaskQueue:                taskQueue,
		EnableEagerStart:         dispatch == DispatchEager,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		TypedSearchAttributes:    eventSearchAttributes(in),
		StaticSummary:            in.Type + " · event " + in.EventID,
	}, EventWorkflow, in)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if err != nil && !errors.As(err, &started) {
		return id, fmt.Errorf("start workflow %s: %w", id, err)
	}
	return id, nil
}

// Resend signals the event's workflow to attempt a delivery now. A running
// workflow takes the signal; a closed one is started again as a resend-only
// run (SignalWithStart), which loads the event from Postgres.
func Resend(ctx context.Context, c client.Client, taskQueue string, ev EventInput, deliveryID string) (string, error) {
	ev.ResendOnly, ev.Data = true, nil
	id := EventWorkflowID(ev.TeamID, ev.EventID)
	// A closed run is followed by a resend-only one: say which, so the
	// Web UI leads from one to the other (a running run takes the signal).
	if d, err := c.DescribeWorkflow(ctx, id, ""); err == nil && d.Status != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		ev.ResendOf = d.WorkflowExecution.RunID
	}
	_, err := c.SignalWithStartWorkflow(ctx, id, SignalResend, ResendSignal{DeliveryID: deliveryID},
		client.StartWorkflowOptions{
			ID:        id,
			TaskQueue: taskQueue,
			// A closed event workflow may run again for a resend (ingestion still
			// rejects the id: it uses REJECT_DUPLICATE).
			WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
			TypedSearchAttributes: eventSearchAttributes(ev),
			StaticSummary:         ev.Type + " · event " + ev.EventID + " · resend",
		}, EventWorkflow, ev)
	if err != nil {
		return id, fmt.Errorf("signal resend to %s: %w", id, err)
	}
	return id, nil
}

// Recovered tells an event workflow that an integration answers again. A
// workflow that has closed meanwhile has nothing waiting: not an error.
func Recovered(ctx context.Context, c client.Client, workflowID, integrationID string) error {
	return signalOpen(ctx, c, workflowID, SignalRecovered, RecoveredSignal{IntegrationID: integrationID})
}

// signalOpen signals a workflow that may have closed meanwhile: then it has
// nothing waiting for the signal, which is not an error.
func signalOpen(ctx context.Context, c client.Client, workflowID, name string, arg any) error {
	err := c.SignalWorkflow(ctx, workflowID, "", name, arg)
	var nf *serviceerror.NotFound
	if err != nil && !errors.As(err, &nf) {
		return fmt.Errorf("signal %s to %s: %w", name, workflowID, err)
	}
	return nil
}

// Disable runs DisableWorkflow for an integration (joining one in progress)
// and waits for its result.
func Disable(ctx context.Context, c client.Client, taskQueue string, in DisableInput) (DisableResult, error) {
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       DisableWorkflowID(in.IntegrationID),
		TaskQueue:                taskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		StaticSummary:            "disable " + in.IntegrationID,
	}, DisableWorkflow, in)
	if err != nil {
		return DisableResult{}, fmt.Errorf("start disable of %s: %w", in.IntegrationID, err)
	}
	var res DisableResult
	if err := run.Get(ctx, &res); err != nil {
		return DisableResult{}, fmt.Errorf("disable %s: %w", in.IntegrationID, err)
	}
	return res, nil
}

// StartRecovery starts (or joins) the recovery of an integration's waiting deliveries.
func StartRecovery(ctx context.Context, c client.Client, taskQueue string, in RecoveryInput) error {
	_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       RecoveryWorkflowID(in.IntegrationID),
		TaskQueue:                taskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		StaticSummary:            "recover " + in.IntegrationID,
	}, RecoveryWorkflow, in)
	if err != nil {
		return fmt.Errorf("start recovery of %s: %w", in.IntegrationID, err)
	}
	return nil
}

// StartBulkResend starts a bulk resend under a new id and returns the workflow id.
func StartBulkResend(ctx context.Context, c client.Client, taskQueue, id string, in BulkResendInput) (string, error) {
	wfID := BulkResendWorkflowID(in.TeamID, id)
	_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:            wfID,
		TaskQueue:     taskQueue,
		StaticSummary: "resend " + string(in.Status) + " deliveries of " + in.IntegrationID,
	}, BulkResendWorkflow, in)
	if err != nil {
		return wfID, fmt.Errorf("start bulk resend: %w", err)
	}
	return wfID, nil
}

// StartReplayRun starts the run that gives a replay's integration one past
// event (ev: its team, id, type, project, when it came; the integration in
// OnlyIntegrationID). A run of that replay for the event that exists already
// is fine: a replay resumed after a crash starts each event once.
func StartReplayRun(ctx context.Context, c client.Client, taskQueue, replayID string, ev EventInput) error {
	ev.Trigger = herald.TriggerReplay
	_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       ReplayEventWorkflowID(ev.TeamID, ev.EventID, replayID),
		TaskQueue:                taskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		TypedSearchAttributes:    eventSearchAttributes(ev),
		StaticSummary:            ev.Type + " · event " + ev.EventID + " · replay " + replayID,
	}, EventWorkflow, ev)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if err != nil && !errors.As(err, &started) {
		return fmt.Errorf("start replay of %s: %w", ev.EventID, err)
	}
	return nil
}

// StartReplay starts a replay and returns its workflow id.
func StartReplay(ctx context.Context, c client.Client, taskQueue string, in ReplayInput) (string, error) {
	wfID := ReplayWorkflowID(in.TeamID, in.ReplayID)
	_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:            wfID,
		TaskQueue:     taskQueue,
		StaticSummary: "replay events since " + in.Since.UTC().Format(time.RFC3339) + " to " + in.IntegrationID,
	}, ReplayWorkflow, in)
	if err != nil {
		return wfID, fmt.Errorf("start replay: %w", err)
	}
	return wfID, nil
}

// ReplayState is a replay's workflow status and its progress.
func ReplayState(ctx context.Context, c client.Client, teamID, id string) (enumspb.WorkflowExecutionStatus, ReplayProgress, error) {
	var p ReplayProgress
	wfID := ReplayWorkflowID(teamID, id)
	d, err := c.DescribeWorkflow(ctx, wfID, "")
	if err != nil {
		return 0, p, fmt.Errorf("describe replay %s: %w", id, err)
	}
	v, err := c.QueryWorkflow(ctx, wfID, "", QueryProgress)
	if err != nil {
		return 0, p, fmt.Errorf("query replay %s: %w", id, err)
	}
	return d.Status, p, v.Get(&p)
}

// CancelReplay stops a replay: what it started stays started.
func CancelReplay(ctx context.Context, c client.Client, teamID, id string) error {
	if err := c.CancelWorkflow(ctx, ReplayWorkflowID(teamID, id), ""); err != nil {
		return fmt.Errorf("cancel replay %s: %w", id, err)
	}
	return nil
}

// BulkResendStatus queries a bulk resend's progress.
func BulkResendStatus(ctx context.Context, c client.Client, teamID, id string) (BulkResendProgress, error) {
	var p BulkResendProgress
	v, err := c.QueryWorkflow(ctx, BulkResendWorkflowID(teamID, id), "", QueryProgress)
	if err != nil {
		return p, fmt.Errorf("query bulk resend %s: %w", id, err)
	}
	return p, v.Get(&p)
}

// CancelBulkResend asks a bulk resend to stop; what it resent stays resent.
func CancelBulkResend(ctx context.Context, c client.Client, teamID, id string) error {
	if err := c.CancelWorkflow(ctx, BulkResendWorkflowID(teamID, id), ""); err != nil {
		return fmt.Errorf("cancel bulk resend %s: %w", id, err)
	}
	return nil
}

// Test sends a test notification through TestWorkflow and waits for the answer.
func Test(ctx context.Context, c client.Client, taskQueue, runID string, in TestInput) (TestResult, error) {
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:            "integration/" + in.IntegrationID + "/test/" + runID,
		TaskQueue:     taskQueue,
		StaticSummary: "test " + in.IntegrationID,
	}, TestWorkflow, in)
	if err != nil {
		return TestResult{}, fmt.Errorf("start test of %s: %w", in.IntegrationID, err)
	}
	var res TestResult
	if err := run.Get(ctx, &res); err != nil {
		return TestResult{}, fmt.Errorf("test %s: %w", in.IntegrationID, err)
	}
	return res, nil
}

// EnsureRetentionSchedule creates the daily retention schedule, or updates its
// retention when it exists with another. Every worker calls it at start.
func EnsureRetentionSchedule(ctx context.Context, c client.Client, taskQueue string, in RetentionInput) error {
	action := &client.ScheduleWorkflowAction{
		ID: RetentionScheduleID, Workflow: RetentionWorkflow, TaskQueue: taskQueue,
		Args: []any{in},
	}
	_, err := c.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID:      RetentionScheduleID,
		Spec:    client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: 24 * time.Hour}}},
		Action:  action,
		Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
	})
	if errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		h := c.ScheduleClient().GetHandle(ctx, RetentionScheduleID)
		return h.Update(ctx, client.ScheduleUpdateOptions{DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			in.Description.Schedule.Action = action
			return &client.ScheduleUpdate{Schedule: &in.Description.Schedule}, nil
		}})
	}
	if err != nil {
		return fmt.Errorf("create the retention schedule: %w", err)
	}
	return nil
}

// PassTurn tells an event workflow that its delivery's turn has come. A
// workflow that has closed meanwhile has nothing waiting: not an error.
func PassTurn(ctx context.Context, c client.Client, workflowID, deliveryID string) error {
	return signalOpen(ctx, c, workflowID, SignalTurn, TurnSignal{DeliveryID: deliveryID})
}
