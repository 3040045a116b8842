package channels

import (
	"fmt"
	"net/http"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/heraldhq/herald/internal/telemetry"
)

// tracedTransport gives each attempt a client span, a child of the
// activity's, and sends its W3C traceparent so the receiver's spans join the
// trace. The span names the host, method and status, never the URL: a chat
// webhook's path is its credential (which is also why this is not otelhttp,
// whose spans carry the full URL).
type tracedTransport struct {
	next   http.RoundTripper
	tracer trace.Tracer
}

func (t tracedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, span := t.tracer.Start(req.Context(), "deliver "+req.Method+" "+req.URL.Hostname(),
		trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("http.request.method", req.Method),
			attribute.String("server.address", req.URL.Hostname()), attribute.String("url.scheme", req.URL.Scheme)))
	defer span.End()
	req = req.Clone(ctx)
	telemetry.Propagator.Inject(ctx, propagation.HeaderCarrier(req.Header))
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		span.SetStatus(codes.Error, fmt.Sprintf("%T", err)) // the error text may hold the URL
		return nil, err
	}
	span.SetAttributes(attribute.Int("http.response.status_code", resp.StatusCode))
	if resp.StatusCode >= 400 {
		span.SetStatus(codes.Error, fmt.Sprintf("HTTP %d", resp.StatusCode))
	}
	return resp, nil
}
