package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/internal/eventtype"
	"github.com/heraldhq/herald/test/testenv"
)

func (s *integrationChecks) countStatus(t *testing.T, status herald.DeliveryStatus) int {
	t.Helper()
	var n int
	if err := s.Store.DB().QueryRow(`SELECT count(*) FROM deliveries WHERE integration_id = $1 AND status = $2`, s.id, status).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

type integrationChecks struct {
	*testenv.Stack
	id string
}

func (s *integrationChecks) get(t *testing.T) api.IntegrationView {
	t.Helper()
	r := s.Do(t, http.MethodGet, "/v1/integrations/"+s.id, s.Key, nil)
	var v api.IntegrationView
	r.JSON(t, &v)
	return v
}

// A receiver that comes back wakes every delivery waiting on backoff: 200
// deliveries that would otherwise wait an hour arrive within 30 s.
func TestRecoveryDeliversEveryWaitingDelivery(t *testing.T) {
	s := testenv.NewStack(t)
	recv := testenv.NewReceiver(t)
	recv.SetDefault(testenv.Reply{Status: 503, Body: "maintenance"})
	integ := s.CreateIntegration(t, map[string]any{"name": "comes-back", "type": "webhook", "url": recv.URL,
		"events": []string{"*"}, "retry": map[string]any{"initialInterval": "1h"}})
	c := &integrationChecks{Stack: s, id: integ.ID}

	const n = 200
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			s.PostEvent(t, map[string]any{"id": fmt.Sprintf("wait-%03d", i), "event": "build:failure"})
		}()
	}
	wg.Wait()
	testenv.Await(t, "200 deliveries waiting on backoff", func() bool { return c.countStatus(t, herald.DeliveryRetrying) == n })
	if v := c.get(t); v.Health.Status != herald.HealthFailing || v.Health.FailedRequests != n {
		t.Errorf("health while down: %+v", v.Health)
	}

	recv.SetDefault(testenv.Reply{Status: 200, Body: "back"})
	start := time.Now()
	// Any successful delivery reveals the recovery.
	s.AwaitWorkflow(t, s.PostEvent(t, map[string]any{"id": "back-again", "event": "build:start"}))
	testenv.Await(t, "all 200 waiting deliveries delivered", func() bool { return c.countStatus(t, herald.DeliveryDelivered) == n+1 })
	t.Logf("recovered %d waiting deliveries in %s", n, time.Since(start).Round(time.Millisecond))
	if v := c.get(t); v.Health.Status != herald.HealthHealthy {
		t.Errorf("health after recovery: %+v", v.Health)
	}
}

// A receiver down for good gets its integration disabled after 5 failed
// deliveries; integration:disabled reaches the team's other integration;
// later deliveries are skipped; enable, then resend of the skipped ones
// delivers them.
// deadEnd is a webhook integration (deployment:*, one attempt per delivery)
// whose receiver answers 500 to everything.
func deadEnd(t *testing.T, s *testenv.Stack) (*testenv.Receiver, api.IntegrationView) {
	t.Helper()
	dead := testenv.NewReceiver(t)
	dead.SetDefault(testenv.Reply{Status: 500, Body: "broken"})
	return dead, s.CreateIntegration(t, map[string]any{"name": "dead-end", "type": "webhook", "url": dead.URL,
		"events": []string{"deployment:*"}, "retry": map[string]any{"maxAttempts": 1}})
}

func TestDeadReceiverIsDisabledThenEnabledAndResent(t *testing.T) {
	s := testenv.NewStack(t)
	dead, integ := deadEnd(t, s)
	owner := testenv.NewReceiver(t)
	s.CreateIntegration(t, map[string]any{"name": "ops-alerts", "type": "webhook", "url": owner.URL,
		"events": []string{"integration:*"}})
	c := &integrationChecks{Stack: s, id: integ.ID}

	for i := range 5 {
		res := s.AwaitWorkflow(t, s.PostEvent(t, map[string]any{"id": fmt.Sprintf("dep-%d", i), "event": "deployment:success"}))
		if res.Deliveries[0].Status != herald.DeliveryFailed {
			t.Fatalf("event %d: %+v", i, res)
		}
	}
	testenv.Await(t, "integration disabled", func() bool { return !c.get(t).Enabled })
	v := c.get(t)
	if v.Health.Status != herald.HealthDisabled || v.Health.DisabledReason != "5 consecutive failed deliveries" ||
		v.Health.DisabledBy != contract.DisabledByHerald || v.Health.DisabledAt == nil {
		t.Errorf("health %+v", v.Health)
	}
	testenv.Await(t, "integration:disabled delivered to ops-alerts", func() bool { return len(owner.Requests()) == 1 })
	var body struct {
		Event string
		Data  struct {
			Integration struct{ ID, Name string }
			Reason      string
		}
	}
	if err := json.Unmarshal(owner.Requests()[0].Body, &body); err != nil || body.Event != eventtype.IntegrationDisabled ||
		body.Data.Integration.ID != integ.ID || body.Data.Reason == "" {
		t.Errorf("integration:disabled body %s", owner.Requests()[0].Body)
	}
	if len(dead.Requests()) != 5 {
		t.Errorf("the dead receiver got %d requests, want 5", len(dead.Requests()))
	}

	// Deliveries to the disabled integration are skipped.
	res := s.AwaitWorkflow(t, s.PostEvent(t, map[string]any{"id": "while-off", "event": "deployment:success"}))
	if res.Deliveries[0].Status != herald.DeliverySkipped {
		t.Fatalf("while disabled: %+v", res)
	}
	skippedID := res.Deliveries[0].DeliveryID
	r := s.Do(t, http.MethodPost, "/v1/deliveries/"+skippedID+"/resend", s.Key, nil)
	if r.Status != http.StatusConflict || !strings.Contains(string(r.Body), "disabled") {
		t.Errorf("resend while disabled: %d %s", r.Status, r.Body)
	}

	// Enable (health resets), the receiver is fixed, resend the skipped delivery.
	dead.SetDefault(testenv.Reply{Status: 200, Body: "fixed"})
	r = s.Do(t, http.MethodPost, "/v1/integrations/"+integ.ID+"/enable", s.Key, nil)
	var enabled api.IntegrationView
	r.JSON(t, &enabled)
	if r.Status != 200 || enabled.Health.Status != herald.HealthHealthy || enabled.Health.ConsecutiveFailures != 0 {
		t.Fatalf("enable: %d %s", r.Status, r.Body)
	}
	r = s.Do(t, http.MethodPost, "/v1/deliveries/"+skippedID+"/resend", s.Key, nil)
	if r.Status != http.StatusAccepted {
		t.Fatalf("resend: %d %s", r.Status, r.Body)
	}
	testenv.Await(t, "the skipped delivery delivered", func() bool {
		return s.Delivery(t, skippedID).Status == herald.DeliveryDelivered
	})
	d := s.Delivery(t, skippedID)
	if len(d.AttemptLog) != 1 || d.AttemptLog[0].Trigger != herald.TriggerManual {
		t.Errorf("attempts %+v", d.AttemptLog)
	}
}

// A resend through the built herald binary delivers again and its attempt
// shows trigger manual; a bulk resend through it resends every failed one.
func TestResendThroughTheCLI(t *testing.T) {
	s := testenv.NewStack(t)
	recv := testenv.NewReceiver(t)
	recv.SetDefault(testenv.Reply{Status: 422, Body: "not yet"})
	integ := s.CreateIntegration(t, map[string]any{"name": "picky", "type": "webhook", "url": recv.URL, "events": []string{"*"}})
	var ids []string
	for i := range 3 {
		res := s.AwaitWorkflow(t, s.PostEvent(t, map[string]any{"id": fmt.Sprintf("p-%d", i), "event": "billing:invoice-failed"}))
		ids = append(ids, res.Deliveries[0].DeliveryID)
	}
	recv.SetDefault(testenv.Reply{Status: 200, Body: "ok now"})
	apiEnv := []string{"HERALD_URL=" + s.URL, "HERALD_API_KEY=" + s.Key}

	out := mustHerald(t, apiEnv, "resend", ids[0])
	if !strings.Contains(out, "resend of "+ids[0]+" requested") {
		t.Errorf("resend output %q", out)
	}
	testenv.Await(t, "manual resend delivered", func() bool { return s.Delivery(t, ids[0]).Status == herald.DeliveryDelivered })
	d := s.Delivery(t, ids[0])
	if len(d.AttemptLog) != 2 || d.AttemptLog[1].Trigger != herald.TriggerManual || d.AttemptLog[1].Response.Status != 200 {
		t.Errorf("attempts %+v", d.AttemptLog)
	}
	show := mustHerald(t, apiEnv, "deliveries", "show", ids[0])
	if !strings.Contains(show, "attempt 2 (manual)") {
		t.Errorf("deliveries show:\n%s", show)
	}

	list := mustHerald(t, apiEnv, "deliveries", "list", "--integration", integ.ID, "--status", "failed", "-o", "json")
	var page api.Page[api.DeliveryView]
	if err := json.Unmarshal([]byte(list), &page); err != nil || len(page.Data) != 2 || page.Data[0].ID != ids[2] {
		t.Fatalf("deliveries list (newest first): %s %v", list, err)
	}

	out = mustHerald(t, apiEnv, "resend", "--integration", integ.ID, "--failed", "--since", "24h", "-o", "json")
	var bulk struct{ Sent, Total int }
	if err := json.Unmarshal([]byte(out), &bulk); err != nil || bulk.Sent != 2 || bulk.Total != 2 {
		t.Fatalf("bulk resend: %s %v", out, err)
	}
	for _, id := range ids[1:] {
		testenv.Await(t, "bulk resend delivered "+id, func() bool { return s.Delivery(t, id).Status == herald.DeliveryDelivered })
	}
}

func TestRecentDeliveriesPagination(t *testing.T) {
	s := testenv.NewStack(t)
	recv := testenv.NewReceiver(t)
	integ := s.CreateIntegration(t, map[string]any{"name": "paged", "type": "webhook", "url": recv.URL, "events": []string{"*"}})
	for i := range 5 {
		typ := "build:start"
		if i%2 == 1 {
			typ = "job-run:start"
		}
		s.AwaitWorkflow(t, s.PostEvent(t, map[string]any{"id": fmt.Sprintf("e%d", i), "event": typ}))
	}
	var seen []string
	cursor := ""
	for {
		r := s.Do(t, http.MethodGet, "/v1/integrations/"+integ.ID+"/deliveries?limit=2&cursor="+cursor, s.Key, nil)
		var p api.Page[api.DeliveryView]
		r.JSON(t, &p)
		for _, d := range p.Data {
			seen = append(seen, d.EventID)
		}
		if cursor = p.NextCursor; cursor == "" {
			break
		}
	}
	if strings.Join(seen, ",") != "e4,e3,e2,e1,e0" {
		t.Errorf("pages gave %v, want newest first", seen)
	}
	r := s.Do(t, http.MethodGet, "/v1/integrations/"+integ.ID+"/deliveries?event=job-run:start&status=delivered", s.Key, nil)
	var p api.Page[api.DeliveryView]
	r.JSON(t, &p)
	if len(p.Data) != 2 {
		t.Errorf("filtered: %s", r.Body)
	}
	if r := s.Do(t, http.MethodGet, "/v1/integrations/"+integ.ID+"/deliveries?status=lost", s.Key, nil); r.Status != 400 {
		t.Errorf("bad status filter: %d", r.Status)
	}
}

// A cancelled bulk resend stops: it is paced to one resend every 100 s, so
// after the first it waits; cancelled then, it closes once its page has
// stopped (the workflow waits for it), says it sent one of six, and the one
// it sent is the only manual attempt made.
func TestBulkResendCanBeCancelled(t *testing.T) {
	s := testenv.NewStack(t, func(c *config.Config) { c.BulkResendRate, c.DisableAfter = 0.01, 100 })
	recv := testenv.NewReceiver(t)
	recv.SetDefault(testenv.Reply{Status: 400})
	integ := s.CreateIntegration(t, map[string]any{"name": "slowly", "type": "webhook", "url": recv.URL, "events": []string{"*"}})
	for i := range 6 {
		s.AwaitWorkflow(t, s.PostEvent(t, map[string]any{"id": fmt.Sprintf("c-%d", i), "event": "build:failure"}))
	}
	r := s.Do(t, http.MethodPost, "/v1/integrations/"+integ.ID+"/resend", s.Key, map[string]any{"status": "failed"})
	var started struct{ ID, WorkflowID string }
	r.JSON(t, &started)
	if r.Status != http.StatusAccepted {
		t.Fatalf("start: %d %s", r.Status, r.Body)
	}
	manual := func() int {
		var n int
		if err := s.Store.DB().QueryRow(`SELECT count(*) FROM attempts a JOIN deliveries d ON d.id = a.delivery_id
			WHERE d.integration_id = $1 AND a.trigger = 'manual'`, integ.ID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	testenv.Await(t, "the first resend's attempt recorded", func() bool { return manual() == 1 })
	if r = s.Do(t, http.MethodDelete, "/v1/resends/"+started.ID, s.Key, nil); r.Status != http.StatusAccepted {
		t.Fatalf("cancel: %d %s", r.Status, r.Body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testenv.AwaitWithin)
	defer cancel()
	err := s.Temporal.GetWorkflow(ctx, started.WorkflowID, "").Get(ctx, nil)
	var canceled *temporal.CanceledError
	if !errors.As(err, &canceled) {
		t.Fatalf("bulk resend ended with %v, want cancelled", err)
	}
	var progress contract.BulkResendProgress
	s.Do(t, http.MethodGet, "/v1/resends/"+started.ID, s.Key, nil).JSON(t, &progress)
	if progress.Total != 6 || progress.Sent != 1 || progress.Done || manual() != 1 {
		t.Errorf("the cancelled resend: %+v with %d manual attempts; want 1 of 6 sent, not done", progress, manual())
	}
}

// The owner hears of a disable: integration:disabled reaches a subscriber
// limited to some projects (Herald's own events have none), and the disable
// shows where people look even with no subscriber: the console's list, the
// CLI's list and the API's view.
func TestAutoDisableReachesItsOwner(t *testing.T) {
	s := testenv.NewStack(t)
	_, integ := deadEnd(t, s)
	owner := testenv.NewReceiver(t)
	s.CreateIntegration(t, map[string]any{"name": "ops-p9", "type": "webhook", "url": owner.URL,
		"events": []string{"integration:*"}, "projects": []string{"p9"}})
	for i := range 5 {
		s.AwaitWorkflow(t, s.PostEvent(t, map[string]any{"id": fmt.Sprintf("own-%d", i), "event": "deployment:success"}))
	}
	c := &integrationChecks{Stack: s, id: integ.ID}
	testenv.Await(t, "integration disabled", func() bool { return !c.get(t).Enabled })
	testenv.Await(t, "integration:disabled at the p9-only subscriber", func() bool { return len(owner.Requests()) == 1 })

	v := c.get(t)
	if v.Health.DisabledReason == "" || v.Health.DisabledAt == nil || v.Health.DisabledBy != contract.DisabledByHerald {
		t.Errorf("API view %+v", v.Health)
	}
	list := mustHerald(t, []string{"HERALD_URL=" + s.URL, "HERALD_API_KEY=" + s.Key}, "integrations", "list")
	if !strings.Contains(list, "disabled: 5 consecutive failed deliveries") {
		t.Errorf("herald integrations list:\n%s", list)
	}
	b := &consoleClient{t: t, base: s.URL, cookies: map[string]string{}}
	_, login := b.do("GET", "/console/login", nil)
	b.do("POST", "/console/login", url.Values{"key": {s.Key}, "csrf": {formToken(t, login)}})
	if _, page := b.do("GET", "/console", nil); !strings.Contains(page, `data-disabled-notice="`+integ.ID+`"`) || !strings.Contains(page, "5 consecutive failed deliveries") {
		t.Error("the console's integration list has no notice of the disable")
	}
}
