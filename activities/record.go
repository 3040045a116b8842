package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/config"
	"github.com/heraldhq/herald/contract"
	"github.com/heraldhq/herald/eventtype"
	"github.com/heraldhq/herald/store"
)

// PlannedDelivery is a delivery the workflow must run (or account for).
type PlannedDelivery struct {
	DeliveryID    string
	IntegrationID string
	Status        herald.DeliveryStatus
	AttemptCount  int
	// Retry is the schedule: the integration's own, else the default.
	Retry config.RetryPolicy
	// AttemptTimeout bounds one HTTP attempt.
	AttemptTimeout time.Duration
}

// RecordEvent stores the event, matches integrations and creates deliveries;
// for a resend-only run it loads the deliveries the event already has. It is
// idempotent: a second call returns the same deliveries.
func (a *Activities) RecordEvent(ctx context.Context, in contract.EventInput) ([]PlannedDelivery, error) {
	var refs []store.DeliveryRef
	var err error
	if in.ResendOnly {
		refs, err = a.Store.DeliveryRefs(ctx, in.TeamID, in.EventID)
	} else {
		refs, err = a.Store.RecordEvent(ctx, store.Event{
			TeamID:     in.TeamID,
			ID:         in.EventID,
			Type:       in.Type,
			ProjectID:  in.ProjectID,
			Data:       in.Data,
			WorkflowID: contract.EventWorkflowID(in.TeamID, in.EventID),
			ReceivedAt: in.ReceivedAt,
		}, eventtype.Candidates(in.Type), in.ExcludeIntegrationID)
	}
	if err != nil {
		return nil, err
	}
	out := make([]PlannedDelivery, len(refs))
	for i, r := range refs {
		policy, err := r.Retry.Override.Apply(a.Retry)
		if err != nil {
			// Validated when set; a default that no longer fits it falls back.
			policy = a.Retry
		}
		out[i] = PlannedDelivery{
			DeliveryID:     r.ID,
			IntegrationID:  r.IntegrationID,
			Status:         r.Status,
			AttemptCount:   r.AttemptCount,
			Retry:          policy,
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

// FinishDelivery records how a delivery ended when no attempt could (the
// attempt itself kept failing on infrastructure errors).
func (a *Activities) FinishDelivery(ctx context.Context, in FinishInput) error {
	if !in.Status.Final() {
		return fmt.Errorf("finish delivery %s: status %q is not final", in.DeliveryID, in.Status)
	}
	return a.Store.FinishDelivery(ctx, in.DeliveryID, in.Status, in.Reason)
}

// nonRetryable wraps not-found errors so Temporal stops retrying them.
func nonRetryable(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeNotFound, nil)
	}
	return err
}
