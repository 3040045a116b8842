package gateway

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/channels"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/internal/eventtype"
	"github.com/heraldhq/herald/internal/problem"
	"github.com/heraldhq/herald/internal/store"
)

func (s *Server) getDelivery(c *fiber.Ctx) error {
	v, _, err := s.deliveryDetail(c, teamID(c), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(v)
}

// deliveryDetail is one of a team's deliveries with every attempt (API and console).
func (s *Server) deliveryDetail(c *fiber.Ctx, team, id string) (api.DeliveryView, store.Delivery, error) {
	d, err := s.store.GetDelivery(c.UserContext(), team, id)
	if errors.Is(err, store.ErrNotFound) {
		return api.DeliveryView{}, d, problem.NotFound("delivery", id)
	}
	if err != nil {
		return api.DeliveryView{}, d, err
	}
	atts, err := s.store.Attempts(c.UserContext(), d.ID)
	if err != nil {
		return api.DeliveryView{}, d, err
	}
	v := newDeliveryView(d)
	v.AttemptLog = make([]api.AttemptView, len(atts))
	for i, a := range atts {
		v.AttemptLog[i] = newAttemptView(a)
	}
	return v, d, nil
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
	p, err := s.deliveries(c.UserContext(), f)
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
		parsed, err := parseStatus(st)
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

// deliveries is the page of deliveries f selects, with the cursor of the next.
func (s *Server) deliveries(ctx context.Context, f store.DeliveryFilter) (api.Page[api.DeliveryView], error) {
	list, err := s.store.ListDeliveries(ctx, f)
	if err != nil {
		return api.Page[api.DeliveryView]{}, err
	}
	p := api.Page[api.DeliveryView]{Data: make([]api.DeliveryView, len(list))}
	for i, d := range list {
		p.Data[i] = newDeliveryView(d)
	}
	if len(list) == f.Limit {
		p.NextCursor = list[len(list)-1].ID
	}
	return p, nil
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
	p, err := s.deliveries(c.UserContext(), f)
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

var knownStatuses = []herald.DeliveryStatus{herald.DeliveryPending, herald.DeliveryRetrying,
	herald.DeliveryDelivered, herald.DeliveryFailed, herald.DeliverySkipped, herald.DeliveryGrouped}

func parseStatus(q string) (herald.DeliveryStatus, error) {
	st := herald.DeliveryStatus(q)
	if q != "" && !slices.Contains(knownStatuses, st) {
		return "", problem.BadRequest("status %q: want one of %v", q, knownStatuses)
	}
	return st, nil
}

// resendDelivery makes one manual attempt at a delivery now, by signal to its
// event's workflow (started again if it has closed).
func (s *Server) resendDelivery(c *fiber.Ctx) error {
	id := c.Params("id")
	wfID, err := s.resend(c, teamID(c), id)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(api.ResendAccepted{DeliveryID: id, WorkflowID: wfID})
}

// resend signals one manual attempt at one of a team's deliveries.
func (s *Server) resend(c *fiber.Ctx, team, id string) (string, error) {
	d, err := s.store.GetDelivery(c.UserContext(), team, id)
	if errors.Is(err, store.ErrNotFound) {
		return "", problem.NotFound("delivery", id)
	}
	if err != nil {
		return "", err
	}
	integ, err := s.store.GetIntegration(c.UserContext(), team, d.IntegrationID)
	if errors.Is(err, store.ErrNotFound) {
		return "", problem.Conflict("the integration of this delivery was deleted; there is nothing to resend to")
	}
	if err != nil {
		return "", err
	}
	if !integ.Enabled {
		return "", problem.Conflict("integration %q is disabled (%s); enable it before resending", integ.Name, integ.DisabledReason)
	}
	ev, err := s.store.GetEvent(c.UserContext(), team, d.EventID)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), startTimeout)
	defer cancel()
	wfID, err := contract.Resend(ctx, s.temporal, s.cfg.TaskQueue, ev.Input(), d.ID)
	if err != nil {
		s.log.Error("resend", "delivery", d.ID, "error", err)
		return "", problem.Unavailable("the resend could not be requested because the workflow service is unavailable")
	}
	s.recordAudit(c, store.Audit{TeamID: team, Action: store.AuditDeliveryResend, ObjectType: store.ObjectDelivery, ObjectID: d.ID,
		Summary: map[string]any{"integrationId": integ.ID, "eventId": ev.ID}})
	return wfID, nil
}

// bulkResend starts a BulkResendWorkflow over an integration's deliveries.
func (s *Server) bulkResend(c *fiber.Ctx) error {
	integ, err := s.pathIntegration(c)
	if err != nil {
		return err
	}
	team, id := integ.TeamID, integ.ID
	var req api.BulkResendRequest
	if err := decodeJSON(c.Body(), &req); err != nil {
		return err
	}
	if req.Status == "" {
		req.Status = string(herald.DeliveryFailed)
	}
	status, err := parseStatus(req.Status)
	if err != nil {
		return err
	}
	in := contract.BulkResendInput{TeamID: team, IntegrationID: id, Status: status, RatePerSecond: s.cfg.BulkResendRate}
	if req.Since != "" {
		if in.Since, err = time.Parse(time.RFC3339, req.Since); err != nil {
			return problem.Field("since", " must be an RFC 3339 time such as 2026-01-02T15:04:05Z")
		}
	}
	if !integ.Enabled {
		return problem.Conflict("integration %q is disabled (%s); enable it before resending", integ.Name, integ.DisabledReason)
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), startTimeout)
	defer cancel()
	resendID := store.NewID("rsnd")
	wfID, err := contract.StartBulkResend(ctx, s.temporal, s.cfg.TaskQueue, resendID, in)
	if err != nil {
		s.log.Error("bulk resend", "integration", id, "error", err)
		return problem.Unavailable("the resend could not be started because the workflow service is unavailable")
	}
	s.recordAudit(c, store.Audit{TeamID: team, Action: store.AuditBulkResend, ObjectType: store.ObjectIntegration, ObjectID: id,
		Summary: map[string]any{"resendId": resendID, "status": status, "since": req.Since}})
	return c.Status(fiber.StatusAccepted).JSON(api.BulkResendAccepted{ID: resendID, WorkflowID: wfID})
}

func (s *Server) bulkResendStatus(c *fiber.Ctx) error {
	id := c.Params("id")
	ctx, cancel := context.WithTimeout(c.UserContext(), startTimeout)
	defer cancel()
	p, err := contract.BulkResendStatus(ctx, s.temporal, teamID(c), id)
	if err != nil {
		return problem.NotFound("resend", id)
	}
	return c.JSON(p)
}

func (s *Server) cancelBulkResend(c *fiber.Ctx) error {
	id := c.Params("id")
	ctx, cancel := context.WithTimeout(c.UserContext(), startTimeout)
	defer cancel()
	if err := contract.CancelBulkResend(ctx, s.temporal, teamID(c), id); err != nil {
		return problem.NotFound("running resend", id)
	}
	s.recordAudit(c, store.Audit{TeamID: teamID(c), Action: store.AuditBulkResendCancel, ObjectType: store.ObjectBulkResend, ObjectID: id})
	return c.Status(fiber.StatusAccepted).JSON(api.BulkResendCancelled{ID: id, Cancelled: true})
}
