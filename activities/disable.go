package activities

import (
	"context"
	"encoding/json"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/internal/store"
)

// DisableIntegration turns an integration off (once: a second call changes nothing).
func (a *Activities) DisableIntegration(ctx context.Context, in contract.DisableInput) (contract.DisabledIntegration, error) {
	// The key that asked for it is the actor; Herald itself otherwise.
	if in.By != contract.DisabledByHerald && in.By != "" {
		ctx = store.WithActor(ctx, store.Actor{Kind: store.ActorKey, ID: in.By, Via: in.Via})
	}
	integ, changed, err := a.Store.DisableIntegration(ctx, in.IntegrationID, in.Reason, in.By)
	if err != nil {
		return contract.DisabledIntegration{}, nonRetryable(err)
	}
	a.Tokens.Drop(integ.ID)
	out := contract.DisabledIntegration{Changed: changed, TeamID: integ.TeamID, Name: integ.Name, AutoRecover: integ.AutoRecover}
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

// EnableIntegration turns an integration back on with fresh health.
func (a *Activities) EnableIntegration(ctx context.Context, integrationID string) (contract.EnabledIntegration, error) {
	integ, err := a.Store.EnableIntegration(ctx, "", integrationID)
	if err != nil {
		return contract.EnabledIntegration{}, nonRetryable(err)
	}
	data, err := json.Marshal(map[string]any{"integration": integrationRef(integ.ID, integ.Name, integ.Type)})
	return contract.EnabledIntegration{TeamID: integ.TeamID, Name: integ.Name, EventData: data}, err
}
