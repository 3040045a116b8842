package gateway

import (
	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/door"
)

// replay starts a replay of the team's past events to an integration.
func (s *Server) replay(c *fiber.Ctx) error {
	integ, err := s.pathIntegration(c)
	if err != nil {
		return err
	}
	var req api.ReplayRequest
	if err := decodeJSON(c.Body(), &req); err != nil {
		return err
	}
	v, err := s.svc.Replay(c.UserContext(), door.Actor(c), integ, req)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(v)
}

func (s *Server) replayState(c *fiber.Ctx) error {
	v, err := s.svc.ReplayState(c.UserContext(), door.Actor(c), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(v)
}

// cancelReplay stops a replay and answers where it stands.
func (s *Server) cancelReplay(c *fiber.Ctx) error {
	if err := s.svc.CancelReplay(c.UserContext(), door.Actor(c), c.Params("id")); err != nil {
		return err
	}
	v, err := s.svc.ReplayState(c.UserContext(), door.Actor(c), c.Params("id"))
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(v)
}
