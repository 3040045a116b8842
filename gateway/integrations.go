package gateway

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/door"
	"github.com/heraldhq/herald/internal/problem"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/store"
)

func (s *Server) createIntegration(c *fiber.Ctx) error {
	var req api.IntegrationRequest
	if err := decodeJSON(c.Body(), &req); err != nil {
		return err
	}
	v, err := s.svc.CreateIntegration(c.UserContext(), door.Actor(c), req)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(v)
}

func (s *Server) listIntegrations(c *fiber.Ctx) error {
	limit, err := pageLimit(c)
	if err != nil {
		return err
	}
	list, err := s.store.ListIntegrations(c.UserContext(), door.TeamID(c), c.Query("cursor"), limit)
	if err != nil {
		return err
	}
	views := make([]api.IntegrationView, len(list))
	for i, in := range list {
		views[i] = s.svc.IntegrationView(in)
	}
	next := ""
	if len(list) == limit {
		next = list[len(list)-1].ID
	}
	return c.JSON(api.Page[api.IntegrationView]{Data: views, NextCursor: next})
}

func (s *Server) getIntegration(c *fiber.Ctx) error {
	in, err := s.pathIntegration(c)
	if err != nil {
		return err
	}
	return c.JSON(s.svc.IntegrationView(in))
}

func (s *Server) updateIntegration(c *fiber.Ctx) error {
	var req api.IntegrationRequest
	if err := decodeJSON(c.Body(), &req); err != nil {
		return err
	}
	v, err := s.svc.ChangeIntegration(c.UserContext(), door.Actor(c), c.Params("id"), req)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

// rotateSecret gives a webhook integration a new secret; the old one keeps
// signing (a second webhook-signature) for the grace period, so receivers
// can switch without missing a request.
func (s *Server) rotateSecret(c *fiber.Ctx) error {
	in, err := s.pathIntegration(c)
	if err != nil {
		return err
	}
	// The body may name the scheme of the new key ({"signing": "ed25519"}):
	// old and new both sign during the grace, so receivers can switch.
	var body api.IntegrationRequest
	if len(c.Body()) > 0 {
		if err := decodeJSON(c.Body(), &body); err != nil {
			return err
		}
	}
	out, err := s.svc.RotateSecret(c.UserContext(), door.Actor(c), in, body.Signing)
	if err != nil {
		return err
	}
	v := s.svc.IntegrationView(out)
	v.Secret = service.ShownSecret(out.Secret)
	resp := api.RotatedSecret{Integration: v, PreviousSecretExpiresAt: out.PreviousSecretExpiresAt}
	if v.Secret != "" {
		resp.Secret = v.Secret
	} else {
		resp.PublicKey = v.PublicKey
	}
	return c.JSON(resp)
}

func (s *Server) deleteIntegration(c *fiber.Ctx) error {
	id := c.Params("id")
	err := s.store.DeleteIntegration(c.UserContext(), door.TeamID(c), id)
	if errors.Is(err, store.ErrNotFound) {
		return problem.NotFound("integration", id)
	}
	if err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// testIntegration sends a test notification now and reports the outcome.
func (s *Server) testIntegration(c *fiber.Ctx) error {
	in, err := s.pathIntegration(c)
	if err != nil {
		return err
	}
	res, err := s.svc.TestIntegration(c.UserContext(), door.Actor(c), in)
	if err != nil {
		return err
	}
	return c.JSON(res)
}

// pathIntegration is the caller's team's integration named by :id (404 when
// the team has none by that id).
func (s *Server) pathIntegration(c *fiber.Ctx) (store.Integration, error) {
	return s.svc.Integration(c.UserContext(), door.Actor(c), c.Params("id"))
}

func (s *Server) enableIntegration(c *fiber.Ctx) error {
	in, err := s.pathIntegration(c)
	if err != nil {
		return err
	}
	out, err := s.svc.Enable(c.UserContext(), door.Actor(c), in)
	if err != nil {
		return err
	}
	return c.JSON(s.svc.IntegrationView(out))
}

func (s *Server) disableIntegration(c *fiber.Ctx) error {
	var req api.DisableRequest
	if len(c.Body()) > 0 {
		if err := decodeJSON(c.Body(), &req); err != nil {
			return err
		}
	}
	if len(req.Reason) > 500 {
		return problem.Field("reason", " is longer than 500 characters")
	}
	if req.Reason == "" {
		req.Reason = "disabled by hand"
	}
	in, err := s.pathIntegration(c)
	if err != nil {
		return err
	}
	out, err := s.svc.Disable(c.UserContext(), door.Actor(c), in, req.Reason)
	if err != nil {
		return err
	}
	return c.JSON(s.svc.IntegrationView(out))
}

// integrationStats answers GET /v1/integrations/{id}/stats?window=24h|7d.
func (s *Server) integrationStats(c *fiber.Ctx) error {
	in, err := s.pathIntegration(c)
	if err != nil {
		return err
	}
	st, err := s.svc.Stats(c.UserContext(), in, c.Query("window"))
	if err != nil {
		return err
	}
	return c.JSON(st)
}
