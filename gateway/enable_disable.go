package gateway

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/internal/store"
)

// workflowCallTimeout bounds a request that waits on a short workflow.
const workflowCallTimeout = 15 * time.Second

func (s *Server) enableIntegration(c *fiber.Ctx) error {
	in, err := s.pathIntegration(c)
	if err != nil {
		return err
	}
	out, err := s.enable(c, in)
	if err != nil {
		return err
	}
	return c.JSON(s.integrationView(out))
}

func (s *Server) disableIntegration(c *fiber.Ctx) error {
	var req api.DisableRequest
	if len(c.Body()) > 0 {
		if err := decodeJSON(c.Body(), &req); err != nil {
			return err
		}
	}
	if len(req.Reason) > 500 {
		return fieldf("reason", " is longer than 500 characters")
	}
	if req.Reason == "" {
		req.Reason = "disabled by hand"
	}
	in, err := s.pathIntegration(c)
	if err != nil {
		return err
	}
	out, err := s.disable(c, in, req.Reason)
	if err != nil {
		return err
	}
	return c.JSON(s.integrationView(out))
}

// enable enables an integration: fresh health, and its deliveries waiting on
// backoff are retried now.
func (s *Server) enable(c *fiber.Ctx, in store.Integration) (store.Integration, error) {
	ctx, cancel := context.WithTimeout(c.UserContext(), workflowCallTimeout)
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
func (s *Server) disable(c *fiber.Ctx, in store.Integration, reason string) (store.Integration, error) {
	ctx, cancel := context.WithTimeout(c.UserContext(), workflowCallTimeout)
	defer cancel()
	if _, err := contract.Disable(ctx, s.temporal, s.cfg.TaskQueue, contract.DisableInput{
		IntegrationID: in.ID, Reason: reason, By: apiKey(c).ID, Via: store.ActorOf(c.UserContext()).Via,
	}); err != nil {
		s.log.Error("disable integration", "integration", in.ID, "error", err)
		return in, unavailable("the integration could not be disabled because the workflow service is unavailable")
	}
	return s.store.GetIntegration(ctx, in.TeamID, in.ID)
}

// freshStart is what a new destination means (a URL change, a Slack
// reinstall): the old destination's failures are forgotten, an integration
// Herald disabled is enabled again (one disabled by a person stays off), and
// chat channels get the confirmation message, whose result the caller shows.
func (s *Server) freshStart(c *fiber.Ctx, in store.Integration) (store.Integration, *contract.TestResult, error) {
	var err error
	switch {
	case !in.Enabled && in.DisabledBy == contract.DisabledByHerald:
		if in, err = s.enable(c, in); err != nil {
			return in, nil, err
		}
	case in.Enabled:
		if in, err = s.store.ResetFailures(c.UserContext(), in.TeamID, in.ID); err != nil {
			return in, nil, err
		}
	}
	in, confirmation := s.confirm(c, in)
	return in, confirmation, nil
}
