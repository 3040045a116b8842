package gateway

import (
	"bytes"

	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald/internal/alerts"
	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/door"
	"github.com/heraldhq/herald/internal/problem"
)

func policyView(p *alerts.Policy) api.AlertPolicyView {
	e := alerts.Merge(p, nil, alerts.GroupedByDefault)
	return api.AlertPolicyView{Patterns: e.Patterns, GroupBy: e.GroupBy, GroupWait: e.GroupWait.String(),
		RepeatInterval: e.RepeatInterval.String(), Disabled: e.Disabled, Custom: p != nil,
		WebhooksGrouped: !alerts.Merge(p, nil, alerts.PassedThroughByDefault).Disabled}
}

func (s *Server) getAlertPolicy(c *fiber.Ctx) error {
	p, err := s.store.TeamAlertPolicy(c.UserContext(), door.TeamID(c))
	if err != nil {
		return err
	}
	return c.JSON(policyView(p))
}

// putAlertPolicy replaces the team's alert policy; an empty body or null
// restores the defaults.
func (s *Server) putAlertPolicy(c *fiber.Ctx) error {
	var p *alerts.Policy
	if b := bytes.TrimSpace(c.Body()); len(b) > 0 && !bytes.Equal(b, []byte("null")) {
		p = &alerts.Policy{}
		if err := decodeJSON(c.Body(), p); err != nil {
			return err
		}
		if err := p.Validate(); err != nil {
			return problem.AtRoot(problem.BadRequest("%s", err))
		}
	}
	if err := s.store.SetTeamAlertPolicy(c.UserContext(), door.TeamID(c), p); err != nil {
		return err
	}
	return c.JSON(policyView(p))
}
