package gateway

import (
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/channels"
	"github.com/heraldhq/herald/internal/eventtype"
	"github.com/heraldhq/herald/internal/problem"
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
	f, err := deliveryQuery(c, in.ID, limit)
	if err != nil {
		return in, api.Page[api.DeliveryView]{}, f, err
	}
	p, err := s.svc.Deliveries(c.UserContext(), f)
	return in, p, f, err
}

// deliveryQuery is the filter a delivery list's query asks for, of the
// caller's team (and of integration, when not ""): ?status (a list such as
// failed,retrying), ?event, ?channel, ?since, ?until and ?cursor.
func deliveryQuery(c *fiber.Ctx, integration string, limit int) (store.DeliveryFilter, error) {
	f := store.DeliveryFilter{TeamID: teamID(c), IntegrationID: integration, Before: c.Query("cursor"), Limit: limit}
	for _, st := range strings.Split(c.Query("status"), ",") {
		if st = strings.TrimSpace(st); st == "" {
			continue
		}
		parsed, err := service.ParseStatus(st)
		if err != nil {
			return f, err
		}
		f.Statuses = append(f.Statuses, parsed)
	}
	if ch := c.Query("channel"); ch != "" {
		if !slices.Contains(channels.Supported(), herald.IntegrationType(ch)) {
			return f, problem.BadRequest("channel %q: want one of %v", ch, channels.Supported())
		}
		f.Channel = herald.IntegrationType(ch)
	}
	if t := strings.TrimSpace(c.Query("event")); t != "" {
		var err error
		if f.EventType, err = eventtype.Normalize(t); err != nil {
			return f, problem.BadRequest("query \"event\": %s", err)
		}
	}
	var err error
	f.Since, f.Until, err = timeRange(c)
	return f, err
}

// listTeamDeliveries answers GET /v1/deliveries: the team's deliveries
// across integrations, newest first, by status (a list: failed,retrying),
// event type, integration, channel and time, in cursor pages.
func (s *Server) listTeamDeliveries(c *fiber.Ctx) error {
	limit, err := pageLimit(c)
	if err != nil {
		return err
	}
	f, err := deliveryQuery(c, c.Query("integration"), limit)
	if err != nil {
		return err
	}
	p, err := s.svc.Deliveries(c.UserContext(), f)
	if err != nil {
		return err
	}
	return c.JSON(p)
}

// timeRange reads ?since and ?until (RFC 3339).
func timeRange(c *fiber.Ctx) (since, until time.Time, err error) {
	for _, q := range []struct {
		name string
		into *time.Time
	}{{"since", &since}, {"until", &until}} {
		if v := c.Query(q.name); v != "" {
			if *q.into, err = time.Parse(time.RFC3339, v); err != nil {
				return since, until, problem.BadRequest("query %q must be an RFC 3339 time such as 2026-01-02T15:04:05Z", q.name)
			}
		}
	}
	return since, until, nil
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
