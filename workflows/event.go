// Package workflows holds Herald's Temporal workflows: deterministic code only.
package workflows

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/activities"
)

// EventWorkflowName is the registered name of EventWorkflow.
const EventWorkflowName = "EventWorkflow"

// EventWorkflowID is the workflow id of an event: one workflow per (team, event id),
// which is what makes a repeated event id a no-op.
func EventWorkflowID(teamID, eventID string) string {
	return "event/" + teamID + "/" + eventID
}

// EventInput is an accepted event. It carries no secrets.
type EventInput struct {
	TeamID     string
	EventID    string
	Type       string
	ProjectID  string
	Data       json.RawMessage
	ReceivedAt time.Time
}

// Overall states of an event's deliveries, kept in HeraldDeliveryStatus.
const (
	StatusDelivering = "delivering"
	StatusDelivered  = "delivered"
	StatusPartial    = "partial"
	StatusFailed     = "failed"
	StatusNone       = "none"
)

// DeliveryOutcome is how one delivery ended.
type DeliveryOutcome struct {
	DeliveryID    string
	IntegrationID string
	Status        herald.DeliveryStatus
	Reason        string
}

// EventResult is the workflow's result.
type EventResult struct {
	Status     string
	Deliveries []DeliveryOutcome
}

// recordOptions: the record step retries until Postgres answers; deliveries
// wait for it rather than fail.
var recordOptions = workflow.LocalActivityOptions{
	StartToCloseTimeout: 10 * time.Second,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval:    time.Second,
		BackoffCoefficient: 2,
		MaximumInterval:    time.Minute,
	},
}

// deliverMargin is added to the attempt timeout for loading and recording.
const deliverMargin = 15 * time.Second

// EventWorkflow records an event, matches integrations, and runs one Deliver
// activity per delivery in parallel under the delivery retry policy.
func EventWorkflow(ctx workflow.Context, in EventInput) (EventResult, error) {
	var a *activities.Activities
	lctx := workflow.WithLocalActivityOptions(ctx, recordOptions)

	var planned []activities.PlannedDelivery
	err := workflow.ExecuteLocalActivity(lctx, a.RecordEvent, activities.RecordEventInput{
		TeamID:     in.TeamID,
		EventID:    in.EventID,
		Type:       in.Type,
		ProjectID:  in.ProjectID,
		Data:       in.Data,
		WorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID,
		ReceivedAt: in.ReceivedAt,
	}).Get(ctx, &planned)
	if err != nil {
		return EventResult{}, fmt.Errorf("record event: %w", err)
	}

	ids := make([]string, len(planned))
	for i, p := range planned {
		ids[i] = p.IntegrationID
	}
	setStatus(ctx, StatusDelivering, AttrIntegrationIDs.ValueSet(ids))
	workflow.SetCurrentDetails(ctx, fmt.Sprintf("%s → %d integration(s)", in.Type, len(planned)))

	outcomes := make([]DeliveryOutcome, len(planned))
	futures := make([]workflow.Future, len(planned))
	for i, p := range planned {
		outcomes[i] = DeliveryOutcome{DeliveryID: p.DeliveryID, IntegrationID: p.IntegrationID, Status: p.Status}
		if p.Status.Final() {
			continue // skipped, or finished by an earlier run of this workflow
		}
		futures[i] = workflow.ExecuteActivity(deliverContext(ctx, p), a.Deliver, activities.DeliverInput{
			DeliveryID:  p.DeliveryID,
			AttemptBase: p.AttemptCount,
			Trigger:     herald.TriggerAuto,
			Retry:       p.Retry,
		})
	}
	for i, f := range futures {
		if f == nil {
			continue
		}
		outcomes[i].Status, outcomes[i].Reason = awaitDelivery(ctx, f, outcomes[i].DeliveryID)
	}

	res := EventResult{Status: Summarize(outcomes), Deliveries: outcomes}
	setStatus(ctx, res.Status)
	return res, nil
}

func deliverContext(ctx workflow.Context, p activities.PlannedDelivery) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: p.AttemptTimeout + deliverMargin,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        p.Retry.InitialInterval,
			BackoffCoefficient:     p.Retry.BackoffCoefficient,
			MaximumInterval:        p.Retry.MaxInterval,
			MaximumAttempts:        int32(p.Retry.MaxAttempts),
			NonRetryableErrorTypes: activities.NonRetryableErrorTypes,
		},
		Summary: "deliver " + p.DeliveryID + " to " + p.IntegrationID,
	})
}

// awaitDelivery waits for a Deliver activity and makes sure the delivery row
// ends in a final state even when the activity could not record one.
func awaitDelivery(ctx workflow.Context, f workflow.Future, deliveryID string) (herald.DeliveryStatus, string) {
	var r activities.DeliverResult
	err := f.Get(ctx, &r)
	if err == nil {
		return herald.DeliveryDelivered, ""
	}
	status, reason := herald.DeliveryFailed, failureReason(err)
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.Type() == activities.ErrTypeDisabled {
		status = herald.DeliverySkipped
	}
	lctx := workflow.WithLocalActivityOptions(ctx, recordOptions)
	var a *activities.Activities
	if ferr := workflow.ExecuteLocalActivity(lctx, a.FinishDelivery, activities.FinishInput{
		DeliveryID: deliveryID, Status: status, Reason: reason,
	}).Get(ctx, nil); ferr != nil {
		workflow.GetLogger(ctx).Error("finish delivery", "delivery", deliveryID, "error", ferr)
	}
	return status, reason
}

// failureReason is the innermost application error's message: the words the
// activity chose (never a URL or secret), without Temporal's wrapping.
func failureReason(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Message()
	}
	var timeoutErr *temporal.TimeoutError
	if errors.As(err, &timeoutErr) {
		return "attempt timed out"
	}
	return err.Error()
}

// Summarize is the overall status of an event's deliveries.
func Summarize(outcomes []DeliveryOutcome) string {
	if len(outcomes) == 0 {
		return StatusNone
	}
	delivered := 0
	for _, o := range outcomes {
		if o.Status == herald.DeliveryDelivered {
			delivered++
		}
	}
	switch delivered {
	case len(outcomes):
		return StatusDelivered
	case 0:
		return StatusFailed
	}
	return StatusPartial
}

func setStatus(ctx workflow.Context, status string, more ...temporal.SearchAttributeUpdate) {
	upd := append([]temporal.SearchAttributeUpdate{AttrDeliveryStatus.ValueSet(status)}, more...)
	if err := workflow.UpsertTypedSearchAttributes(ctx, upd...); err != nil {
		workflow.GetLogger(ctx).Warn("upsert search attributes", "error", err)
	}
}
