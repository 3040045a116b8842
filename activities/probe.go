package activities

import (
	"context"
	"encoding/json"

	"go.temporal.io/sdk/activity"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/channels"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/internal/eventtype"
	"github.com/heraldhq/herald/internal/health"
	"github.com/heraldhq/herald/internal/store"
)

// Probe sends a test notification to a disabled integration and classifies
// the answer, recorded in the integration's log (trigger probe); it counts
// toward no health: the integration is disabled.
func (a *Activities) Probe(ctx context.Context, integrationID string) (contract.ProbeResult, error) {
	integ, err := a.Store.LoadIntegration(ctx, integrationID)
	if err != nil {
		return contract.ProbeResult{}, nonRetryable(err)
	}
	if integ.Enabled || integ.DeletedAt != nil {
		return contract.ProbeResult{}, nil
	}
	sent, err := a.ownSend(ctx, integ, herald.TriggerProbe)
	if err != nil {
		return contract.ProbeResult{}, err
	}
	return contract.ProbeResult{Outcome: sent.res.Outcome, Reason: sent.res.Reason, Disabled: true}, nil
}

// ownMessages are what Herald's own sends say.
var ownMessages = map[herald.Trigger]string{
	herald.TriggerTest:         "Test notification from Herald: this integration is connected.",
	herald.TriggerProbe:        "Test notification from Herald: this integration is connected.",
	herald.TriggerConfirmation: "Herald is connected: this channel will receive the events this integration subscribes to.",
}

// TestIntegration sends a test (or, on creation, a confirmation)
// notification and reports how it fared. Recorded in the integration's log;
// a success on a failing integration resets its health and asks for its
// waiting deliveries to be retried, and a failed confirmation is a failed
// request like any other.
func (a *Activities) TestIntegration(ctx context.Context, in contract.TestInput) (contract.TestReport, error) {
	integ, err := a.Store.LoadIntegration(ctx, in.IntegrationID)
	if err != nil {
		return contract.TestReport{}, nonRetryable(err)
	}
	trigger := herald.TriggerTest
	if in.Confirmation {
		trigger = herald.TriggerConfirmation
	}
	sent, err := a.ownSend(ctx, integ, trigger)
	if err != nil {
		return contract.TestReport{}, err
	}
	res := sent.res
	return contract.TestReport{Decision: sent.decision, Result: contract.TestResult{Delivered: res.Outcome == herald.OutcomeDelivered,
		Outcome: res.Outcome, Reason: res.Reason, DeliveryID: sent.deliveryID}}, nil
}

// ownSent is one of Herald's own sends, as sent and recorded.
type ownSent struct {
	res        channels.Result
	deliveryID string
	decision   health.Decision
}

// ownSend sends a test notification to an integration through the one
// attempt path, and records it (store.RecordOwnSend), enabled or not: a
// disabled integration's health is not moved.
func (a *Activities) ownSend(ctx context.Context, integ store.Integration, trigger herald.Trigger) (ownSent, error) {
	data, err := json.Marshal(map[string]any{
		"integration": map[string]any{"id": integ.ID, "name": integ.Name, "type": integ.Type},
		"message":     ownMessages[trigger],
	})
	if err != nil {
		return ownSent{}, err
	}
	// A test counts against the platform's limit like any message: it takes
	// its send slot (waiting for it here: people wait for its answer) and
	// tells the pace what the platform said.
	p := a.pace(integ.Type, integ.RateLimit.V, integ.MaxInFlight, integ.Ordering)
	if !p.Limit.Unlimited() {
		wait, err := a.Store.ReservePace(ctx, integ.ID, p.Limit, store.BookSent, a.Now)
		if err != nil {
			return ownSent{}, err
		}
		if err := sleep(ctx, wait); err != nil {
			return ownSent{}, err
		}
	}
	eventID, deliveryID := store.NewID("test"), store.NewID("dlv")
	s, err := a.send(ctx, integ, channels.Message{DeliveryID: deliveryID, EventID: eventID, EventType: eventtype.IntegrationTest, Data: data})
	if err != nil {
		return ownSent{}, nonRetryable(err)
	}
	a.answered(ctx, integ, p, s.res)
	att := newAttempt(deliveryID, contract.DeliverInput{AttemptNo: 1, Trigger: trigger}, s.req, s.ex, s.res, s.secretHeaders)
	out := ownSent{res: s.res, deliveryID: deliveryID}
	out.decision, err = a.Store.RecordOwnSend(ctx, store.OwnSend{TeamID: integ.TeamID, IntegrationID: integ.ID,
		EventID: eventID, WorkflowID: activity.GetInfo(ctx).WorkflowExecution.ID, Data: data, Attempt: att, Enabled: integ.Enabled})
	if err != nil {
		// Sent and answered: the caller hears the answer; the record is what is lost.
		activity.GetLogger(ctx).Warn("record a test notification", "integration", integ.ID, "error", err)
		out.deliveryID = ""
	}
	return out, nil
}
