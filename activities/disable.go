package activities

import (
	"context"
	"encoding/json"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/contract"
)

// DisabledIntegration is what DisableIntegration did, without secrets.
type DisabledIntegration struct {
	Changed     bool
	TeamID      string
	Name        string
	DisabledAt  time.Time
	AutoRecover bool
	// EventData is the data of the integration:disabled event to emit.
	EventData json.RawMessage
}

// DisableIntegration turns an integration off (once: a second call changes nothing).
func (a *Activities) DisableIntegration(ctx context.Context, in contract.DisableInput) (DisabledIntegration, error) {
	integ, changed, err := a.Store.DisableIntegration(ctx, in.IntegrationID, in.Reason, in.By)
	if err != nil {
		return DisabledIntegration{}, nonRetryable(err)
	}
	out := DisabledIntegration{Changed: changed, TeamID: integ.TeamID, Name: integ.Name, AutoRecover: integ.AutoRecover}
	if integ.DisabledAt != nil {
		out.DisabledAt = *integ.DisabledAt
	}
	out.EventData, err = json.Marshal(map[string]any{
		"integration": integrationRef(integ.ID, integ.Name, integ.Type),
		"reason":      integ.DisabledReason,
		"disabledBy":  integ.DisabledBy,
		"disabledAt":  out.DisabledAt.UTC().Format(time.RFC3339Nano),
	})
	return out, err
}

func integrationRef(id, name string, typ herald.IntegrationType) map[string]any {
	return map[string]any{"id": id, "name": name, "type": typ}
}

// EnabledIntegration is what EnableIntegration did, without secrets.
type EnabledIntegration struct {
	TeamID string
	Name   string
	// EventData is the data of the integration:recovered event to emit.
	EventData json.RawMessage
}

// EnableIntegration turns an integration back on with fresh health.
func (a *Activities) EnableIntegration(ctx context.Context, integrationID string) (EnabledIntegration, error) {
	integ, err := a.Store.EnableIntegration(ctx, "", integrationID)
	if err != nil {
		return EnabledIntegration{}, nonRetryable(err)
	}
	data, err := json.Marshal(map[string]any{"integration": integrationRef(integ.ID, integ.Name, integ.Type)})
	return EnabledIntegration{TeamID: integ.TeamID, Name: integ.Name, EventData: data}, err
}
