package gateway

import (
	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald/internal/door"
	"github.com/heraldhq/herald/internal/problem"
)

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
	p, err := s.svc.Audit(c.UserContext(), door.Actor(c), door.Query(c), limit)
	if err != nil {
		return err
	}
	return c.JSON(p)
}
