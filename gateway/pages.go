package gateway

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald/internal/problem"
	"github.com/heraldhq/herald/internal/service"
)

// pageLimit is the page size a list's ?limit asks for (service.DefaultPageLimit
// without one).
func pageLimit(c *fiber.Ctx) (int, error) {
	q := c.Query("limit")
	if q == "" {
		return service.DefaultPageLimit, nil
	}
	n, err := strconv.Atoi(q)
	if err != nil || n < 1 || n > service.MaxPageLimit {
		return 0, problem.BadRequest("limit must be a whole number from 1 to %d", service.MaxPageLimit)
	}
	return n, nil
}
