package gateway

import (
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/telemetry"
)

// traceRequests gives each /v1 request a server span, continuing the
// caller's trace when it sends a traceparent. The event's workflow start
// (Temporal's tracing interceptor) and everything after it are its children.
// Installed only when tracing is on.
func traceRequests(tracer trace.Tracer) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if !strings.HasPrefix(c.Path(), "/v1/") {
			return c.Next()
		}
		carrier := propagation.HeaderCarrier{}
		c.Request().Header.VisitAll(func(k, v []byte) { carrier.Set(string(k), string(v)) })
		ctx := telemetry.Propagator.Extract(c.UserContext(), carrier)
		ctx, span := tracer.Start(ctx, c.Method()+" "+c.Path(), trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(attribute.String("http.request.method", c.Method()), attribute.String("url.path", c.Path())))
		defer span.End()
		c.SetUserContext(ctx)
		err := c.Next()
		if r := c.Route(); r != nil {
			span.SetName(c.Method() + " " + r.Path)
			span.SetAttributes(attribute.String("http.route", r.Path))
		}
		status := answeredStatus(c, err)
		span.SetAttributes(attribute.Int("http.response.status_code", status))
		if k, ok := c.Locals(localKey).(store.APIKey); ok {
			span.SetAttributes(attribute.String("herald.team", k.TeamID))
		}
		if status >= 500 {
			span.SetStatus(codes.Error, fmt.Sprintf("HTTP %d", status))
		}
		return err
	}
}
