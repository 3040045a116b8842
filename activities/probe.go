package activities

import (
	"context"
	"encoding/json"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/channels"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/internal/eventtype"
	"github.com/heraldhq/herald/internal/store"
)

// Probe sends a test notification to a disabled integration and classifies
// the answer. It records no delivery: the integration's owner did not ask for it.
func (a *Activities) Probe(ctx context.Context, integrationID string) (contract.ProbeResult, error) {
	integ, err := a.Store.LoadIntegration(ctx, integrationID)
	if err != nil {
		return contract.ProbeResult{}, nonRetryable(err)
	}
	if integ.Enabled || integ.DeletedAt != nil {
		return contract.ProbeResult{}, nil
	}
	res, err := a.sendTest(ctx, integ, testMessage)
	if err != nil {
		return contract.ProbeResult{}, err
	}
	return contract.ProbeResult{Outcome: res.Outcome, Reason: res.Reason, Disabled: true}, nil
}

const (
	testMessage         = "Test notification from Herald: this integration is connected."
	confirmationMessage = "Herald is connected: this channel will receive the events this integration subscribes to."
)

// TestIntegration sends a test (or, on creation, a confirmation) notification
// and reports how it fared. A success on a failing integration resets its
// health and asks for its waiting deliveries to be retried.
func (a *Activities) TestIntegration(ctx context.Context, in contract.TestInput) (contract.TestOutcome, error) {
	integ, err := a.Store.LoadIntegration(ctx, in.IntegrationID)
	if err != nil {
		return contract.TestOutcome{}, nonRetryable(err)
	}
	msg := testMessage
	if in.Confirmation {
		msg = confirmationMessage
	}
	res, err := a.sendTest(ctx, integ, msg)
	if err != nil {
		return contract.TestOutcome{}, err
	}
	out := contract.TestOutcome{Result: contract.TestResult{Delivered: res.Outcome == herald.OutcomeDelivered, Outcome: res.Outcome, Reason: res.Reason}}
	if integ.Enabled {
		out.Decision, err = a.Store.RecordTestOutcome(ctx, integ.ID, res.Outcome, a.Now())
	}
	return out, err
}

// sendTest sends a test notification to an integration through the one
// attempt path.
func (a *Activities) sendTest(ctx context.Context, integ store.Integration, message string) (channels.Result, error) {
	data, err := json.Marshal(map[string]any{
		"integration": map[string]any{"id": integ.ID, "name": integ.Name, "type": integ.Type},
		"message":     message,
	})
	if err != nil {
		return channels.Result{}, err
	}
	// A test counts against the platform's limit like any message: it takes
	// its send slot (waiting for it here: people wait for its answer) and
	// tells the pace what the platform said.
	p := a.pace(integ.Type, integ.RateLimit.V, integ.MaxInFlight, integ.Ordering)
	if !p.Limit.Unlimited() {
		wait, err := a.Store.ReservePace(ctx, integ.ID, p.Limit, true, a.Now)
		if err != nil {
			return channels.Result{}, err
		}
		if err := sleep(ctx, wait); err != nil {
			return channels.Result{}, err
		}
	}
	id := store.NewID("test")
	s, err := a.send(ctx, integ, channels.Message{DeliveryID: id, EventID: id, EventType: eventtype.IntegrationTest, Data: data})
	if err != nil {
		return channels.Result{}, nonRetryable(err)
	}
	a.answered(ctx, integ, p, s.res)
	return s.res, nil
}
