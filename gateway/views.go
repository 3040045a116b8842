package gateway

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald/internal/problem"
)

const (
	defaultPageLimit = 50
	maxPageLimit     = 200
)

func pageLimit(c *fiber.Ctx) (int, error) {
	q := c.Query("limit")
	if q == "" {
		return defaultPageLimit, nil
	}
	n, err := strconv.Atoi(q)
	if err != nil || n < 1 || n > maxPageLimit {
		return 0, problem.BadRequest("limit must be a whole number from 1 to %d", maxPageLimit)
	}
	return n, nil
}
