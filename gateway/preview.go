package gateway

import (
	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/internal/door"
	"github.com/heraldhq/herald/internal/problem"
)

// previewIntegration answers POST /v1/integrations/{id}/preview: the request
// the integration would get for an event, sent nowhere.
func (s *Server) previewIntegration(c *fiber.Ctx) error {
	in, err := s.pathIntegration(c)
	if err != nil {
		return err
	}
	req, ev, err := s.previewBody(c)
	if err != nil {
		return err
	}
	if req.Integration != nil {
		return problem.Field("integration", " is for POST /v1/integrations/preview; this integration's settings are saved")
	}
	p, err := s.svc.Preview(in, ev)
	if err != nil {
		return err
	}
	return c.JSON(p)
}

// previewSettings answers POST /v1/integrations/preview: the same for
// settings not saved yet.
func (s *Server) previewSettings(c *fiber.Ctx) error {
	req, ev, err := s.previewBody(c)
	if err != nil {
		return err
	}
	if req.Integration == nil {
		return problem.Field("integration", " is required: the settings to preview, as a create body")
	}
	p, err := s.svc.PreviewUnsaved(c.UserContext(), door.Actor(c), *req.Integration, ev)
	if err != nil {
		return err
	}
	return c.JSON(p)
}

// previewBody reads a preview's body and its event: given (checked as an
// event sent to POST /v1/events is) or a past one by id.
func (s *Server) previewBody(c *fiber.Ctx) (api.PreviewRequest, contract.EventInput, error) {
	var req api.PreviewRequest
	if err := decodeJSON(c.Body(), &req); err != nil {
		return req, contract.EventInput{}, err
	}
	if req.EventID != "" {
		if req.Event != "" || len(req.Data) > 0 {
			return req, contract.EventInput{}, problem.Field("eventId", " names a past event: send it or event and data, not both")
		}
		ev, err := s.svc.PreviewEvent(c.UserContext(), door.TeamID(c), req.EventID, contract.EventInput{})
		return req, ev, err
	}
	ev, err := parseEvent(api.EventRequest{Event: req.Event, Data: req.Data}, "preview")
	return req, ev, err
}
