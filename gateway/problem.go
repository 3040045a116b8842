package gateway

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/store"
)

// problemf builds a Problem with a formatted detail.
func problemf(status int, format string, args ...any) *api.Problem {
	return &api.Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: fmt.Sprintf(format, args...)}
}

func badRequest(format string, args ...any) *api.Problem {
	return problemf(fiber.StatusBadRequest, format, args...)
}

// fieldf is a 400 about one field of the request's body: its detail says
// `field "name"` and then rest, and its errors[].pointer points at it
// ("retry.maxAttempts" is /retry/maxAttempts).
func fieldf(field, rest string, args ...any) *api.Problem {
	detail := fmt.Sprintf("field %q", field) + fmt.Sprintf(rest, args...)
	p := badRequest("%s", detail)
	p.Errors = []api.ProblemError{{Pointer: fieldPointer(field), Detail: detail}}
	return p
}

// at points a problem at a field of the body, its words unchanged.
func at(field string, p *api.Problem) *api.Problem {
	p.Errors = []api.ProblemError{{Pointer: fieldPointer(field), Detail: p.Detail}}
	return p
}

// fieldPointer is the JSON pointer of a dotted field name.
func fieldPointer(field string) string {
	var b strings.Builder
	for _, tok := range strings.Split(field, ".") {
		b.WriteByte('/')
		b.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(tok))
	}
	return b.String()
}

func notFoundProblem(what, id string) *api.Problem {
	return problemf(fiber.StatusNotFound, "%s %q does not exist", what, id)
}

// orNotFound is err, with the store's ErrNotFound said as the 404 of what id.
func orNotFound(err error, what, id string) error {
	if errors.Is(err, store.ErrNotFound) {
		return notFoundProblem(what, id)
	}
	return err
}

// errorHandler renders every error as application/problem+json. Errors that are
// not Problems or fiber errors are internal: logged, never shown.
func (s *Server) errorHandler(c *fiber.Ctx, err error) error {
	var p *api.Problem
	var fe *fiber.Error
	switch {
	case errors.As(err, &p):
	case errors.As(err, &fe):
		p = problemf(fe.Code, "%s", fiberDetail(fe, s.cfg.EventBodyLimit))
	default:
		s.log.Error("request failed", "method", c.Method(), "path", c.Path(), "error", err)
		p = problemf(fiber.StatusInternalServerError, "the request could not be completed; the error has been logged")
	}
	p.Instance = c.OriginalURL()
	if p.RetryAfter > 0 {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(p.RetryAfter))
	}
	if strings.HasPrefix(c.Path(), "/console") {
		return s.consoleError(c, p)
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

// unavailable is a 503 that asks the client to retry shortly.
func unavailable(detail string) *api.Problem {
	p := problemf(fiber.StatusServiceUnavailable, "%s", detail)
	p.RetryAfter = 5
	return p
}

func conflict(format string, args ...any) *api.Problem {
	return problemf(fiber.StatusConflict, format, args...)
}

// overloaded is the 503 of an event over the ingest limit that could not be
// queued either (why says why).
func overloaded(limit int, why string) *api.Problem {
	p := problemf(fiber.StatusServiceUnavailable, "the gateway is starting as many events as it may (%d) and %s; retry with the same id after the delay in Retry-After", limit, why)
	p.RetryAfter = 1
	return p
}
