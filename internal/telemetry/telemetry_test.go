package telemetry

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// Without an endpoint nothing is set up; with one, spans reach the
// collector over OTLP/HTTP by the time shutdown returns; a protocol Herald
// does not speak is an error.
func TestSetupFollowsTheEnvironment(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
	stop, err := Setup(context.Background(), "herald-test")
	if err != nil || Provider() != nil || Tracer() != nil {
		t.Fatalf("no endpoint: provider %v, %v", Provider(), err)
	}
	_ = stop(context.Background())

	var posts atomic.Int32
	var path atomic.Value
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		path.Store(r.URL.Path)
		posts.Add(1)
	}))
	defer collector.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.URL)
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
	stop, err = Setup(context.Background(), "herald-test")
	if err != nil || Tracer() == nil {
		t.Fatalf("with an endpoint: %v", err)
	}
	defer func() { Use(nil) }() // tracing off for what runs next
	_, span := Tracer().Start(context.Background(), "probe")
	span.End()
	if err := stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if posts.Load() == 0 || path.Load() != "/v1/traces" {
		t.Fatalf("the collector got %d posts (last to %v)", posts.Load(), path.Load())
	}

	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "carrier-pigeon")
	if _, err := Setup(context.Background(), "herald-test"); err == nil {
		t.Fatal("an unknown protocol was taken")
	}
}
