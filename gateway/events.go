package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/catalog"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/internal/door"
	"github.com/heraldhq/herald/internal/eventtype"
	"github.com/heraldhq/herald/internal/problem"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/store"
)

// eventIDRE: event ids go into workflow ids and URLs, so keep them plain.
var eventIDRE = regexp.MustCompile(`^[A-Za-z0-9._:~-]{1,128}$`)

// postEvent validates an event and starts its workflow; the workflow records
// the event. Only an event the gateway queues (startEvent) is written to
// Postgres here.
func (s *Server) postEvent(c *fiber.Ctx) error {
	var req api.EventRequest
	if err := decodeJSON(c.Body(), &req); err != nil {
		return err
	}
	acc, err := s.ingestOne(c, c.UserContext(), req, c.Get("Idempotency-Key"), s.validationBudget())
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(acc)
}

// ingestOne is the one path of an event in, alone or in a batch: parsed,
// its data checked (spending budget, the request's), its workflow started
// or queued, and its 202 told true (matched, duplicate). base is the
// request's context; each event's start report hangs from it.
func (s *Server) ingestOne(c *fiber.Ctx, base context.Context, req api.EventRequest, idempotencyKey string, budget *catalog.Budget) (api.Accepted, error) {
	in, err := parseEvent(req, idempotencyKey)
	if err != nil {
		return api.Accepted{}, err
	}
	in.TeamID = door.TeamID(c)
	if err := s.checkData(base, in, budget); err != nil {
		return api.Accepted{}, err
	}
	ctx, report := contract.WithStartReport(base)
	c.SetUserContext(ctx)
	wfID, queued, err := s.startEvent(c, in)
	if err != nil {
		return api.Accepted{}, err
	}
	acc := api.Accepted{ID: in.EventID, WorkflowID: wfID, Queued: queued}
	s.tellTheTruth(c, in, report, &acc)
	return acc, nil
}

// MaxBatch is the most events one batch may carry.
const MaxBatch = 100

// postEventBatch accepts up to MaxBatch events in one request. Each is
// validated and started on its own; the answer says, per event, 202 or why not.
func (s *Server) postEventBatch(c *fiber.Ctx) error {
	var req api.EventBatchRequest
	if err := decodeJSON(c.Body(), &req); err != nil {
		return err
	}
	switch {
	case len(req.Events) == 0:
		return problem.Field("events", " must hold at least one event")
	case len(req.Events) > MaxBatch:
		return problem.New(fiber.StatusRequestEntityTooLarge, "a batch holds at most %d events; this one has %d", MaxBatch, len(req.Events))
	}
	results := make([]api.BatchResult, len(req.Events))
	base := c.UserContext()
	budget := s.validationBudget() // the request's, shared by its events
	defer c.SetUserContext(base)
	for i, ev := range req.Events {
		acc, err := s.ingestOne(c, base, ev, "", budget)
		if err == nil {
			results[i] = api.BatchResult{Accepted: acc, Status: fiber.StatusAccepted}
			continue
		}
		p, ok := err.(*api.Problem)
		if !ok {
			return err
		}
		results[i] = api.BatchResult{Status: p.Status, Problem: p}
		s.metrics.IngestError(ingestCause(p.Status, p))
	}
	return c.Status(fiber.StatusMultiStatus).JSON(api.Batch{Results: results})
}

// validationBudget is what one request may spend checking its events'
// data against their schemas.
func (s *Server) validationBudget() *catalog.Budget {
	return catalog.NewBudget(int64(s.cfg.ValidationBudget))
}

// parseEvent validates one event body; the team is the caller's to set.
func parseEvent(req api.EventRequest, idempotencyKey string) (contract.EventInput, error) {
	if req.Event == "" {
		return contract.EventInput{}, problem.Field("event", " is required: the event's type, such as build:start")
	}
	typ, err := eventtype.Normalize(req.Event)
	if err != nil {
		return contract.EventInput{}, problem.Field("event", ": %s", err)
	}
	id, err := eventID(req.ID, idempotencyKey)
	if err != nil {
		return contract.EventInput{}, err
	}
	data, project, err := eventData(req.Data)
	if err != nil {
		return contract.EventInput{}, err
	}
	return contract.EventInput{EventID: id, Type: typ, ProjectID: project, Data: data, ReceivedAt: time.Now().UTC()}, nil
}

// startEvent starts the event's workflow. Over the ingest limit, or when
// Temporal does not answer in time, it queues the event in the outbox for the
// dispatcher instead (queued); only an event it can do neither with gets 503.
func (s *Server) startEvent(c *fiber.Ctx, in contract.EventInput) (wfID string, queued bool, err error) {
	wfID = contract.EventWorkflowID(in.TeamID, in.EventID)
	release, ok := s.ingest.Admit()
	if !ok {
		return wfID, true, s.queueEvent(c, in)
	}
	wfID, failure, err := s.starter.StartAdmitted(c.UserContext(), release, in)
	if failure == contract.StartRefused {
		s.log.Warn("event refused by the workflow service", "workflow", wfID, "error", err)
		return wfID, false, problem.New(fiber.StatusBadRequest, "the event could not be started: %s", err)
	}
	if err != nil {
		s.log.Error("start event workflow", "workflow", wfID, "error", err)
		// The start may yet have happened: the dispatcher's start of the same
		// id then finds the workflow and is done.
		if s.queueEvent(c, in) != nil {
			return wfID, false, problem.Unavailable("the event could not be accepted because the workflow service is unavailable and it could not be queued; retry with the same id")
		}
		return wfID, true, nil
	}
	s.metrics.EventIngested(in.Type)
	s.log.Debug("event accepted", "event", in.EventID, "team", in.TeamID, "type", in.Type, "workflow", wfID)
	return wfID, false, nil
}

// queueEvent puts an event in the outbox, or says why it could not.
func (s *Server) queueEvent(c *fiber.Ctx, in contract.EventInput) error {
	if err := s.outbox.Enqueue(c.UserContext(), in); err != nil {
		s.metrics.EventShed()
		return err
	}
	s.metrics.EventQueued()
	s.metrics.EventIngested(in.Type)
	s.log.Debug("event queued", "event", in.EventID, "team", in.TeamID, "type", in.Type)
	return nil
}

// eventID picks the event id from the body or the Idempotency-Key header, or
// makes one.
func eventID(body *string, header string) (string, error) {
	var id string
	switch {
	case body != nil && header != "" && *body != header:
		return "", problem.At("id", problem.BadRequest("the body's \"id\" and the Idempotency-Key header differ; send one or make them equal"))
	case body != nil:
		id = *body
	case header != "":
		id = header
	default:
		return store.NewID("evt"), nil
	}
	if !eventIDRE.MatchString(id) {
		return "", problem.At("id", problem.BadRequest("event id %q must be 1 to 128 characters of letters, digits and . _ : ~ -", id))
	}
	return id, nil
}

// eventData checks that data is a JSON object (absent or null means {}),
// compacts it, and reads data.project.id for the project restriction.
func eventData(raw json.RawMessage) (json.RawMessage, string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return json.RawMessage("{}"), "", nil
	}
	if raw[0] != '{' {
		return nil, "", problem.Field("data", " must be a JSON object")
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, "", problem.Field("data", ": %s", err)
	}
	var probe struct {
		Project struct {
			ID any `json:"id"`
		} `json:"project"`
	}
	project := ""
	if err := json.Unmarshal(buf.Bytes(), &probe); err == nil {
		if s, ok := probe.Project.ID.(string); ok {
			project = s
		}
	}
	if project != "" {
		if err := service.CheckProjectID("data.project.id", project); err != nil {
			return nil, "", err
		}
	}
	return buf.Bytes(), project, nil
}

func (s *Server) getEvent(c *fiber.Ctx) error {
	team, id := door.TeamID(c), c.Params("id")
	ev, err := s.store.GetEvent(c.UserContext(), team, id)
	if errors.Is(err, store.ErrNotFound) {
		return s.acceptedEvent(c, team, id)
	}
	if err != nil {
		return err
	}
	ds, err := s.store.EventDeliveries(c.UserContext(), team, id)
	if err != nil {
		return err
	}
	return c.JSON(service.EventView(ev, ds))
}

// acceptedEvent answers for an event whose workflow has not recorded it yet.
func (s *Server) acceptedEvent(c *fiber.Ctx, team, id string) error {
	wfID := contract.EventWorkflowID(team, id)
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
	defer cancel()
	if _, err := s.temporal.DescribeWorkflow(ctx, wfID, ""); err != nil {
		if q, qerr := s.store.InOutbox(c.UserContext(), team, id); qerr == nil {
			if q.SetAsideAt != nil {
				// It could not be started: say so, with why, rather than "queued" forever.
				return c.JSON(api.QueuedEventView{ID: id, WorkflowID: wfID, Status: api.AcceptedFailed, Error: q.LastError, Deliveries: []string{}})
			}
			return c.JSON(api.QueuedEventView{ID: id, WorkflowID: wfID, Status: api.AcceptedQueued, Deliveries: []string{}})
		}
		return problem.NotFound("event", id)
	}
	return c.JSON(api.QueuedEventView{ID: id, WorkflowID: wfID, Status: api.AcceptedStarted, Deliveries: []string{}})
}

func (s *Server) listEvents(c *fiber.Ctx) error {
	limit, err := pageLimit(c)
	if err != nil {
		return err
	}
	f := store.EventFilter{TeamID: door.TeamID(c), Before: c.Query("cursor"), Limit: limit, Project: c.Query("project")}
	if t := c.Query("type"); t != "" {
		if f.Type, err = eventtype.Normalize(t); err != nil {
			return problem.BadRequest("query \"type\": %s", err)
		}
	}
	if f.Since, f.Until, err = service.TimeRange(door.Query(c)); err != nil {
		return err
	}
	evs, err := s.store.ListEvents(c.UserContext(), f)
	if err != nil {
		return err
	}
	views := make([]api.EventView, len(evs))
	for i, ev := range evs {
		views[i] = service.EventView(ev.Event, nil)
		views[i].Outcome = string(ev.Status())
		views[i].Counts = &api.EventCounts{Total: ev.Total, Delivered: ev.Delivered, Failed: ev.Failed, InProgress: ev.Open, Skipped: ev.Skipped}
	}
	next := ""
	if len(evs) == limit {
		next = evs[len(evs)-1].ID
	}
	return c.JSON(api.Page[api.EventView]{Data: views, NextCursor: next})
}
