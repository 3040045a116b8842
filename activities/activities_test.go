package activities_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/activities"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/test/testenv"
)

// fixture is the activities on their own Postgres database, run through the
// SDK's activity test environment (heartbeats, contexts and payload
// conversion as a worker gives them).
type fixture struct {
	st   *store.Store
	acts *activities.Activities
	env  *testsuite.TestActivityEnvironment
	team string
	cfg  config.Config
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st := testenv.NewStore(t)
	team, _ := testenv.Team(t, st)
	cfg := config.Defaults()
	cfg.AllowPrivateDestinations = "true" // receivers are on loopback
	acts := activities.New(&cfg, st, nil)
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(acts)
	return &fixture{st: st, acts: acts, env: env, team: team, cfg: cfg}
}

func (f *fixture) integration(t *testing.T, url string, events ...string) store.Integration {
	t.Helper()
	in, err := f.st.CreateIntegration(context.Background(), store.Integration{TeamID: f.team, Name: "hook-" + events[0],
		Type: herald.IntegrationWebhook, URL: url, Events: events, Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func (f *fixture) record(t *testing.T, id, typ string) []contract.PlannedDelivery {
	t.Helper()
	v, err := f.env.ExecuteLocalActivity(f.acts.RecordEvent, contract.EventInput{TeamID: f.team, EventID: id, Type: typ,
		Data: json.RawMessage(`{"project":{"id":"p1"},"service":{"name":"Website"}}`), ReceivedAt: time.Now()})
	if err != nil {
		t.Fatalf("RecordEvent %s: %v", id, err)
	}
	var planned []contract.PlannedDelivery
	if err := v.Get(&planned); err != nil {
		t.Fatal(err)
	}
	return planned
}

// receiver answers status and counts requests.
func receiver(t *testing.T, status int) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n.Add(1)
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestRecordEventPlansADeliveryPerMatchingIntegration(t *testing.T) {
	f := newFixture(t)
	builds := f.integration(t, "https://example.com/b", "build:*")
	f.integration(t, "https://example.com/d", "deployment:*")
	planned := f.record(t, "evt-1", "build:start")
	if len(planned) != 1 || planned[0].IntegrationID != builds.ID || planned[0].Status != herald.DeliveryPending || planned[0].Retry != f.cfg.Retry {
		t.Fatalf("planned %+v", planned)
	}
	// Recording again (a retried local activity) plans the same delivery.
	if again := f.record(t, "evt-1", "build:start"); len(again) != 1 || again[0].DeliveryID != planned[0].DeliveryID {
		t.Errorf("recorded twice: %+v, then %+v", planned, again)
	}
}

func TestDeliverSendsAndRecordsOnce(t *testing.T) {
	f := newFixture(t)
	ok, sent := receiver(t, http.StatusOK)
	f.integration(t, ok.URL, "build:*")
	d := f.record(t, "evt-ok", "build:start")[0]
	in := contract.DeliverInput{DeliveryID: d.DeliveryID, AttemptNo: 1, Trigger: herald.TriggerAuto, Schedule: &contract.Schedule{Attempt: 1, Policy: d.Retry}}
	v, err := f.env.ExecuteActivity(f.acts.Deliver, in)
	if err != nil {
		t.Fatal(err)
	}
	var res contract.DeliverResult
	if err := v.Get(&res); err != nil || res.Outcome != herald.OutcomeDelivered || res.Status != herald.DeliveryDelivered {
		t.Fatalf("deliver: %+v %v", res, err)
	}
	if sent.Load() != 1 {
		t.Errorf("%d requests sent, want 1", sent.Load())
	}
	// Attempt 1 again is still one attempt row: (delivery, attempt number) is
	// the record's key. (A retried execution, Attempt > 1 in Temporal, does not
	// even send: test/e2e TestAttemptLostWithItsWorkerIsRetriedElsewhere.)
	if _, err = f.env.ExecuteActivity(f.acts.Deliver, in); err != nil {
		t.Fatal(err)
	}
	atts, err := f.st.Attempts(context.Background(), d.DeliveryID)
	if err != nil || len(atts) != 1 || atts[0].Outcome != herald.OutcomeDelivered {
		t.Errorf("%d attempts recorded (%v), want 1", len(atts), err)
	}
	got, err := f.st.GetDelivery(context.Background(), f.team, d.DeliveryID)
	if err != nil || got.Status != herald.DeliveryDelivered || got.AttemptCount != 1 {
		t.Errorf("delivery after the attempt %+v %v", got, err)
	}
}

func TestDeliverSchedulesTheRetry(t *testing.T) {
	f := newFixture(t)
	bad, _ := receiver(t, http.StatusInternalServerError)
	f.integration(t, bad.URL, "build:*")
	d := f.record(t, "evt-500", "build:start")[0]
	v, err := f.env.ExecuteActivity(f.acts.Deliver, contract.DeliverInput{DeliveryID: d.DeliveryID, AttemptNo: 1,
		Trigger: herald.TriggerAuto, Schedule: &contract.Schedule{Attempt: 1, Policy: d.Retry}})
	if err != nil {
		t.Fatal(err)
	}
	var res contract.DeliverResult
	// The documented schedule (README, "Retries"): the first retry after
	// 5 s, spread by ±20 %: from 4 to 6 s.
	if err := v.Get(&res); err != nil || res.Outcome != herald.OutcomeRetry || res.Status != herald.DeliveryRetrying ||
		res.Delay < 4*time.Second || res.Delay > 6*time.Second {
		t.Errorf("a 500: %+v %v, want retrying after 4 to 6 s", res, err)
	}
}

func TestFinishDelivery(t *testing.T) {
	f := newFixture(t)
	f.integration(t, "https://example.com/x", "build:*")
	d := f.record(t, "evt-fin", "build:start")[0]
	if _, err := f.env.ExecuteLocalActivity(f.acts.FinishDelivery, contract.FinishInput{DeliveryID: d.DeliveryID, Status: herald.DeliveryRetrying}); err == nil {
		t.Error("finishing with a status that is not final was accepted")
	}
	if _, err := f.env.ExecuteLocalActivity(f.acts.FinishDelivery, contract.FinishInput{DeliveryID: d.DeliveryID, Status: herald.DeliveryFailed, Reason: "worker kept failing"}); err != nil {
		t.Fatal(err)
	}
	got, err := f.st.GetDelivery(context.Background(), f.team, d.DeliveryID)
	if err != nil || got.Status != herald.DeliveryFailed || got.Reason != "worker kept failing" {
		t.Errorf("finished delivery %+v %v", got, err)
	}
}

func TestDisableIntegrationOnce(t *testing.T) {
	f := newFixture(t)
	in := f.integration(t, "https://example.com/x", "build:*")
	disable := func() contract.DisabledIntegration {
		v, err := f.env.ExecuteLocalActivity(f.acts.DisableIntegration, contract.DisableInput{IntegrationID: in.ID, Reason: "5 failed deliveries in a row", By: contract.DisabledByHerald})
		if err != nil {
			t.Fatal(err)
		}
		var out contract.DisabledIntegration
		if err := v.Get(&out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	first := disable()
	if !first.Changed || first.TeamID != f.team || !strings.Contains(string(first.EventData), "5 failed deliveries in a row") {
		t.Errorf("first disable: %+v %s", first, first.EventData)
	}
	if second := disable(); second.Changed {
		t.Errorf("a second disable changed it again: %+v", second)
	}
	got, err := f.st.GetIntegration(context.Background(), f.team, in.ID)
	if err != nil || got.Enabled || got.DisabledBy != contract.DisabledByHerald {
		t.Errorf("integration after disable %+v %v", got, err)
	}
}

func TestBuildGroupMessage(t *testing.T) {
	f := newFixture(t)
	f.integration(t, "https://example.com/x", "alert:*")
	var held []contract.AlertSignal
	for _, id := range []string{"al-1", "al-2", "al-3"} {
		d := f.record(t, id, "alert:high-memory")[0]
		held = append(held, contract.AlertSignal{DeliveryID: d.DeliveryID, EventID: id, Type: "alert:high-memory", ReceivedAt: time.Now()})
	}
	v, err := f.env.ExecuteLocalActivity(f.acts.BuildGroupMessage, contract.GroupMessageInput{TeamID: f.team, Key: "k1", Held: held})
	if err != nil {
		t.Fatal(err)
	}
	var msg contract.GroupMessage
	if err := v.Get(&msg); err != nil {
		t.Fatal(err)
	}
	var data struct {
		Summary  string
		Count    int
		Services []string
	}
	if err := json.Unmarshal(msg.Data, &data); err != nil || data.Count != 3 || !strings.Contains(data.Summary, "3 × high-memory") || len(data.Services) != 1 || data.Services[0] != "Website" {
		t.Errorf("group message %s (%v)", msg.Data, err)
	}
}

func TestRecordEventHandsAlertsToTheirGroup(t *testing.T) {
	f := newFixture(t)
	// Chat integrations group alerts by default; a webhook passes each through.
	if _, err := f.st.CreateIntegration(context.Background(), store.Integration{TeamID: f.team, Name: "chat",
		Type: herald.IntegrationSlack, URL: "https://hooks.slack.com/services/T/B/x", Events: []string{"alert:*"}, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	hook := f.integration(t, "https://example.com/x", "alert:*")
	grouped := func(planned []contract.PlannedDelivery) []contract.PlannedDelivery {
		var out []contract.PlannedDelivery
		for _, p := range planned {
			if p.IntegrationID == hook.ID {
				if p.Group != nil {
					t.Errorf("the webhook's alert was grouped: %+v", p.Group)
				}
				continue
			}
			out = append(out, p)
		}
		return out
	}
	first := grouped(f.record(t, "grp-1", "alert:high-memory"))
	second := grouped(f.record(t, "grp-2", "alert:high-memory"))
	if len(first) != 1 || first[0].Group == nil || second[0].Group == nil {
		t.Fatalf("alerts not planned for a group: %+v / %+v", first, second)
	}
	if first[0].Group.WorkflowID != second[0].Group.WorkflowID || first[0].Group.Key != second[0].Group.Key {
		t.Errorf("two alerts of one kind, project and service went to different groups: %+v / %+v", first[0].Group, second[0].Group)
	}
	resolved := grouped(f.record(t, "grp-3", "alert:high-memory:resolved"))
	if len(resolved) != 1 || resolved[0].Resolve == nil || resolved[0].Resolve.WorkflowID != first[0].Group.WorkflowID {
		t.Errorf("the resolving event does not close the group: %+v", resolved)
	}
	if other := grouped(f.record(t, "build-1", "alert:container-crash")); len(other) == 1 && other[0].Group != nil && other[0].Group.Key == first[0].Group.Key {
		t.Errorf("another alert type joined the high-memory group: %+v", other[0].Group)
	}
}

// Herald's own events have no project: an integration limited to some
// projects still hears that another integration of its team was disabled.
func TestOwnEventsReachProjectRestrictedIntegrations(t *testing.T) {
	f := newFixture(t)
	in, err := f.st.CreateIntegration(context.Background(), store.Integration{TeamID: f.team, Name: "ops-p1",
		Type: herald.IntegrationWebhook, URL: "https://example.com/ops", Events: []string{"integration:*", "build:*"}, Projects: []string{"p1"}, Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := f.record(t, "own-1", "integration:disabled"); len(got) != 1 || got[0].IntegrationID != in.ID {
		t.Errorf("integration:disabled planned %+v, want a delivery to the p1-only integration", got)
	}
	// Other events keep the restriction: a build of project p2 does not go there.
	v, err := f.env.ExecuteLocalActivity(f.acts.RecordEvent, contract.EventInput{TeamID: f.team, EventID: "b-p2", Type: "build:start",
		ProjectID: "p2", Data: json.RawMessage(`{"project":{"id":"p2"}}`), ReceivedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	var planned []contract.PlannedDelivery
	if err := v.Get(&planned); err != nil || len(planned) != 0 {
		t.Errorf("a p2 build planned %+v (%v), want none", planned, err)
	}
}
