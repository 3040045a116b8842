package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	sdkpb "go.temporal.io/api/sdk/v1"

	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/test/testenv"
)

// What the Temporal Web UI shows reads well: the current details are a
// Markdown list by integration name; a resend-only run's input carries the
// event's type, when it came and the run it follows, with camelCase keys
// and no empty data; workflow results are camelCase too.
func TestWebUIReadsWell(t *testing.T) {
	s := testenv.NewStack(t)
	recv := testenv.NewReceiver(t)
	hook := s.CreateIntegration(t, map[string]any{"name": "web-ui-hook", "type": "webhook", "url": recv.URL, "events": []string{"build:*"}})
	wf := s.PostEvent(t, map[string]any{"id": "webui-1", "event": "build:start"})
	res := s.AwaitWorkflow(t, wf)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	first, err := s.Temporal.DescribeWorkflow(ctx, wf, "")
	if err != nil {
		t.Fatal(err)
	}
	originalRun := first.WorkflowExecution.RunID

	// Current details, as the Web UI asks for them.
	details := currentDetails(t, s, wf, originalRun)
	if !strings.Contains(details, "**build:start** → 1 integration(s)\n\n- **web-ui-hook**: delivered") || strings.Contains(details, hook.ID) {
		t.Errorf("current details:\n%s", details)
	}

	// A resend after the run closed starts a resend-only run.
	if r := s.Do(t, "POST", "/v1/deliveries/"+res.Deliveries[0].DeliveryID+"/resend", s.Key, nil); r.Status != http.StatusAccepted {
		t.Fatalf("resend: %d %s", r.Status, r.Body)
	}
	var second contract.EventResult
	testenv.Await(t, "the resend-only run", func() bool {
		d, err := s.Temporal.DescribeWorkflow(ctx, wf, "")
		return err == nil && d.WorkflowExecution.RunID != originalRun && d.Status == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED
	})
	if err := s.Temporal.GetWorkflow(ctx, wf, "").Get(ctx, &second); err != nil {
		t.Fatal(err)
	}
	iter := s.Temporal.GetWorkflowHistory(ctx, wf, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	startEvent, err := iter.Next()
	if err != nil {
		t.Fatal(err)
	}
	input := startEvent.GetWorkflowExecutionStartedEventAttributes().GetInput().GetPayloads()[0].GetData()
	var in map[string]any
	if err := json.Unmarshal(input, &in); err != nil {
		t.Fatalf("the input %s: %v", input, err)
	}
	if in["type"] != "build:start" || in["resendOf"] != originalRun || in["resendOnly"] != true {
		t.Errorf("the resend-only run's input: %s", input)
	}
	if at, _ := in["receivedAt"].(string); strings.HasPrefix(at, "0001") || at == "" {
		t.Errorf("its receivedAt: %q", at)
	}
	if _, has := in["data"]; has {
		t.Errorf("its input shows an empty data: %s", input)
	}
	if bad := camelKeys(in, "input"); len(bad) > 0 {
		t.Errorf("input keys not camelCase: %v", bad)
	}
	// The result, as the Web UI shows it.
	resultEvent := lastEvent(t, s, wf)
	var result map[string]any
	if err := json.Unmarshal(resultEvent, &result); err != nil {
		t.Fatal(err)
	}
	if bad := camelKeys(result, "result"); len(bad) > 0 || result["status"] == nil {
		t.Errorf("result keys: %v in %s", bad, resultEvent)
	}
}

// lastEvent is the result payload of the workflow's latest run.
func lastEvent(t *testing.T, s *testenv.Stack, wf string) []byte {
	t.Helper()
	iter := s.Temporal.GetWorkflowHistory(context.Background(), wf, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT)
	ev, err := iter.Next()
	if err != nil {
		t.Fatal(err)
	}
	return ev.GetWorkflowExecutionCompletedEventAttributes().GetResult().GetPayloads()[0].GetData()
}

// Text a receiver chooses (here a token endpoint's error description) goes
// into the Web UI's Markdown details escaped: no link, image or emphasis of
// the receiver's making renders there.
func TestReceiverTextIsPlainInTheWebUI(t *testing.T) {
	s := testenv.NewStack(t)
	tokens := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":"invalid_client","error_description":"[verify your account](http://evil.example/x) ![](http://evil.example/t.png) **now**"}`))
	}))
	t.Cleanup(tokens.Close)
	s.CreateIntegration(t, map[string]any{"name": "[name](http://evil.example)", "type": "webhook", "url": "http://127.0.0.1:9/x", "events": []string{"*"},
		"oauth2": map[string]any{"tokenUrl": tokens.URL, "clientId": "c", "clientSecret": "s"}})
	wf := s.PostEvent(t, map[string]any{"id": "markdown-1", "event": "build:start"})
	s.AwaitWorkflow(t, wf)
	details := currentDetails(t, s, wf, "")
	if !strings.Contains(details, `\[verify your account\]\(http://evil.example/x\)`) || strings.Contains(details, "](http") ||
		strings.Contains(details, "**now**") || !strings.Contains(details, `- **\[name\]\(http://evil.example\)**: failed`) {
		t.Errorf("the details render the receiver's markup:\n%s", details)
	}
}

// currentDetails are a workflow run's current details, as the Web UI asks
// for them.
func currentDetails(t *testing.T, s *testenv.Stack, wf, run string) string {
	t.Helper()
	v, err := s.Temporal.QueryWorkflow(t.Context(), wf, run, "__temporal_workflow_metadata")
	if err != nil {
		t.Fatal(err)
	}
	var md sdkpb.WorkflowMetadata
	if err := v.Get(&md); err != nil {
		t.Fatal(err)
	}
	return md.GetCurrentDetails()
}
