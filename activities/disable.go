package activities

import (
	"context"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/contract"
)

// DisabledIntegration is what DisableIntegration did, without secrets.
type DisabledIntegration struct {
	Changed     bool
	TeamID      string
	Name        string
	Type        herald.IntegrationType
	DisabledAt  time.Time
	AutoRecover bool
}

// DisableIntegration turns an integration off (once: a second call changes nothing).
func (a *Activities) DisableIntegration(ctx context.Context, in contract.DisableInput) (DisabledIntegration, error) {
	integ, changed, err := a.Store.DisableIntegration(ctx, in.IntegrationID, in.Reason, in.By)
	if err != nil {
		return DisabledIntegration{}, nonRetryable(err)
	}
	out := DisabledIntegration{Changed: changed, TeamID: integ.TeamID, Name: integ.Name, Type: integ.Type,
		AutoRecover: integ.AutoRecover}
	if integ.DisabledAt != nil {
		out.DisabledAt = *integ.DisabledAt
	}
	return out, nil
}

// EnabledIntegration is what EnableIntegration did, without secrets.
type EnabledIntegration struct {
	TeamID string
	Name   string
	Type   herald.IntegrationType
}

// EnableIntegration turns an integration back on with fresh health.
func (a *Activities) EnableIntegration(ctx context.Context, integrationID string) (EnabledIntegration, error) {
	integ, err := a.Store.EnableIntegration(ctx, "", integrationID)
	if err != nil {
		return EnabledIntegration{}, nonRetryable(err)
	}
	return EnabledIntegration{TeamID: integ.TeamID, Name: integ.Name, Type: integ.Type}, nil
}
