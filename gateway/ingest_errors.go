package gateway

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/metrics"
)

// countIngestErrors counts every refused event by cause
// (herald_ingest_errors_total): the key, the body, the limits. The events
// a batch refuses one by one are counted where it refuses them.
func (s *Server) countIngestErrors(c *fiber.Ctx) error {
	if c.Method() != fiber.MethodPost { // GET /v1/events lists; it ingests nothing
		return c.Next()
	}
	err := c.Next()
	if status := answeredStatus(c, err); status >= 400 {
		var p *api.Problem
		errors.As(err, &p)
		s.metrics.IngestError(ingestCause(status, p))
	}
	return err
}

// ingestCause names why an event was refused from the answer's status.
func ingestCause(status int, p *api.Problem) metrics.IngestCause {
	switch {
	case status == fiber.StatusBadRequest && p != nil && p.SchemaMismatch:
		return metrics.IngestSchema
	case status == fiber.StatusBadRequest:
		return metrics.IngestInvalid
	case status == fiber.StatusUnauthorized:
		return metrics.IngestUnauthenticated
	case status == fiber.StatusForbidden:
		return metrics.IngestForbidden
	case status == fiber.StatusRequestEntityTooLarge:
		return metrics.IngestTooLarge
	case status == fiber.StatusTooManyRequests:
		return metrics.IngestRateLimited
	case status == fiber.StatusServiceUnavailable:
		return metrics.IngestUnavailable
	case status >= 500:
		return metrics.IngestInternal
	}
	return metrics.IngestInvalid // another 4xx: the request was not one the API takes
}
