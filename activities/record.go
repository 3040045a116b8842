package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/config"
	"github.com/heraldhq/herald/eventtype"
	"github.com/heraldhq/herald/store"
)

// RecordEventInput is an accepted event as the gateway validated it.
type RecordEventInput struct {
	TeamID     string
	EventID    string
	Type       string
	ProjectID  string
	Data       json.RawMessage
	WorkflowID string
	ReceivedAt time.Time
}

// PlannedDelivery is a delivery the workflow must run (or account for).
type PlannedDelivery struct {
	DeliveryID    string
	IntegrationID string
	Status        herald.DeliveryStatus
	AttemptCount  int
	Retry         config.RetryPolicy
	// AttemptTimeout bounds one HTTP attempt.
	AttemptTimeout time.Duration
}

// RecordEvent stores the event, matches integrations and creates deliveries.
// It is idempotent: a second call returns the same deliveries.
func (a *Activities) RecordEvent(ctx context.Context, in RecordEventInput) ([]PlannedDelivery, error) {
	refs, err := a.Store.RecordEvent(ctx, store.Event{
		TeamID:     in.TeamID,
		ID:         in.EventID,
		Type:       in.Type,
		ProjectID:  in.ProjectID,
		Data:       in.Data,
		WorkflowID: in.WorkflowID,
		ReceivedAt: in.ReceivedAt,
	}, eventtype.Candidates(in.Type))
	if err != nil {
		return nil, err
	}
	out := make([]PlannedDelivery, len(refs))
	for i, r := range refs {
		out[i] = PlannedDelivery{
			DeliveryID:     r.ID,
			IntegrationID:  r.IntegrationID,
			Status:         r.Status,
			AttemptCount:   r.AttemptCount,
			Retry:          a.Retry,
			AttemptTimeout: a.AttemptTimeout,
		}
	}
	return out, nil
}

// FinishInput sets a delivery's final status.
type FinishInput struct {
	DeliveryID string
	Status     herald.DeliveryStatus
	Reason     string
}

// FinishDelivery records how a delivery ended when the attempt itself could not
// (its retries ran out on errors before recording, or it timed out).
func (a *Activities) FinishDelivery(ctx context.Context, in FinishInput) error {
	if !in.Status.Final() {
		return fmt.Errorf("finish delivery %s: status %q is not final", in.DeliveryID, in.Status)
	}
	return a.Store.FinishDelivery(ctx, in.DeliveryID, in.Status, in.Reason)
}
