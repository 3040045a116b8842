package gateway

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/problem"
	"github.com/heraldhq/herald/internal/redact"
	"github.com/heraldhq/herald/internal/store"
)

const (
	defaultPageLimit = 50
	maxPageLimit     = 200
)

func pageLimit(c *fiber.Ctx) (int, error) {
	q := c.Query("limit")
	if q == "" {
		return defaultPageLimit, nil
	}
	n, err := strconv.Atoi(q)
	if err != nil || n < 1 || n > maxPageLimit {
		return 0, problem.BadRequest("limit must be a whole number from 1 to %d", maxPageLimit)
	}
	return n, nil
}

func newEventView(ev store.Event, ds []store.Delivery) api.EventView {
	v := api.EventView{ID: ev.ID, Event: ev.Type, ProjectID: ev.ProjectID, Data: ev.Data,
		WorkflowID: ev.WorkflowID, ReceivedAt: ev.ReceivedAt}
	if ds != nil {
		v.Deliveries = make([]api.DeliveryView, len(ds))
		for i, d := range ds {
			v.Deliveries[i] = newDeliveryView(d)
		}
	}
	return v
}

func newDeliveryView(d store.Delivery) api.DeliveryView {
	return api.DeliveryView{
		ID: d.ID, EventID: d.EventID, EventType: d.EventType, IntegrationID: d.IntegrationID, IntegrationName: d.IntegrationName,
		IntegrationType: d.IntegrationType, Status: d.Status, Reason: d.Reason, Attempts: d.AttemptCount,
		LastStatusCode: d.LastStatusCode, LastAttemptAt: d.LastAttemptAt, NextAttemptAt: d.NextAttemptAt,
		CreatedAt: d.CreatedAt, CompletedAt: d.CompletedAt, CarrierDeliveryID: d.CarrierDeliveryID,
		WaitingFor: d.WaitingFor, OutOfOrder: d.OutOfOrder,
	}
}

func newAttemptView(a store.Attempt) api.AttemptView {
	v := api.AttemptView{
		AttemptNo: a.AttemptNo, Trigger: a.Trigger, Outcome: a.Outcome, Reason: a.Reason, StartedAt: a.StartedAt,
		DurationMS: a.DurationMS, Error: a.Error, RetryAfterMS: a.RetryAfterMS,
		Request: api.RequestView{Method: a.RequestMethod, URL: redact.URL(a.RequestURL), Headers: a.RequestHeaders, Body: a.RequestBody},
	}
	if a.ResponseStatus != nil {
		v.Response = &api.ResponseView{Status: *a.ResponseStatus, Headers: a.ResponseHeaders,
			Body: a.ResponseBody, BodyTruncated: a.ResponseBodyTruncated}
	}
	return v
}
