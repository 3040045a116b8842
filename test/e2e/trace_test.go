package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/heraldhq/herald/internal/telemetry"
	"github.com/heraldhq/herald/test/testenv"
)

// One trace covers an event end to end: the ingest request's span, the
// event workflow's spans, the attempt's HTTP client span; and the webhook
// receiver gets a traceparent of that trace whose parent is the attempt's
// span. A platform's own traceparent is continued.
func TestOneTraceFromIngestToReceiver(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(telemetry.Use(tp)) // stacks built from here on trace; the rest of the suite does not
	s := testenv.NewStack(t)
	recv := testenv.NewReceiver(t)
	s.CreateIntegration(t, map[string]any{"name": "traced", "type": "webhook", "url": recv.URL, "events": []string{"*"}})

	// The platform's trace: 4bf92f35… is the W3C spec's example trace id.
	const platformTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	r := s.Do(t, http.MethodPost, "/v1/events", s.Key, map[string]any{"id": "traced-1", "event": "build:start"},
		"traceparent", "00-"+platformTrace+"-00f067aa0ba902b7-01")
	if r.Status != http.StatusAccepted {
		t.Fatalf("post: %d %s", r.Status, r.Body)
	}
	var acc struct{ WorkflowID string }
	r.JSON(t, &acc)
	s.AwaitWorkflow(t, acc.WorkflowID)

	var got []testenv.Received
	waitFor(t, time.Minute, "the delivery at the receiver", func() bool { got = recv.Requests(); return len(got) > 0 })
	tpHeader := got[0].Header.Get("traceparent")
	parts := strings.Split(tpHeader, "-")
	if len(parts) != 4 || parts[1] != platformTrace {
		t.Fatalf("the receiver got traceparent %q, want one of trace %s", tpHeader, platformTrace)
	}

	var ingest, attempt sdktrace.ReadOnlySpan
	var workflow []string
	waitFor(t, time.Minute, "the spans to end", func() bool {
		ingest, attempt, workflow = nil, nil, nil
		for _, sp := range rec.Ended() {
			if sp.SpanContext().TraceID().String() != platformTrace {
				continue
			}
			switch {
			case sp.Name() == "POST /v1/events" && sp.SpanKind() == trace.SpanKindServer:
				ingest = sp
			case strings.HasPrefix(sp.Name(), "deliver POST ") && sp.SpanKind() == trace.SpanKindClient:
				attempt = sp
			case strings.Contains(sp.Name(), ":"):
				workflow = append(workflow, sp.Name())
			}
		}
		return ingest != nil && attempt != nil && hasPrefix(workflow, "RunWorkflow:") && hasPrefix(workflow, "RunActivity:")
	})
	if parts[2] != attempt.SpanContext().SpanID().String() {
		t.Errorf("the receiver's parent span %s is not the attempt's %s", parts[2], attempt.SpanContext().SpanID())
	}
	if !hasPrefix(workflow, "StartWorkflow:") {
		t.Errorf("no StartWorkflow span under the ingest span: %v", workflow)
	}
	if ingest.Parent().SpanID().String() != "00f067aa0ba902b7" {
		t.Errorf("the ingest span's parent is %s, want the platform's span", ingest.Parent().SpanID())
	}
	for _, sp := range append(rec.Ended(), attempt) {
		for _, a := range sp.Attributes() {
			if strings.Contains(a.Value.String(), recv.URL) {
				t.Errorf("span %s carries the destination URL in %s", sp.Name(), a.Key)
			}
		}
	}
}

func hasPrefix(names []string, prefix string) bool {
	for _, n := range names {
		if strings.HasPrefix(n, prefix) {
			return true
		}
	}
	return false
}
