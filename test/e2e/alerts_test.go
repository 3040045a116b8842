package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/test/fakes"
	"github.com/heraldhq/herald/test/testenv"
)

// A burst of 50 alert:high-cpu events for one service reaches Slack as at
// most 2 messages, and every event is accounted for in the deliveries API.
func TestAlertBurstIsGrouped(t *testing.T) {
	s := testenv.NewStack(t)
	slack := fakes.NewSlack(t)
	r := s.Do(t, http.MethodPut, "/v1/alert-policy", s.Key, map[string]any{"groupWait": "3s", "repeatInterval": "4s"})
	var pol api.AlertPolicyView
	r.JSON(t, &pol)
	if r.Status != 200 || pol.GroupWait != "3s" || !pol.Custom {
		t.Fatalf("alert policy: %d %s", r.Status, r.Body)
	}
	integ := createChat(t, s, "slack", "ops-alerts", slack.URL("ok"), map[string]any{"events": []string{"alert:*", "build:*"}})
	before := len(slack.Accepted()) // the confirmation

	var wg sync.WaitGroup
	sem := make(chan struct{}, 10)
	for i := range 50 {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			s.PostEvent(t, map[string]any{"id": fmt.Sprintf("cpu-%02d", i), "event": "alert:high-cpu",
				"data": map[string]any{"service": map[string]any{"id": "website", "name": "Website"}, "project": map[string]any{"id": "blog"}, "alert": map[string]any{"value": fmt.Sprintf("%d%%", 90+i%10)}}})
		}()
	}
	// Another service's alerts form their own group.
	for i := range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.PostEvent(t, map[string]any{"id": fmt.Sprintf("worker-%d", i), "event": "alert:high-cpu",
				"data": map[string]any{"service": map[string]any{"id": "worker", "name": "Worker"}, "project": map[string]any{"id": "blog"}}})
		}()
	}
	// A non-alert event is never held by the group: it is delivered on its own
	// (no carrier), not with the alerts. (How long it took is a benchmark's
	// business: under two test packages at once a wall-clock bound flakes.)
	built := s.AwaitWorkflow(t, s.PostEvent(t, map[string]any{"id": "not-an-alert", "event": "build:start"}))
	if len(built.Deliveries) != 1 || built.Deliveries[0].Status != "delivered" {
		t.Fatalf("the build event: %+v", built)
	}
	if d := s.Delivery(t, built.Deliveries[0].DeliveryID); d.CarrierDeliveryID != nil {
		t.Errorf("the build event was carried by the alert group %s", *d.CarrierDeliveryID)
	}
	wg.Wait()

	workerCarriers := map[string]bool{}
	carried := func() (int, map[string]bool) {
		n, carriers := 0, map[string]bool{}
		cursor := ""
		for {
			r := s.Do(t, http.MethodGet, "/v1/integrations/"+integ.ID+"/deliveries?status=grouped&limit=200&cursor="+cursor, s.Key, nil)
			var p api.Page[api.DeliveryView]
			r.JSON(t, &p)
			for _, d := range p.Data {
				switch {
				case d.CarrierDeliveryID == nil:
				case strings.HasPrefix(d.EventID, "worker-"):
					workerCarriers[*d.CarrierDeliveryID] = true
				default:
					n++
					carriers[*d.CarrierDeliveryID] = true
				}
			}
			if cursor = p.NextCursor; cursor == "" {
				return n, carriers
			}
		}
	}
	testenv.Await(t, "all 50 alerts carried by group messages", func() bool { n, _ := carried(); return n == 50 })
	_, carriers := carried()
	testenv.Await(t, "the worker's alerts carried", func() bool { carried(); return len(workerCarriers) > 0 })
	for id := range workerCarriers {
		if carriers[id] {
			t.Error("one message carried alerts of two services")
		}
	}
	for id := range carriers {
		testenv.Await(t, "carrier delivered", func() bool { return s.Delivery(t, id).Status == herald.DeliveryDelivered })
	}
	msgs := slack.Accepted()[before:]
	alertMsgs := 0
	for _, m := range msgs {
		var body struct{ Text string }
		_ = json.Unmarshal(m, &body)
		if strings.Contains(body.Text, "high-cpu") && strings.Contains(body.Text, "Website") {
			alertMsgs++
		}
	}
	if alertMsgs == 0 || alertMsgs > 2 || len(carriers) > 2 {
		t.Errorf("%d alert messages (%d carriers) reached Slack, want 1 or 2: %s", alertMsgs, len(carriers), msgs)
	}
	if len(slack.Rejected()) != 0 {
		t.Errorf("Slack rejected %v", slack.Rejected())
	}
}

// A lone alert arrives as itself: to a webhook at once with the seed's body
// (webhooks pass alerts through), to Slack after the group's wait as a rich
// message naming the service and the value, not as an alert:group count.
func TestALoneAlertArrivesAsItself(t *testing.T) {
	s := testenv.NewStack(t)
	r := s.Do(t, http.MethodPut, "/v1/alert-policy", s.Key, map[string]any{"groupWait": "1s"})
	var pol api.AlertPolicyView
	r.JSON(t, &pol)
	if r.Status != 200 || pol.Disabled || pol.WebhooksGrouped {
		t.Fatalf("alert policy (chat grouped, webhooks not): %d %s", r.Status, r.Body)
	}
	recv := testenv.NewReceiver(t)
	hook := s.CreateIntegration(t, map[string]any{"name": "alert-hook", "type": "webhook", "url": recv.URL, "events": []string{"alert:*"}})
	slack := fakes.NewSlack(t)
	createChat(t, s, "slack", "alert-chat", slack.URL("ok"), map[string]any{"events": []string{"alert:*"}})
	before := len(slack.Accepted())

	data := map[string]any{"alert": map[string]any{"container": "website-7d9f", "value": "93%", "threshold": "90%"},
		"service": map[string]any{"id": "website", "name": "Website"}, "project": map[string]any{"id": "blog", "name": "Blog"}}
	res := s.AwaitWorkflow(t, s.PostEvent(t, map[string]any{"id": "lone-1", "event": "alert:high-memory", "data": data}))
	for _, o := range res.Deliveries {
		if o.IntegrationID != hook.ID {
			continue
		}
		d := s.Delivery(t, o.DeliveryID)
		if d.Status != herald.DeliveryDelivered || d.CarrierDeliveryID != nil || len(d.AttemptLog) != 1 {
			t.Errorf("the webhook's delivery %+v: want delivered on its own", d)
		}
	}
	if len(recv.Requests()) != 1 {
		t.Fatalf("webhook got %d requests, want the alert itself", len(recv.Requests()))
	}
	var body struct {
		Event string
		Data  map[string]any
	}
	if err := json.Unmarshal(recv.Requests()[0].Body, &body); err != nil || body.Event != "alert:high-memory" || body.Data["service"] == nil {
		t.Errorf("webhook body %s (%v): want the seed's {event, data} of alert:high-memory", recv.Requests()[0].Body, err)
	}

	testenv.Await(t, "the Slack message", func() bool { return len(slack.Accepted()) > before })
	msg := string(slack.Accepted()[before])
	if !strings.Contains(msg, "Website") || !strings.Contains(msg, "93%") || strings.Contains(msg, "alert:group") {
		t.Errorf("Slack message for a lone alert: %s", msg)
	}
}

// A team that sets disabled: false asks for grouping everywhere: the policy
// view says webhooks group too.
func TestTeamCanGroupWebhookAlerts(t *testing.T) {
	s := testenv.NewStack(t)
	r := s.Do(t, http.MethodPut, "/v1/alert-policy", s.Key, map[string]any{"disabled": false})
	var pol api.AlertPolicyView
	r.JSON(t, &pol)
	if r.Status != 200 || pol.Disabled || !pol.WebhooksGrouped {
		t.Errorf("alert policy with disabled: false: %d %s", r.Status, r.Body)
	}
	r = s.Do(t, http.MethodPut, "/v1/alert-policy", s.Key, map[string]any{"disabled": true})
	r.JSON(t, &pol)
	if r.Status != 200 || !pol.Disabled || pol.WebhooksGrouped {
		t.Errorf("alert policy with disabled: true: %d %s", r.Status, r.Body)
	}
}
