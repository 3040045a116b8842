package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald/contract"
	"github.com/heraldhq/herald/eventtype"
	"github.com/heraldhq/herald/store"
)

// eventIDRE: event ids go into workflow ids and URLs, so keep them plain.
var eventIDRE = regexp.MustCompile(`^[A-Za-z0-9._:~-]{1,128}$`)

type eventRequest struct {
	ID    *string         `json:"id"`
	Event string          `json:"event"`
	Data  json.RawMessage `json:"data"`
}

// startTimeout bounds the call to Temporal on the ingest path.
const startTimeout = 5 * time.Second

// postEvent validates an event and starts its workflow. It writes nothing to
// Postgres: the workflow records the event.
func (s *Server) postEvent(c *fiber.Ctx) error {
	var req eventRequest
	if err := decodeJSON(c.Body(), &req); err != nil {
		return err
	}
	typ, err := eventtype.Normalize(req.Event)
	if err != nil {
		return badRequest("field \"event\": %s", err)
	}
	id, err := eventID(req.ID, c.Get("Idempotency-Key"))
	if err != nil {
		return err
	}
	data, project, err := eventData(req.Data)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), startTimeout)
	defer cancel()
	wfID, err := contract.StartEvent(ctx, s.temporal, s.cfg.TaskQueue, contract.EventInput{
		TeamID:     teamID(c),
		EventID:    id,
		Type:       typ,
		ProjectID:  project,
		Data:       data,
		ReceivedAt: time.Now().UTC(),
	})
	if err != nil {
		s.log.Error("start event workflow", "workflow", wfID, "error", err)
		return unavailable("the event could not be accepted because the workflow service is unavailable; retry with the same id")
	}
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"id": id, "workflowId": wfID})
}

// eventID picks the event id from the body or the Idempotency-Key header, or
// makes one.
func eventID(body *string, header string) (string, error) {
	var id string
	switch {
	case body != nil && header != "" && *body != header:
		return "", badRequest("the body's \"id\" and the Idempotency-Key header differ; send one or make them equal")
	case body != nil:
		id = *body
	case header != "":
		id = header
	default:
		return store.NewID("evt"), nil
	}
	if !eventIDRE.MatchString(id) {
		return "", badRequest("event id %q must be 1 to 128 characters of letters, digits and . _ : ~ -", id)
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
		return nil, "", badRequest("field \"data\" must be a JSON object")
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, "", badRequest("field \"data\": %s", err)
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
	return buf.Bytes(), project, nil
}

func (s *Server) getEvent(c *fiber.Ctx) error {
	team, id := teamID(c), c.Params("id")
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
	return c.JSON(newEventView(ev, ds))
}

// acceptedEvent answers for an event whose workflow has not recorded it yet.
func (s *Server) acceptedEvent(c *fiber.Ctx, team, id string) error {
	wfID := contract.EventWorkflowID(team, id)
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
	defer cancel()
	if _, err := s.temporal.DescribeWorkflow(ctx, wfID, ""); err != nil {
		return notFoundProblem("event", id)
	}
	return c.JSON(fiber.Map{"id": id, "workflowId": wfID, "status": "accepted", "deliveries": []any{}})
}

func (s *Server) listEvents(c *fiber.Ctx) error {
	limit, err := pageLimit(c)
	if err != nil {
		return err
	}
	evs, err := s.store.ListEvents(c.UserContext(), teamID(c), c.Query("cursor"), limit)
	if err != nil {
		return err
	}
	views := make([]EventView, len(evs))
	for i, ev := range evs {
		views[i] = newEventView(ev, nil)
	}
	next := ""
	if len(evs) == limit {
		next = evs[len(evs)-1].ID
	}
	return c.JSON(Page[EventView]{Data: views, NextCursor: next})
}
