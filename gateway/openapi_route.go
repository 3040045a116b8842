package gateway

import (
	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald/internal/openapi"
)

func (s *Server) openAPIDocument(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	c.Set(fiber.HeaderCacheControl, "public, max-age=300")
	return c.Send(openapi.Served)
}
