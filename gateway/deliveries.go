package gateway

import (
	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/store"
)

func (s *Server) getDelivery(c *fiber.Ctx) error {
	v, _, err := s.svc.Delivery(c.UserContext(), actor(c), c.Params("id"))
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
	_, p, _, err := s.deliveryPage(c, limit)
	if err != nil {
		return err
	}
	return c.JSON(p)
}

// deliveryPage reads :id and the delivery query: one page of an
// integration's deliveries, newest first (API and console).
func (s *Server) deliveryPage(c *fiber.Ctx, limit int) (store.Integration, api.Page[api.DeliveryView], store.DeliveryFilter, error) {
	in, err := s.pathIntegration(c)
	if err != nil {
		return in, api.Page[api.DeliveryView]{}, store.DeliveryFilter{}, err
	}
	f, err := service.DeliveryQuery(teamID(c), in.ID, limit, query(c))
	if err != nil {
		return in, api.Page[api.DeliveryView]{}, f, err
	}
	p, err := s.svc.Deliveries(c.UserContext(), f)
	return in, p, f, err
}

// listTeamDeliveries answers GET /v1/deliveries: the team's deliveries
// across integrations, newest first, by status (a list: failed,retrying),
// event type, integration, channel and time, in cursor pages.
func (s *Server) listTeamDeliveries(c *fiber.Ctx) error {
	limit, err := pageLimit(c)
	if err != nil {
		return err
	}
	f, err := service.DeliveryQuery(teamID(c), c.Query("integration"), limit, query(c))
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
	wfID, err := s.svc.Resend(c.UserContext(), actor(c), id)
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
	v, err := s.svc.BulkResend(c.UserContext(), actor(c), integ, req)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(v)
}

func (s *Server) bulkResendStatus(c *fiber.Ctx) error {
	p, err := s.svc.BulkResendStatus(c.UserContext(), actor(c), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(p)
}

func (s *Server) cancelBulkResend(c *fiber.Ctx) error {
	id := c.Params("id")
	if err := s.svc.CancelBulkResend(c.UserContext(), actor(c), id); err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(api.BulkResendCancelled{ID: id, Cancelled: true})
}
