package gateway

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/problem"
)

// errorHandler renders every error as application/problem+json. Errors that are
// not Problems or fiber errors are internal: logged, never shown.
func (s *Server) errorHandler(c *fiber.Ctx, err error) error {
	var p *api.Problem
	var fe *fiber.Error
	switch {
	case errors.As(err, &p):
	case errors.As(err, &fe):
		p = problem.New(fe.Code, "%s", fiberDetail(fe, s.cfg.EventBodyLimit))
	default:
		s.log.Error("request failed", "method", c.Method(), "path", c.Path(), "error", err)
		p = problem.New(fiber.StatusInternalServerError, "the request could not be completed; the error has been logged")
	}
	p.Instance = c.OriginalURL()
	if p.RetryAfter > 0 {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(p.RetryAfter))
	}
	if strings.HasPrefix(c.Path(), "/console") {
		return s.console.ErrorPage(c, p)
	}
	c.Status(p.Status)
	c.Set(fiber.HeaderContentType, "application/problem+json")
	return c.JSON(p, "application/problem+json")
}

func fiberDetail(fe *fiber.Error, bodyLimit int) string {
	switch fe.Code {
	case fiber.StatusRequestEntityTooLarge:
		return fmt.Sprintf("the request body is larger than the limit of %d bytes", bodyLimit)
	case fiber.StatusNotFound:
		return "no such route"
	case fiber.StatusMethodNotAllowed:
		return "this route does not take that method"
	}
	return fe.Message
}
