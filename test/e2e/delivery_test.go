package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/internal/redact"
	"github.com/heraldhq/herald/internal/retry"
	"github.com/heraldhq/herald/test/testenv"
)

// seedBuildStart is the example body of the seed's documentation, verbatim.
const seedBuildStart = `{
  "event": "build:start",
  "data": {
    "build": {
      "id": "social-hour-1312",
      "branch": "master",
      "pullRequestId": null,
      "status": "STARTING",
      "sha": "ca624abed0d5ba0ad6e6fe28c396196b81f0200d",
      "concluded": false,
      "createdAt": "2022-01-19T09:04:40.916Z"
    },
    "service": {
      "id": "website",
      "name": "Website"
    },
    "project": {
      "id": "personal-blog",
      "name": "Personal Blog"
    },
    "user": {
      "id": "thomas"
    }
  }
}`

func TestSeedExampleArrivesWithSeedHeadersAndVerifiableSignature(t *testing.T) {
	s := testenv.NewStack(t)
	recv := testenv.NewReceiver(t)
	integ := s.CreateIntegration(t, map[string]any{
		"name": "blog-hook", "type": "webhook", "url": recv.URL + "/hook",
		"generateSecret": true, "events": []string{"build:*"},
	})
	if len(integ.Secret) < len("whsec_")+40 || integ.Secret[:6] != "whsec_" {
		t.Fatalf("generated secret %q: want whsec_ and base64 of 32 bytes", integ.Secret)
	}

	r := s.Do(t, http.MethodPost, "/v1/events", s.Key, seedBuildStart, "Idempotency-Key", "seed-1")
	if r.Status != http.StatusAccepted {
		t.Fatalf("post: %d %s", r.Status, r.Body)
	}
	var accepted struct{ ID, WorkflowID string }
	r.JSON(t, &accepted)
	if accepted.ID != "seed-1" || accepted.WorkflowID != contract.EventWorkflowID(s.Team, "seed-1") {
		t.Fatalf("202 body %s", r.Body)
	}
	res := s.AwaitWorkflow(t, accepted.WorkflowID)
	if res.Status != contract.StatusDelivered || len(res.Deliveries) != 1 {
		t.Fatalf("workflow result %+v", res)
	}

	reqs := recv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("receiver got %d requests, want 1", len(reqs))
	}
	got := reqs[0]
	if got.Method != http.MethodPost || got.Path != "/hook" {
		t.Errorf("request %s %s", got.Method, got.Path)
	}
	// The body is the seed's {"event","data"} with data unchanged (compacted, key order kept).
	var want bytes.Buffer
	if err := json.Compact(&want, []byte(seedBuildStart)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Body, want.Bytes()) {
		t.Errorf("body\n got %s\nwant %s", got.Body, want.Bytes())
	}
	prefix := "X-Northflank-Notification-Integration-"
	for name, value := range map[string]string{
		prefix + "Id":         integ.ID,
		prefix + "Name":       "blog-hook",
		prefix + "Token":      integ.Secret,
		prefix + "Event-Id":   "seed-1",
		prefix + "Event-Type": "build:start",
		"Content-Type":        "application/json",
		"Webhook-Id":          res.Deliveries[0].DeliveryID,
	} {
		if v := got.Header.Get(name); v != value {
			t.Errorf("header %s = %q, want %q", name, v, value)
		}
	}
	wh, err := standardwebhooks.NewWebhook(integ.Secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := wh.Verify(got.Body, got.Header); err != nil {
		t.Errorf("Standard Webhooks verification: %v", err)
	}

	// The API shows the delivery, its attempt, and masks the token header.
	d := s.Delivery(t, res.Deliveries[0].DeliveryID)
	if d.Status != herald.DeliveryDelivered || d.Attempts != 1 || len(d.AttemptLog) != 1 {
		t.Fatalf("delivery %+v", d)
	}
	a := d.AttemptLog[0]
	if a.Response == nil || a.Response.Status != 200 || a.Response.Body != "ok" || a.Trigger != herald.TriggerAuto {
		t.Errorf("attempt %+v", a)
	}
	if a.Request.URL != redact.URL(recv.URL+"/hook") || a.Request.Body != want.String() {
		t.Errorf("attempt request %+v", a.Request)
	}
	if tok := a.Request.Headers[prefix+"Token"]; len(tok) != 1 || tok[0] == integ.Secret {
		t.Errorf("stored token header %q: want it masked", tok)
	}
}

func TestHeaderPrefixIsConfigurable(t *testing.T) {
	s := testenv.NewStack(t, func(c *config.Config) { c.WebhookHeaderPrefix = "X-Herald-" })
	recv := testenv.NewReceiver(t)
	s.CreateIntegration(t, map[string]any{"name": "prefixed", "type": "webhook", "url": recv.URL, "events": []string{"*"}})
	s.AwaitWorkflow(t, s.PostEvent(t, map[string]any{"event": "build:start", "data": map[string]any{}}))
	h := recv.Requests()[0].Header
	if h.Get("X-Herald-Event-Type") != "build:start" || h.Get("X-Northflank-Notification-Integration-Event-Type") != "" {
		t.Errorf("headers %v", h)
	}
	// No secret: no token and no signature.
	if h.Get("X-Herald-Token") != "" || h.Get("Webhook-Signature") != "" {
		t.Errorf("unsigned integration sent token or signature: %v", h)
	}
}

// fastRetry shortens the schedule so real retries take seconds.
func fastRetry(c *config.Config) {
	c.Retry = retry.Policy{InitialInterval: time.Second, BackoffCoefficient: 1, MaxInterval: time.Second, MaxAttempts: 5}
}

func TestRetriesAreRecordedInOrder(t *testing.T) {
	s := testenv.NewStack(t, fastRetry)
	recv := testenv.NewReceiver(t,
		testenv.Reply{Status: 500, Body: "first failure"},
		testenv.Reply{Status: 500, Body: "second failure"},
		testenv.Reply{Status: 200, Body: "finally"},
	)
	integ := s.CreateIntegration(t, map[string]any{"name": "flaky", "type": "webhook", "url": recv.URL, "events": []string{"job-run:*"}, "generateSecret": true})
	res := s.AwaitWorkflow(t, s.PostEvent(t, map[string]any{"event": "job-run:failure", "data": map[string]any{"job": map[string]any{"id": "nightly"}}}))
	if res.Status != contract.StatusDelivered {
		t.Fatalf("result %+v", res)
	}
	if n := len(recv.Requests()); n != 3 {
		t.Fatalf("receiver got %d requests, want 3", n)
	}
	d := s.Delivery(t, res.Deliveries[0].DeliveryID)
	if d.Status != herald.DeliveryDelivered || d.Attempts != 3 {
		t.Fatalf("delivery %+v", d)
	}
	want := []struct {
		code    int
		body    string
		outcome herald.Outcome
	}{{500, "first failure", herald.OutcomeRetry}, {500, "second failure", herald.OutcomeRetry}, {200, "finally", herald.OutcomeDelivered}}
	for i, w := range want {
		a := d.AttemptLog[i]
		if a.AttemptNo != i+1 || a.Response == nil || a.Response.Status != w.code || a.Response.Body != w.body || a.Outcome != w.outcome {
			t.Errorf("attempt %d: %+v (response %+v), want %+v", i+1, a, a.Response, w)
		}
		if i > 0 && a.StartedAt.Before(d.AttemptLog[i-1].StartedAt) {
			t.Errorf("attempt %d started before attempt %d", i+1, i)
		}
	}
	// Every attempt carries the same webhook-id (the delivery's id, signed
	// over) and event id: receivers can dedupe on either.
	reqs := recv.Requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 3", len(reqs))
	}
	for i, r := range reqs {
		if got := r.Header.Get("Webhook-Id"); got != d.ID {
			t.Errorf("attempt %d: webhook-id %q, want the delivery id %q", i+1, got, d.ID)
		}
		wh, _ := standardwebhooks.NewWebhook(integ.Secret)
		if err := wh.Verify(r.Body, r.Header); err != nil {
			t.Errorf("attempt %d does not verify: %v", i+1, err)
		}
		if got, first := r.Header.Get("X-Northflank-Notification-Integration-Event-Id"), reqs[0].Header.Get("X-Northflank-Notification-Integration-Event-Id"); got == "" || got != first {
			t.Errorf("attempt %d: event id header %q, want %q on every attempt", i+1, got, first)
		}
	}
}

func TestPermanentFailureIsNotRetried(t *testing.T) {
	s := testenv.NewStack(t, fastRetry)
	recv := testenv.NewReceiver(t, testenv.Reply{Status: 422, Body: "unprocessable"})
	s.CreateIntegration(t, map[string]any{"name": "strict", "type": "webhook", "url": recv.URL, "events": []string{"*"}})
	res := s.AwaitWorkflow(t, s.PostEvent(t, map[string]any{"event": "backup:failure"}))
	if res.Status != contract.StatusFailed || res.Deliveries[0].Status != herald.DeliveryFailed {
		t.Fatalf("result %+v", res)
	}
	if n := len(recv.Requests()); n != 1 {
		t.Fatalf("receiver got %d requests, want 1", n)
	}
	d := s.Delivery(t, res.Deliveries[0].DeliveryID)
	if d.Status != herald.DeliveryFailed || d.Reason == "" || d.AttemptLog[0].Outcome != herald.OutcomePermanent {
		t.Errorf("delivery %+v", d)
	}
}

func TestSameEventIDIsDeliveredOnce(t *testing.T) {
	s := testenv.NewStack(t)
	recv := testenv.NewReceiver(t)
	s.CreateIntegration(t, map[string]any{"name": "once", "type": "webhook", "url": recv.URL, "events": []string{"*"}})
	body := map[string]any{"id": "dup-1", "event": "deployment:success", "data": map[string]any{"n": 1}}

	var wg sync.WaitGroup
	ids := make([]string, 12)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ids[i] = s.PostEvent(t, body)
		}()
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("workflow ids differ: %v", ids)
		}
	}
	s.AwaitWorkflow(t, ids[0])
	// After the workflow closed: by body id and by Idempotency-Key.
	if id := s.PostEvent(t, body); id != ids[0] {
		t.Errorf("repeat after close: workflow %s", id)
	}
	r := s.Do(t, http.MethodPost, "/v1/events", s.Key, map[string]any{"event": "deployment:success"}, "Idempotency-Key", "dup-1")
	if r.Status != http.StatusAccepted {
		t.Errorf("repeat by Idempotency-Key: %d %s", r.Status, r.Body)
	}
	// Give a wrongly started second run every chance to deliver before counting.
	time.Sleep(500 * time.Millisecond)
	if n := len(recv.Requests()); n != 1 {
		t.Fatalf("receiver got %d requests, want exactly 1", n)
	}
	ctx := context.Background()
	resp, err := s.Temporal.CountWorkflow(ctx, countRequest(s.Team))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Count != 1 {
		t.Errorf("%d workflow runs for the team, want 1", resp.Count)
	}
}

func TestProjectRestrictionAndPatterns(t *testing.T) {
	s := testenv.NewStack(t)
	projA := testenv.NewReceiver(t)
	builds := testenv.NewReceiver(t)
	s.CreateIntegration(t, map[string]any{"name": "project-a", "type": "webhook", "url": projA.URL, "events": []string{"*"}, "projects": []string{"proj-a"}})
	s.CreateIntegration(t, map[string]any{"name": "builds", "type": "webhook", "url": builds.URL, "events": []string{"build:*"}})

	send := func(typ, project string) contract.EventResult {
		return s.AwaitWorkflow(t, s.PostEvent(t, map[string]any{"event": typ, "data": map[string]any{"project": map[string]any{"id": project}}}))
	}
	if res := send("build:success", "proj-b"); len(res.Deliveries) != 1 {
		t.Errorf("build:success in proj-b: %d deliveries, want 1 (builds only)", len(res.Deliveries))
	}
	if res := send("job-run:success", "proj-b"); len(res.Deliveries) != 0 || res.Status != contract.StatusNone {
		t.Errorf("job-run:success in proj-b: %+v, want no delivery", res)
	}
	if res := send("job-run:success", "proj-a"); len(res.Deliveries) != 1 {
		t.Errorf("job-run:success in proj-a: %d deliveries, want 1 (project-a only)", len(res.Deliveries))
	}
	if res := send("build:failure", "proj-a"); len(res.Deliveries) != 2 {
		t.Errorf("build:failure in proj-a: %d deliveries, want 2", len(res.Deliveries))
	}
	if n := len(projA.Requests()); n != 2 {
		t.Errorf("project-a receiver got %d, want 2", n)
	}
	if n := len(builds.Requests()); n != 2 {
		t.Errorf("builds receiver got %d, want 2", n)
	}
	for _, r := range builds.Requests() {
		var b struct{ Event string }
		if err := json.Unmarshal(r.Body, &b); err != nil || (b.Event != "build:success" && b.Event != "build:failure") {
			t.Errorf("builds receiver got %s", r.Body)
		}
	}
}

func TestEventMatchingNothingCompletesCleanly(t *testing.T) {
	s := testenv.NewStack(t)
	recv := testenv.NewReceiver(t)
	s.CreateIntegration(t, map[string]any{"name": "builds-only", "type": "webhook", "url": recv.URL, "events": []string{"build:start"}})
	res := s.AwaitWorkflow(t, s.PostEvent(t, map[string]any{"id": "lonely", "event": "billing:invoice-paid", "data": map[string]any{}}))
	if res.Status != contract.StatusNone || len(res.Deliveries) != 0 {
		t.Fatalf("result %+v", res)
	}
	r := s.Do(t, http.MethodGet, "/v1/events/lonely", s.Key, nil)
	var ev api.EventView
	r.JSON(t, &ev)
	if r.Status != 200 || ev.Event != "billing:invoice-paid" || len(ev.Deliveries) != 0 {
		t.Errorf("event %d %s", r.Status, r.Body)
	}
	if len(recv.Requests()) != 0 {
		t.Errorf("receiver got a request")
	}
}

func TestUnreachableReceiverIsRetriedThenFails(t *testing.T) {
	s := testenv.NewStack(t, func(c *config.Config) {
		fastRetry(c)
		c.Retry.MaxAttempts = 2
	})
	recv := testenv.NewReceiver(t)
	url := recv.URL
	recv.Close() // nothing listens there any more
	s.CreateIntegration(t, map[string]any{"name": "down", "type": "webhook", "url": url, "events": []string{"*"}})
	res := s.AwaitWorkflow(t, s.PostEvent(t, map[string]any{"event": "deployment:failure"}))
	d := s.Delivery(t, res.Deliveries[0].DeliveryID)
	if d.Status != herald.DeliveryFailed || d.Attempts != 2 {
		t.Fatalf("delivery %+v", d)
	}
	for _, a := range d.AttemptLog {
		if a.Response != nil || a.Error == "" || a.Outcome != herald.OutcomeRetry {
			t.Errorf("attempt %+v", a)
		}
	}
	if want := "gave up after 2 attempts"; len(d.Reason) < len(want) || d.Reason[:len(want)] != want {
		t.Errorf("reason %q", d.Reason)
	}
}
