package service

import (
	"context"
	"time"

	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/channels"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/internal/expr"
	"github.com/heraldhq/herald/internal/outgoing"
	"github.com/heraldhq/herald/internal/problem"
	"github.com/heraldhq/herald/internal/redact"
	"github.com/heraldhq/herald/internal/store"
)

// previewDeliveryID stands for the delivery's id (webhook-id, the
// signature) in a preview: the real request carries its delivery's.
const previewDeliveryID = "dlv_preview"

// PreviewEvent is the event a preview renders: ev as the gateway parsed it,
// or, when eventID is set, the team's past event of that id.
func (s *Service) PreviewEvent(ctx context.Context, team, eventID string, ev contract.EventInput) (contract.EventInput, error) {
	if eventID == "" {
		return ev, nil
	}
	past, err := s.store.GetEvent(ctx, team, eventID)
	if err != nil {
		return ev, problem.OrNotFound(err, "event", eventID)
	}
	return contract.EventInput{EventID: past.ID, Type: past.Type, ProjectID: past.ProjectID, Data: past.Data, ReceivedAt: past.ReceivedAt}, nil
}

// Preview is the request integ would get for ev, and whether ev reaches it:
// made as an attempt makes it (outgoing.Complete, the channel's Render),
// sent nowhere, recorded nowhere. An OAuth token is not fetched (that is a
// request): the preview shows no Authorization header for it.
func (s *Service) Preview(integ store.Integration, ev contract.EventInput) (api.Preview, error) {
	ch, err := s.channels.For(integ.Type)
	if err != nil {
		return api.Preview{}, err
	}
	in := expr.Input{Event: ev.Type, Data: ev.Data, Project: ev.ProjectID}
	matched, reason := outgoing.Reaches(integ, in)
	m, err := outgoing.Complete(integ, channels.Message{DeliveryID: previewDeliveryID, EventID: ev.EventID,
		EventType: ev.Type, Data: ev.Data, ProjectID: ev.ProjectID}, time.Now())
	if err != nil {
		return api.Preview{}, err
	}
	req, err := ch.Render(m)
	switch {
	case err != nil && integ.Transform != "":
		// Rendering a webhook with a transform fails only in its transform.
		return api.Preview{}, problem.Field("transform", ": %s", err)
	case err != nil:
		return api.Preview{}, problem.BadRequest("the message does not render: %s", err)
	}
	return api.Preview{Matched: matched, Reason: reason, Request: api.RequestView{Method: req.Method, URL: redact.URL(req.URL),
		Headers: outgoing.Masked(req.Header, outgoing.SecretHeaders(ch, integ)), Body: string(req.Body)}}, nil
}

// PreviewUnsaved is Preview for settings not yet saved: a create body,
// checked as a create is (nothing is stored; a secret asked for is made for
// the preview alone).
func (s *Service) PreviewUnsaved(ctx context.Context, a Actor, req api.IntegrationRequest, ev contract.EventInput) (api.Preview, error) {
	integ, err := s.formIntegration(ctx, a, nil, req)
	if err != nil {
		return api.Preview{}, err
	}
	return s.Preview(integ, ev)
}

// latestLookback is how many of a team's newest events a form's preview
// looks through for one its integration subscribes to.
const latestLookback = 200

// FormPreview is what an integration form shows: the request its settings
// would make for the team's newest event they subscribe to (type and
// project; the filter's verdict is in the preview), or nil when none of the
// newest events is. saved is the integration being edited (nil: a create),
// req the form's settings.
func (s *Service) FormPreview(ctx context.Context, a Actor, saved *store.Integration, req api.IntegrationRequest) (*api.Preview, error) {
	integ, err := s.formIntegration(ctx, a, saved, req)
	if err != nil {
		return nil, err
	}
	events, err := s.store.ListEvents(ctx, store.EventFilter{TeamID: a.TeamID, Limit: latestLookback})
	if err != nil {
		return nil, err
	}
	probe := integ
	probe.Filter = ""
	for _, e := range events {
		if ok, _ := outgoing.Reaches(probe, expr.Input{Event: e.Type, Project: e.ProjectID}); !ok {
			continue
		}
		p, err := s.Preview(integ, contract.EventInput{EventID: e.ID, Type: e.Type, ProjectID: e.ProjectID, Data: e.Data})
		if err != nil {
			return nil, err
		}
		return &p, nil
	}
	return nil, nil
}

// formIntegration is the integration a form's settings describe: a create
// request checked as a create is, or the saved one with the form's
// patterns, projects and routing, checked as a change is.
func (s *Service) formIntegration(ctx context.Context, a Actor, saved *store.Integration, req api.IntegrationRequest) (store.Integration, error) {
	if saved == nil {
		integ, err := s.newIntegration(a.in(ctx), a, req)
		integ.ID = "int_preview"
		return integ, err
	}
	integ := *saved
	if err := checkRouting(&req, s.channels.TraitsOf(integ.Type)); err != nil {
		return integ, err
	}
	p := store.IntegrationPatch{Projects: req.Projects}
	if req.Events != nil {
		ev, err := NormalizePatterns(*req.Events)
		if err != nil {
			return integ, err
		}
		p.Events = &ev
	}
	routingOf(req, &p)
	p.ApplyTo(&integ)
	return integ, nil
}
