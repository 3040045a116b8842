package console

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/channels"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/internal/door"
	"github.com/heraldhq/herald/internal/eventtype"
	"github.com/heraldhq/herald/internal/problem"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/store"
)

// eventRow is an event in the console's lists.
type eventRow struct {
	store.EventSummary
	Outcome contract.EventStatus
}

func eventRows(evs []store.EventSummary) []eventRow {
	out := make([]eventRow, len(evs))
	for i, e := range evs {
		out[i] = eventRow{e, e.Status()}
	}
	return out
}

// consoleEvents lists the team's events, newest first, by type and project.
func (s *Console) consoleEvents(c *fiber.Ctx) error {
	f := store.EventFilter{TeamID: door.TeamID(c), Project: c.Query("project"), Before: c.Query("cursor"), Limit: service.DefaultPageLimit}
	if t := strings.TrimSpace(c.Query("type")); t != "" {
		var err error
		if f.Type, err = eventtype.Normalize(t); err != nil {
			return problem.BadRequest("event type: %s", err)
		}
	}
	evs, err := s.store.ListEvents(c.UserContext(), f)
	if err != nil {
		return err
	}
	next := ""
	if len(evs) == f.Limit {
		next = evs[len(evs)-1].ID
	}
	types, err := s.store.EventTypes(c.UserContext(), door.TeamID(c))
	if err != nil {
		return err
	}
	// Types of categories Herald does not know are delivered with the
	// generic layout: worth a look (a typo in a sender's code, a new kind).
	var unknown []string
	for _, t := range types {
		if !eventtype.Known(t) && !eventtype.HeraldsOwn(t) {
			unknown = append(unknown, t)
		}
	}
	return s.render(c, 200, "events", eventsPage{s.page(c, "Events"), eventRows(evs), f.Type, f.Project, next, unknown, ""})
}

// eventsPage is the events list, filtered or searched.
type eventsPage struct {
	consolePage
	Events        []eventRow
	Type, Project string
	Next          string
	Unknown       []string
	Query         string
}

// consoleSearch finds events by their id or an id in their data; one match
// opens its page.
func (s *Console) consoleSearch(c *fiber.Ctx) error {
	q := strings.TrimSpace(c.Query("q"))
	if q == "" || len(q) > 200 {
		return c.Redirect("/console/events", fiber.StatusSeeOther)
	}
	evs, err := s.store.SearchEvents(c.UserContext(), door.TeamID(c), q, service.DefaultPageLimit)
	if err != nil {
		return err
	}
	if len(evs) == 1 {
		return c.Redirect("/console/events/"+url.PathEscape(evs[0].ID), fiber.StatusSeeOther)
	}
	return s.render(c, 200, "events", eventsPage{consolePage: s.page(c, "Search: "+q), Events: eventRows(evs), Query: q})
}

// consoleEvent is one event: what it carried and what became of it at every
// integration.
func (s *Console) consoleEvent(c *fiber.Ctx) error {
	team, id := door.TeamID(c), c.Params("id")
	ev, err := s.store.GetEvent(c.UserContext(), team, id)
	if err != nil {
		return problem.OrNotFound(err, "event", id)
	}
	ds, err := s.store.EventDeliveries(c.UserContext(), team, id)
	if err != nil {
		return err
	}
	v := service.EventView(ev, ds)
	return s.render(c, 200, "event", struct {
		consolePage
		Event       api.EventView
		Data        string
		WorkflowURL string
		Runs        []eventRunRow
	}{s.page(c, "Event "+ev.ID), v, prettyBody(string(ev.Data)), s.workflowURL(ev.WorkflowID), s.eventRuns(c, ev.WorkflowID)})
}

// eventRunRow is one run of an event's workflow: the original, or one a
// resend started after it had closed.
type eventRunRow struct {
	RunID, Status, URL string
	Started            time.Time
	Resend             bool
}

// eventRuns lists the runs of an event's workflow, oldest first, from
// Temporal's visibility (none when it does not answer in time: the page
// stands without them).
func (s *Console) eventRuns(c *fiber.Ctx, workflowID string) []eventRunRow {
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
	defer cancel()
	resp, err := s.temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
		Query: fmt.Sprintf("WorkflowId = %q", workflowID), PageSize: 50})
	if err != nil {
		s.log.Warn("list the runs of an event", "workflow", workflowID, "error", err)
		return nil
	}
	var out []eventRunRow
	for _, e := range resp.Executions {
		run := e.GetExecution().GetRunId()
		out = append(out, eventRunRow{RunID: run, Status: strings.ToLower(strings.TrimPrefix(e.GetStatus().String(), "WORKFLOW_EXECUTION_STATUS_")),
			URL: s.workflowURL(workflowID) + "/" + url.PathEscape(run) + "/history", Started: e.GetStartTime().AsTime()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Started.Before(out[j].Started) })
	for i := range out {
		out[i].Resend = i > 0
	}
	return out
}

// failureWindows are the console's choices of how far back to look.
var failureWindows = []string{"1h", "24h", "7d", "30d"}

// consoleFailures lists the team's deliveries that failed or retry now,
// newest first, by integration, channel, event type and time.
func (s *Console) consoleFailures(c *fiber.Ctx) error {
	f := store.DeliveryFilter{TeamID: door.TeamID(c), IntegrationID: c.Query("integration"), Before: c.Query("cursor"), Limit: service.DefaultPageLimit,
		Statuses: []herald.DeliveryStatus{herald.DeliveryFailed, herald.DeliveryRetrying}}
	if st := c.Query("status"); st == string(herald.DeliveryFailed) || st == string(herald.DeliveryRetrying) {
		f.Statuses = []herald.DeliveryStatus{herald.DeliveryStatus(st)}
	}
	if ch := herald.IntegrationType(c.Query("channel")); ch != "" {
		f.Channel = ch
	}
	if t := strings.TrimSpace(c.Query("type")); t != "" {
		var err error
		if f.EventType, err = eventtype.Normalize(t); err != nil {
			return problem.BadRequest("event type: %s", err)
		}
	}
	window := c.Query("within", "24h")
	switch window {
	case "1h":
		f.Since = time.Now().Add(-time.Hour)
	case "24h":
		f.Since = time.Now().Add(-24 * time.Hour)
	case "7d":
		f.Since = time.Now().AddDate(0, 0, -7)
	case "30d":
		f.Since = time.Now().AddDate(0, 0, -30)
	default:
		window = "any"
	}
	p, err := s.svc.Deliveries(c.UserContext(), f)
	if err != nil {
		return err
	}
	integs, err := s.store.ListIntegrations(c.UserContext(), door.TeamID(c), "", service.MaxPageLimit)
	if err != nil {
		return err
	}
	return s.render(c, 200, "failures", struct {
		consolePage
		Deliveries                         []api.DeliveryView
		Integrations                       []store.Integration
		Channels                           []herald.IntegrationType
		Windows                            []string
		Integration, Channel, Type, Within string
		Status                             string
		Next                               string
	}{s.page(c, "Failures"), p.Data, integs, channels.Supported(), failureWindows, f.IntegrationID, string(f.Channel),
		f.EventType, window, c.Query("status"), p.NextCursor})
}
