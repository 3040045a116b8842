package gateway

import (
	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/door"
)

func (s *Server) createTeam(c *fiber.Ctx) error {
	var req api.TeamRequest
	if err := decodeJSON(c.Body(), &req); err != nil {
		return err
	}
	v, err := s.svc.CreateTeam(c.UserContext(), door.Actor(c), req.Name)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(v)
}

func (s *Server) listTeams(c *fiber.Ctx) error {
	views, err := s.svc.ListTeams(c.UserContext(), door.Actor(c))
	if err != nil {
		return err
	}
	return c.JSON(api.Page[api.TeamView]{Data: views})
}

func (s *Server) createKey(c *fiber.Ctx) error {
	var req api.KeyRequest
	if err := decodeJSON(c.Body(), &req); err != nil {
		return err
	}
	v, err := s.svc.CreateKey(c.UserContext(), door.Actor(c), req)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(v)
}

func (s *Server) listKeys(c *fiber.Ctx) error {
	views, err := s.svc.ListKeys(c.UserContext(), door.Actor(c), c.Query("teamId"))
	if err != nil {
		return err
	}
	return c.JSON(api.Page[api.KeyView]{Data: views})
}

func (s *Server) revokeKey(c *fiber.Ctx) error {
	v, err := s.svc.RevokeKey(c.UserContext(), door.Actor(c), c.Params("id"))
	if err != nil {
		return err
	}
	s.keys.evict(v.ID)
	return c.JSON(v)
}
