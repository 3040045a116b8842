package console

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/internal/door"
	"github.com/heraldhq/herald/internal/problem"
	"github.com/heraldhq/herald/internal/store"
)

// attemptRow is an attempt as the delivery page shows it.
type attemptRow struct {
	api.AttemptView
	// Final: the last attempt of a delivery that will get no other (its
	// outcome may say "retry": the schedule ran out).
	Final bool
}

// awaitLimit bounds how long a page refreshes itself waiting for the
// attempt a resend asked for.
const awaitLimit = time.Minute

// consoleDelivery shows a delivery: its event, where it stands, and every
// attempt, newest first. After a resend (?awaiting=N&t=UNIX) the page
// refreshes itself until attempt N+1 lands, or a minute has passed.
func (s *Console) consoleDelivery(c *fiber.Ctx) error {
	team := door.TeamID(c)
	v, d, err := s.svc.Delivery(c.UserContext(), door.Actor(c), c.Params("id"))
	if err != nil {
		return err
	}
	integ, err := s.store.GetIntegration(c.UserContext(), team, d.IntegrationID)
	integrationGone := errors.Is(err, store.ErrNotFound)
	if err != nil && !integrationGone {
		return err
	}
	rows := make([]attemptRow, len(v.AttemptLog))
	for i, a := range v.AttemptLog {
		rows[len(rows)-1-i] = attemptRow{AttemptView: a, Final: i == len(v.AttemptLog)-1 && v.Status.Final()}
	}
	page := s.page(c, "Delivery "+d.ID)
	if n, err := strconv.Atoi(c.Query("awaiting")); err == nil && len(rows) <= n {
		started, _ := strconv.ParseInt(c.Query("t"), 10, 64)
		if time.Since(time.Unix(started, 0)) < awaitLimit {
			page.Refresh = true
		} else if page.Flash == "" {
			page.Flash = "The resend was requested; its attempt has not been recorded yet. Reload to look again."
		}
	}
	return s.render(c, 200, "delivery", struct {
		consolePage
		Delivery    api.DeliveryView
		Attempts    []attemptRow
		EventType   string
		WorkflowURL string
		// Disabled: resending needs the integration enabled first.
		Disabled, IntegrationGone bool
	}{page, v, rows, d.EventType, s.workflowURL(contract.EventWorkflowID(team, d.EventID)), !integrationGone && !integ.Enabled, integrationGone})
}

// workflowURL is a workflow's page in the Temporal Web UI.
func (s *Console) workflowURL(workflowID string) string {
	return strings.TrimRight(s.cfg.TemporalUIURL, "/") + "/namespaces/" + url.PathEscape(s.cfg.TemporalNamespace) +
		"/workflows/" + url.PathEscape(workflowID)
}

// consoleResend asks for one more attempt now (enabling the integration
// first when the form says so) and goes back to the delivery's page, which
// refreshes itself until the attempt lands.
func (s *Console) consoleResend(c *fiber.Ctx) error {
	id := c.Params("id")
	d, err := s.store.GetDelivery(c.UserContext(), door.TeamID(c), id)
	if err != nil {
		return problem.NotFound("delivery", id)
	}
	msg := "Resend requested: the new attempt appears below when it lands."
	if c.FormValue("enable") == "1" {
		in, err := s.store.GetIntegration(c.UserContext(), door.TeamID(c), d.IntegrationID)
		if err != nil {
			return problem.NotFound("integration", d.IntegrationID)
		}
		if !in.Enabled {
			if _, err := s.svc.Enable(c.UserContext(), door.Actor(c), in); err != nil {
				return err
			}
			msg = in.Name + " enabled, and the resend requested: the new attempt appears below when it lands."
		}
	}
	if _, err := s.svc.Resend(c.UserContext(), door.Actor(c), id); err != nil {
		return err
	}
	target := fmt.Sprintf("/console/deliveries/%s?awaiting=%d&t=%d", url.PathEscape(id), d.AttemptCount, time.Now().Unix())
	return s.redirectWithFlash(c, target, msg)
}

// prettyBody is a body as people read it: JSON indented, anything else as it is.
func prettyBody(body string) string {
	trimmed := strings.TrimSpace(body)
	if trimmed == "" || (trimmed[0] != '{' && trimmed[0] != '[') {
		return body
	}
	var b bytes.Buffer
	if err := json.Indent(&b, []byte(trimmed), "", "  "); err != nil {
		return body
	}
	return b.String()
}

// when is a time both ways: absolute (UTC) and relative.
func when(v any) string {
	t, ok := timeOf(v)
	if !ok {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC") + " (" + ago(t) + ")"
}

// attemptLabel names an attempt's outcome; the last attempt of a delivery
// that failed is the final one, whatever its answer would have allowed.
func attemptLabel(a attemptRow, status herald.DeliveryStatus) string {
	if !a.Final {
		return string(a.Outcome)
	}
	switch {
	case status == herald.DeliveryDelivered:
		return "final: delivered"
	case status != herald.DeliveryFailed:
		return "final: " + string(status)
	case slices.Contains([]herald.Outcome{herald.OutcomeRetry, herald.OutcomeThrottled}, a.Outcome):
		return "final: failed, no attempts left"
	case a.Outcome == herald.OutcomeGone:
		return "final: failed, the endpoint is gone"
	}
	return "final: failed, refused (not retried)"
}
