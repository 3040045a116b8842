// Package telemetry turns OpenTelemetry tracing on for a Herald process: a
// span for each API request, the event's workflow and activities (Temporal's
// tracing interceptor), and each delivery attempt's HTTP request, whose W3C
// traceparent header lets the receiver's spans join the trace.
//
// Tracing is on only when the standard OTEL_EXPORTER_OTLP_ENDPOINT (or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set. Off, no part of Herald installs
// a hook: the code paths are those of a build without tracing.
package telemetry

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"
)

// ScopeName names Herald's own tracer.
const ScopeName = "github.com/heraldhq/herald"

type holder struct{ tp trace.TracerProvider }

var current atomic.Pointer[holder]

// Provider is the tracer provider in force, nil when tracing is off. Read
// it when building a component: what is built while it is nil never traces.
func Provider() trace.TracerProvider {
	if h := current.Load(); h != nil {
		return h.tp
	}
	return nil
}

// Tracer is Herald's tracer, nil when tracing is off.
func Tracer() trace.Tracer {
	if tp := Provider(); tp != nil {
		return tp.Tracer(ScopeName)
	}
	return nil
}

// Propagator carries a trace across processes: W3C trace context, and no
// baggage (what a caller puts there is not Herald's to keep or pass on).
var Propagator propagation.TextMapPropagator = propagation.TraceContext{}

// Use makes tp the provider (nil: tracing off) for components built from now
// on, and OpenTelemetry's global one; restore puts back what was.
func Use(tp trace.TracerProvider) (restore func()) {
	prev := current.Load()
	if tp == nil {
		current.Store(nil)
	} else {
		current.Store(&holder{tp})
		otel.SetTracerProvider(tp)
		otel.SetTextMapPropagator(Propagator)
	}
	return func() { current.Store(prev) }
}

// Enabled says whether the environment asks for traces.
func Enabled() bool {
	return os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}

// Setup exports traces over OTLP when the environment asks for it (the
// standard OTEL_* variables: endpoint, headers, protocol grpc or
// http/protobuf, OTEL_SERVICE_NAME, OTEL_TRACES_SAMPLER…); shutdown flushes
// them. Without an endpoint it does nothing and costs nothing.
func Setup(ctx context.Context, service string) (shutdown func(context.Context) error, err error) {
	if !Enabled() {
		return func(context.Context) error { return nil }, nil
	}
	var exp *otlptrace.Exporter
	proto := os.Getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
	if proto == "" {
		proto = os.Getenv("OTEL_EXPORTER_OTLP_PROTOCOL")
	}
	switch strings.TrimSpace(proto) {
	case "grpc":
		exp, err = otlptracegrpc.New(ctx)
	case "", "http/protobuf":
		exp, err = otlptracehttp.New(ctx)
	default:
		return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL %q: Herald exports traces over grpc or http/protobuf", proto)
	}
	if err != nil {
		return nil, fmt.Errorf("the OTLP trace exporter: %w", err)
	}
	// The default resource reads OTEL_SERVICE_NAME; without it, ours names the service.
	res := resource.Default()
	if os.Getenv("OTEL_SERVICE_NAME") == "" {
		if named, err := resource.Merge(res, resource.NewSchemaless(semconv.ServiceName(service))); err == nil {
			res = named
		}
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	Use(tp)
	return tp.Shutdown, nil
}
