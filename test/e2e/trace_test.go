package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/telemetry"
	"github.com/heraldhq/herald/test/testenv"
)

// One trace covers an event end to end: the ingest request's span, the
// event workflow's spans, the attempt's HTTP client span; and the webhook
// receiver gets a traceparent of that trace whose parent is the attempt's
// span. A platform's own traceparent is continued only where the operator
// trusts its callers (HERALD_TRUST_INCOMING_TRACE); by default Herald starts
// a trace of its own and links the platform's. Either way the platform's
// tracestate and baggage go nowhere: not to Temporal, not to the receiver.
func TestOneTraceFromIngestToReceiver(t *testing.T) {
	// The platform's trace: 4bf92f35… is the W3C spec's example trace id.
	const platformTrace, platformSpan = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	for _, trusted := range []bool{true, false} {
		t.Run(map[bool]string{true: "trusted", false: "linked"}[trusted], func(t *testing.T) {
			rec := tracetest.NewSpanRecorder()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
			t.Cleanup(telemetry.Use(tp)) // stacks built from here on trace; the rest of the suite does not
			s := testenv.NewStack(t, func(c *config.Config) { c.TrustIncomingTrace = trusted })
			recv := testenv.NewReceiver(t)
			s.CreateIntegration(t, map[string]any{"name": "traced", "type": "webhook", "url": recv.URL, "events": []string{"*"}})

			r := s.Do(t, http.MethodPost, "/v1/events", s.Key, map[string]any{"id": "traced-1", "event": "build:start"},
				"traceparent", "00-"+platformTrace+"-"+platformSpan+"-01",
				"tracestate", "victim=team_victim", "baggage", "role=admin,tenant=team_victim")
			if r.Status != http.StatusAccepted {
				t.Fatalf("post: %d %s", r.Status, r.Body)
			}
			var got []testenv.Received
			testenv.Await(t, "the delivery at the receiver", func() bool { got = recv.Requests(); return len(got) > 0 })
			if ts, bg := got[0].Header.Get("tracestate"), got[0].Header.Get("baggage"); ts != "" || bg != "" {
				t.Errorf("the receiver got tracestate %q and baggage %q: the caller's, passed on", ts, bg)
			}
			parts := strings.Split(got[0].Header.Get("traceparent"), "-")
			if len(parts) != 4 || (parts[1] == platformTrace) != trusted {
				t.Fatalf("the receiver got traceparent %q; the platform's trace is %s (trusted: %v)", got[0].Header.Get("traceparent"), platformTrace, trusted)
			}
			var acc struct{ WorkflowID string }
			r.JSON(t, &acc)
			s.AwaitWorkflow(t, acc.WorkflowID)
			it := s.Temporal.GetWorkflowHistory(context.Background(), acc.WorkflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
			for it.HasNext() {
				e, err := it.Next()
				if err != nil {
					t.Fatal(err)
				}
				if strings.Contains(e.String(), "team_victim") {
					t.Errorf("the workflow's history keeps the caller's tracestate or baggage: %v", e.GetEventType())
				}
			}
			ingest, attempt, workflow := eventSpans(t, rec, parts[1])
			if parts[2] != attempt.SpanContext().SpanID().String() {
				t.Errorf("the receiver's parent span %s is not the attempt's %s", parts[2], attempt.SpanContext().SpanID())
			}
			if !hasPrefix(workflow, "StartWorkflow:") {
				t.Errorf("no StartWorkflow span under the ingest span: %v", workflow)
			}
			if trusted && ingest.Parent().SpanID().String() != platformSpan {
				t.Errorf("the ingest span's parent is %s, want the platform's span", ingest.Parent().SpanID())
			}
			if !trusted {
				links := ingest.Links()
				if ingest.Parent().IsValid() || len(links) != 1 || links[0].SpanContext.TraceID().String() != platformTrace ||
					links[0].SpanContext.SpanID().String() != platformSpan || links[0].SpanContext.TraceState().Len() != 0 {
					t.Errorf("the ingest span: parent %v, links %+v; want a root linked to the platform's span, without its tracestate", ingest.Parent(), links)
				}
			}
			for _, sp := range append(rec.Ended(), attempt) {
				if sp.SpanContext().TraceState().Len() != 0 {
					t.Errorf("span %s carries tracestate %s", sp.Name(), sp.SpanContext().TraceState())
				}
				for _, a := range sp.Attributes() {
					if strings.Contains(a.Value.String(), recv.URL) {
						t.Errorf("span %s carries the destination URL in %s", sp.Name(), a.Key)
					}
				}
			}
		})
	}
}

// eventSpans waits for the spans of one event's trace: the ingest request's,
// the attempt's, and the names of the workflow's.
func eventSpans(t *testing.T, rec *tracetest.SpanRecorder, traceID string) (ingest, attempt sdktrace.ReadOnlySpan, workflow []string) {
	testenv.Await(t, "the spans to end", func() bool {
		ingest, attempt, workflow = nil, nil, nil
		for _, sp := range rec.Ended() {
			if sp.SpanContext().TraceID().String() != traceID {
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
	return ingest, attempt, workflow
}

func hasPrefix(names []string, prefix string) bool {
	for _, n := range names {
		if strings.HasPrefix(n, prefix) {
			return true
		}
	}
	return false
}
