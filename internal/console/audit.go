package console

import (
	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/door"
	"github.com/heraldhq/herald/internal/service"
)

// consoleAudit is the audit log's console page.
func (s *Console) consoleAudit(c *fiber.Ctx) error {
	p, err := s.svc.Audit(c.UserContext(), door.Actor(c), door.Query(c), service.DefaultPageLimit)
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
