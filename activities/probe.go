package activities

import (
	"context"
	"encoding/json"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/channels"
	"github.com/heraldhq/herald/store"
)

// TestEventType is the type of test notifications and recovery probes.
const TestEventType = "integration:test"

// ProbeResult is the answer to a test notification.
type ProbeResult struct {
	Outcome herald.Outcome
	Reason  string
	// Disabled is false when the integration was enabled (or deleted) meanwhile:
	// probing has nothing left to do.
	Disabled bool
}

// Probe sends a test notification to a disabled integration and classifies
// the answer. It records no delivery: the integration's owner did not ask for it.
func (a *Activities) Probe(ctx context.Context, integrationID string) (ProbeResult, error) {
	integ, err := a.Store.LoadIntegration(ctx, integrationID)
	if err != nil {
		return ProbeResult{}, nonRetryable(err)
	}
	if integ.Enabled || integ.DeletedAt != nil {
		return ProbeResult{}, nil
	}
	res, err := a.sendTest(ctx, integ)
	if err != nil {
		return ProbeResult{}, err
	}
	return ProbeResult{Outcome: res.Outcome, Reason: res.Reason, Disabled: true}, nil
}

// sendTest renders and sends a test notification to an integration.
func (a *Activities) sendTest(ctx context.Context, integ store.Integration) (channels.Result, error) {
	ch, err := a.Channels.For(integ.Type)
	if err != nil {
		return channels.Result{}, nonRetryable(err)
	}
	data, err := json.Marshal(map[string]any{
		"integration": map[string]any{"id": integ.ID, "name": integ.Name, "type": integ.Type},
		"message":     "Test notification from Herald: this integration is connected.",
	})
	if err != nil {
		return channels.Result{}, err
	}
	id := store.NewID("test")
	req, err := ch.Render(channels.Message{
		DeliveryID: id, EventID: id, EventType: TestEventType, Data: data,
		IntegrationID: integ.ID, IntegrationName: integ.Name, URL: integ.URL, Secret: integ.Secret,
		Timestamp: a.Now(),
	})
	if err != nil {
		return channels.Result{}, nonRetryable(err)
	}
	ex := a.Sender.Send(ctx, req)
	if ex.Err != nil {
		return channels.TransportResult(ex.Err), nil
	}
	return ch.Classify(req, ex.Response, a.Now()), nil
}
