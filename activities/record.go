package activities

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"go.temporal.io/sdk/temporal"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/alerts"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/internal/eventtype"
	"github.com/heraldhq/herald/internal/expr"
	"github.com/heraldhq/herald/internal/outgoing"
	"github.com/heraldhq/herald/internal/replay"
	"github.com/heraldhq/herald/internal/retry"
	"github.com/heraldhq/herald/internal/store"
)

// RecordEvent stores the event, matches integrations and creates deliveries;
// for a resend-only run it loads the deliveries the event already has. It is
// idempotent: a second call returns the same deliveries.
func (a *Activities) RecordEvent(ctx context.Context, in contract.EventInput) ([]contract.PlannedDelivery, error) {
	var refs []store.DeliveryRef
	var err error
	if in.ResendOnly {
		refs, err = a.Store.DeliveryRefs(ctx, in.TeamID, in.EventID)
	} else {
		if in, err = a.replayData(ctx, in); err != nil {
			return nil, err
		}
		refs, err = a.Store.RecordEvent(ctx, store.Event{
			TeamID:     in.TeamID,
			ID:         in.EventID,
			Type:       in.Type,
			ProjectID:  in.ProjectID,
			Data:       in.Data,
			WorkflowID: contract.EventWorkflowID(in.TeamID, in.EventID),
			ReceivedAt: in.ReceivedAt,
		}, store.Match{Candidates: eventtype.Candidates(in.Type), Exclude: in.ExcludeIntegrationID,
			Only: in.OnlyIntegrationID, Carries: in.Carries, AnyProject: eventtype.HeraldsOwn(in.Type), Passes: passes(in),
			Replay: redeliver(in)})
	}
	if err != nil {
		return nil, err
	}
	if in.OnlyIntegrationID != "" {
		// A run for one integration drives its delivery alone: the event's
		// other deliveries belong to the event's own run.
		refs = slices.DeleteFunc(refs, func(r store.DeliveryRef) bool { return r.IntegrationID != in.OnlyIntegrationID })
	}
	groups, err := a.alertGroups(ctx, in, refs)
	if err != nil {
		return nil, err
	}
	out := make([]contract.PlannedDelivery, len(refs))
	for i, r := range refs {
		out[i] = contract.PlannedDelivery{
			DeliveryID:      r.ID,
			IntegrationID:   r.IntegrationID,
			IntegrationName: r.IntegrationName,
			Status:          r.Status,
			AttemptCount:    r.AttemptCount,
			Retry:           a.retryPolicy(r.Retry.V),
			AttemptTimeout:  a.AttemptTimeout,
			Pace:            a.pace(r.IntegrationType, r.RateLimit.V, r.MaxInFlight, r.Ordering),
			LocalAttempts:   a.LocalAttempts,
		}
		if g, ok := groups[r.ID]; ok {
			if g.resolves {
				out[i].Resolve = &g.plan
			} else {
				out[i].Group, out[i].Status = &g.plan, herald.DeliveryGrouped
			}
		}
	}
	return out, nil
}

// passes applies integrations' filters to an event (its data decoded once
// for all of them). An alert group's message is not filtered again: each
// alert it sums up passed on its own.
func passes(in contract.EventInput) func(integrationID, filter string) (bool, string) {
	if len(in.Carries) > 0 {
		return nil
	}
	// Decoded, and the budget made, for the first filter: an event whose
	// integrations have none costs nothing more.
	var data any
	var budget *expr.Budget
	return func(_, filter string) (bool, string) {
		if data == nil {
			var err error
			if data, err = expr.Decode(in.Data); err != nil {
				return false, err.Error()
			}
			budget = expr.NewBudget()
		}
		return outgoing.Passes(filter, expr.Input{Event: in.Type, Project: in.ProjectID, Decoded: data, Budget: budget})
	}
}

// replayData gives a replay's run its event's data, which its input leaves
// in Postgres (the filter reads it).
func (a *Activities) replayData(ctx context.Context, in contract.EventInput) (contract.EventInput, error) {
	if in.Trigger != herald.TriggerReplay || len(in.Data) > 0 {
		return in, nil
	}
	ev, err := a.Store.GetEvent(ctx, in.TeamID, in.EventID)
	if err != nil {
		return in, nonRetryable(err)
	}
	in.Data = ev.Data
	return in, nil
}

// redeliver is what a replay's run opens again (nil: not a replay).
func redeliver(in contract.EventInput) *store.Redeliver {
	if in.Trigger != herald.TriggerReplay {
		return nil
	}
	r := replay.Redeliver(contract.ReplayInput{Again: in.Again})
	return &r
}

type groupDecision struct {
	plan     contract.GroupPlan
	resolves bool
}

// alertGroups decides which new deliveries of an alert are held by their
// group (and marks them grouped) and which resolve one.
func (a *Activities) alertGroups(ctx context.Context, in contract.EventInput, refs []store.DeliveryRef) (map[string]groupDecision, error) {
	if in.ResendOnly || in.OnlyIntegrationID != "" || len(refs) == 0 {
		return nil, nil
	}
	team := refs[0].TeamAlertPolicy.V // read with the deliveries: no query of its own
	resolves := alerts.Resolves(in.Type, in.Data)
	out := map[string]groupDecision{}
	var hold []string
	for _, r := range refs {
		eff := alerts.Merge(team, r.AlertPolicy.V, a.Channels.TraitsOf(r.IntegrationType).Alerts)
		if !eff.Applies(in.Type) || (r.Status != herald.DeliveryPending && r.Status != herald.DeliveryGrouped) {
			continue
		}
		key := eff.Key(in.Type, in.Data)
		d := groupDecision{plan: contract.GroupPlan{WorkflowID: contract.AlertGroupWorkflowID(in.TeamID, r.IntegrationID, key), Key: key,
			GroupWait: eff.GroupWait, RepeatInterval: eff.RepeatInterval}, resolves: resolves}
		if !resolves && r.Status == herald.DeliveryPending {
			hold = append(hold, r.ID)
		}
		out[r.ID] = d
	}
	if len(hold) > 0 {
		if err := a.Store.MarkGrouped(ctx, hold); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// FinishDelivery records how a delivery ended when no attempt could (the
// attempt itself kept failing on infrastructure errors).
func (a *Activities) FinishDelivery(ctx context.Context, in contract.FinishInput) error {
	if !in.Status.Final() {
		return fmt.Errorf("finish delivery %s: status %q is not final", in.DeliveryID, in.Status)
	}
	return a.Store.FinishDelivery(ctx, in.DeliveryID, in.Status, in.Reason)
}

// nonRetryable wraps not-found errors so Temporal stops retrying them.
func nonRetryable(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return temporal.NewNonRetryableApplicationError(err.Error(), contract.ErrTypeNotFound, nil)
	}
	return err
}

// retryPolicy is an integration's schedule: the default with its override.
// A planned delivery carries it, and every attempt reads it afresh, so a
// change applies to deliveries already waiting from their next attempt on.
func (a *Activities) retryPolicy(o *retry.Override) retry.Policy {
	p, err := o.Apply(a.Retry)
	if err != nil {
		return a.Retry // validated when set; a default that no longer fits it falls back
	}
	return p
}
