package gateway

import (
	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/door"
	"github.com/heraldhq/herald/internal/service"
)

func (s *Server) getDelivery(c *fiber.Ctx) error {
	v, _, err := s.svc.Delivery(c.UserContext(), door.Actor(c), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(v)
}

// listDeliveries is an integration's recent events: its deliveries newest first.
func (s *Server) listDeliveries(c *fiber.Ctx) error {
	limit, err := pageLimit(c)
	if err != nil {
		return err
	}
	_, p, _, err := s.svc.IntegrationDeliveries(c.UserContext(), door.Actor(c), c.Params("id"), limit, door.Query(c))
	if err != nil {
		return err
	}
	return c.JSON(p)
}

// listTeamDeliveries answers GET /v1/deliveries: the team's deliveries
// across integrations, newest first, by status (a list: failed,retrying),
// event type, integration, channel and time, in cursor pages.
func (s *Server) listTeamDeliveries(c *fiber.Ctx) error {
	limit, err := pageLimit(c)
	if err != nil {
		return err
	}
	f, err := service.DeliveryQuery(door.TeamID(c), c.Query("integration"), limit, door.Query(c))
	if err != nil {
		return err
	}
	p, err := s.svc.Deliveries(c.UserContext(), f)
	if err != nil {
		return err
	}
	return c.JSON(p)
}

// resendDelivery makes one manual attempt at a delivery now, by signal to its
// event's workflow (started again if it has closed).
func (s *Server) resendDelivery(c *fiber.Ctx) error {
	id := c.Params("id")
	wfID, err := s.svc.Resend(c.UserContext(), door.Actor(c), id)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(api.ResendAccepted{DeliveryID: id, WorkflowID: wfID})
}

// bulkResend starts a bulk resend over an integration's deliveries.
func (s *Server) bulkResend(c *fiber.Ctx) error {
	integ, err := s.pathIntegration(c)
	if err != nil {
		return err
	}
	var req api.BulkResendRequest
	if err := decodeJSON(c.Body(), &req); err != nil {
		return err
	}
	v, err := s.svc.BulkResend(c.UserContext(), door.Actor(c), integ, req)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(v)
}

func (s *Server) bulkResendStatus(c *fiber.Ctx) error {
	p, err := s.svc.BulkResendStatus(c.UserContext(), door.Actor(c), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(p)
}

func (s *Server) cancelBulkResend(c *fiber.Ctx) error {
	id := c.Params("id")
	if err := s.svc.CancelBulkResend(c.UserContext(), door.Actor(c), id); err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(api.BulkResendCancelled{ID: id, Cancelled: true})
}
