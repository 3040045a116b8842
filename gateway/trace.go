package gateway

import (
	"context"
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/door"
)

// incomingTrace is what a caller's traceparent makes of a request's span.
type incomingTrace int

const (
	// linkIncoming starts a trace of Herald's own, linked to the caller's:
	// one team cannot put its spans, or its trace id, into the trace of
	// another team's deliveries. The default.
	linkIncoming incomingTrace = iota
	// continueIncoming makes the span a child of the caller's
	// (HERALD_TRUST_INCOMING_TRACE=true: the callers are the operator's own).
	continueIncoming
)

func incomingTraceOf(cfg *config.Config) incomingTrace {
	if cfg.TrustIncomingTrace {
		return continueIncoming
	}
	return linkIncoming
}

// traceRequests gives each /v1 request a server span; a caller's
// traceparent is linked or continued as incoming says. Only traceparent is
// read: a caller's tracestate and baggage are dropped, so they are neither
// stored in workflow histories nor sent to receivers. The event's workflow
// start (Temporal's tracing interceptor) and everything after it are the
// span's children. Installed only when tracing is on.
func traceRequests(tracer trace.Tracer, incoming incomingTrace) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if !strings.HasPrefix(c.Path(), "/v1/") {
			return c.Next()
		}
		carrier := propagation.HeaderCarrier{}
		carrier.Set("traceparent", string(c.Request().Header.Peek("traceparent")))
		caller := trace.SpanContextFromContext(propagation.TraceContext{}.Extract(context.Background(), carrier))
		ctx := c.UserContext()
		opts := []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(attribute.String("http.request.method", c.Method()), attribute.String("url.path", c.Path()))}
		switch {
		case !caller.IsValid():
		case incoming == continueIncoming:
			ctx = trace.ContextWithRemoteSpanContext(ctx, caller)
		default:
			opts = append(opts, trace.WithNewRoot(), trace.WithLinks(trace.Link{SpanContext: caller}))
		}
		ctx, span := tracer.Start(ctx, c.Method()+" "+c.Path(), opts...)
		defer span.End()
		c.SetUserContext(ctx)
		err := c.Next()
		if r := c.Route(); r != nil {
			span.SetName(c.Method() + " " + r.Path)
			span.SetAttributes(attribute.String("http.route", r.Path))
		}
		status := answeredStatus(c, err)
		span.SetAttributes(attribute.Int("http.response.status_code", status))
		if k, ok := door.KeyIfAny(c); ok {
			span.SetAttributes(attribute.String("herald.team", k.TeamID))
		}
		if status >= 500 {
			span.SetStatus(codes.Error, fmt.Sprintf("HTTP %d", status))
		}
		return err
	}
}
