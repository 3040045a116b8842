package gateway

import (
	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/problem"
	"github.com/heraldhq/herald/internal/store"
)

// recordAudit records a change that is not a row of Herald's (a resend, a
// test), once it was made. The change stands if the entry cannot be
// written; the failure is logged for the operator.
func (s *Server) recordAudit(c *fiber.Ctx, a store.Audit) {
	if err := s.store.RecordAudit(c.UserContext(), a); err != nil {
		s.log.Error("audit", "action", a.Action, "object", a.ObjectID, "error", err)
	}
}

// listAudit answers GET /v1/audit: the team's entries, newest first,
// filtered by object, actor and action, in cursor pages.
func (s *Server) listAudit(c *fiber.Ctx) error {
	limit, err := pageLimit(c)
	if err != nil {
		return err
	}
	for _, q := range []string{"object", "actor", "action", "cursor"} {
		if v := c.Query(q); len(v) > 200 {
			return problem.BadRequest("query parameter %q is longer than 200 characters", q)
		}
	}
	p, err := s.auditPage(c, limit)
	if err != nil {
		return err
	}
	return c.JSON(p)
}

// auditPage is the page of the team's audit log the query asks for
// (object, actor, action, cursor).
func (s *Server) auditPage(c *fiber.Ctx, limit int) (api.Page[api.AuditView], error) {
	entries, err := s.store.ListAudit(c.UserContext(), store.AuditFilter{TeamID: teamID(c), ObjectID: c.Query("object"),
		ActorID: c.Query("actor"), Action: c.Query("action"), Before: c.Query("cursor"), Limit: limit})
	if err != nil {
		return api.Page[api.AuditView]{}, err
	}
	p := api.Page[api.AuditView]{Data: make([]api.AuditView, len(entries))}
	for i, e := range entries {
		p.Data[i] = auditView(e)
	}
	if len(entries) == limit {
		p.NextCursor = entries[len(entries)-1].ID
	}
	return p, nil
}

func auditView(e store.AuditEntry) api.AuditView {
	var v api.AuditView
	v.ID, v.At, v.Action, v.Summary = e.ID, e.CreatedAt, string(e.Action), e.Summary
	v.Object.Type, v.Object.ID = string(e.ObjectType), e.ObjectID
	v.Actor.Kind, v.Actor.ID, v.Actor.Name, v.Actor.Via = string(e.ActorKind), e.ActorID, e.ActorName, e.Via
	return v
}

// consoleAudit is the audit log's console page.
func (s *Server) consoleAudit(c *fiber.Ctx) error {
	p, err := s.auditPage(c, defaultPageLimit)
	if err != nil {
		return err
	}
	return s.render(c, 200, "audit", struct {
		consolePage
		Entries               []api.AuditView
		Object, Actor, Action string
		Next                  string
	}{s.page(c, "Audit log"), p.Data, c.Query("object"), c.Query("actor"), c.Query("action"), p.NextCursor})
}
