package service

// An integration's life after its creation: enabled, disabled, tested,
// confirmed, given a new secret.

import (
	"context"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/channels"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/internal/problem"
	"github.com/heraldhq/herald/internal/store"
)

// enable enables an integration: fresh health, and its deliveries waiting on
// backoff are retried now.
func (s *Service) Enable(ctx context.Context, a Actor, in store.Integration) (store.Integration, error) {
	ctx = a.in(ctx)
	ctx, cancel := context.WithTimeout(ctx, workflowCallTimeout)
	defer cancel()
	out, err := s.store.EnableIntegration(ctx, in.TeamID, in.ID)
	if err != nil {
		return out, err
	}
	if err := contract.StartRecovery(ctx, s.temporal, s.cfg.TaskQueue, contract.RecoveryInput{IntegrationID: in.ID}); err != nil {
		// Enabled all the same; waiting deliveries keep their schedule.
		s.log.Warn("start recovery after enable", "integration", in.ID, "error", err)
	}
	return out, nil
}

// disable disables an integration through DisableWorkflow, which emits
// integration:disabled.
func (s *Service) Disable(ctx context.Context, a Actor, in store.Integration, reason string) (store.Integration, error) {
	ctx = a.in(ctx)
	ctx, cancel := context.WithTimeout(ctx, workflowCallTimeout)
	defer cancel()
	if _, err := contract.Disable(ctx, s.temporal, s.cfg.TaskQueue, contract.DisableInput{
		IntegrationID: in.ID, Reason: reason, By: a.ID, Via: a.Via,
	}); err != nil {
		s.log.Error("disable integration", "integration", in.ID, "error", err)
		return in, problem.Unavailable("the integration could not be disabled because the workflow service is unavailable")
	}
	return s.store.GetIntegration(ctx, in.TeamID, in.ID)
}

// freshStart is what a new destination means (a URL change, a Slack
// reinstall): the old destination's failures are forgotten, an integration
// Herald disabled is enabled again (one disabled by a person stays off), and
// chat channels get the confirmation message, whose result the caller shows.
func (s *Service) FreshStart(ctx context.Context, a Actor, in store.Integration) (store.Integration, *contract.TestResult, error) {
	ctx = a.in(ctx)
	var err error
	switch {
	case !in.Enabled && in.DisabledBy == contract.DisabledByHerald:
		if in, err = s.Enable(ctx, a, in); err != nil {
			return in, nil, err
		}
	case in.Enabled:
		if in, err = s.store.ResetFailures(ctx, in.TeamID, in.ID); err != nil {
			return in, nil, err
		}
	}
	in, confirmation := s.Confirm(ctx, a, in)
	return in, confirmation, nil
}

// confirm sends an integration its welcome message (the seed does so for
// Discord; Herald for every channel that confirms) and says whether it
// arrived, with the integration as it stands after: a failed confirmation
// is a failed request, which makes it failing.
func (s *Service) Confirm(ctx context.Context, a Actor, in store.Integration) (store.Integration, *contract.TestResult) {
	ctx = a.in(ctx)
	if !s.channels.TraitsOf(in.Type).Confirms || !in.Enabled {
		return in, nil
	}
	res, err := s.runTest(ctx, contract.TestInput{IntegrationID: in.ID, Confirmation: true})
	if err != nil {
		s.log.Warn("confirmation message", "integration", in.ID, "error", err)
		return in, &contract.TestResult{Outcome: herald.OutcomeRetry, Reason: "the confirmation could not be sent: the workflow service is unavailable"}
	}
	if !res.Delivered {
		if now, err := s.store.GetIntegration(ctx, in.TeamID, in.ID); err == nil {
			in = now
		}
	}
	return in, &res
}

func (s *Service) runTest(ctx context.Context, in contract.TestInput) (contract.TestResult, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.AttemptTimeout+workflowCallTimeout)
	defer cancel()
	return contract.Test(ctx, s.temporal, s.cfg.TaskQueue, store.NewID("test"), in)
}

// sendTest sends an integration a test notification now (API and console)
// and records that it was asked for.
func (s *Service) TestIntegration(ctx context.Context, a Actor, in store.Integration) (contract.TestResult, error) {
	ctx = a.in(ctx)
	res, err := s.runTest(ctx, contract.TestInput{IntegrationID: in.ID})
	if err != nil {
		s.log.Error("test integration", "integration", in.ID, "error", err)
		return res, problem.Unavailable("the test could not be sent because the workflow service is unavailable")
	}
	s.RecordAudit(ctx, store.Audit{TeamID: in.TeamID, Action: store.AuditIntegrationTest, ObjectType: store.ObjectIntegration, ObjectID: in.ID,
		Summary: map[string]any{"outcome": res.Outcome, "delivered": res.Delivered}})
	return res, nil
}

// rotate gives in a new key of the scheme asked for (nil: the one in use);
// the old one signs beside it for the grace period.
func (s *Service) RotateSecret(ctx context.Context, a Actor, in store.Integration, scheme *string) (store.Integration, error) {
	ctx = a.in(ctx)
	if !s.channels.TraitsOf(in.Type).Signed {
		return in, problem.BadRequest("only webhook integrations have secrets; %s integrations are authenticated by their URL", in.Type)
	}
	signing, err := s.requestedSigning(&api.IntegrationRequest{Signing: scheme}, in.Type, in.Secret)
	if err != nil {
		return in, err
	}
	sec, err := channels.GenerateSecretFor(signing)
	if err != nil {
		return in, err
	}
	return s.store.RotateSecret(ctx, in.TeamID, in.ID, sec, s.cfg.SecretRotationGrace)
}
