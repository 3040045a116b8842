package workflows_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/activities"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/test/testenv"
	"github.com/heraldhq/herald/workflows"
	"github.com/stretchr/testify/mock"
)

// alertDelivery records an alert event with a grouped delivery to integ, as
// EventWorkflow would, and returns the signal that hands it to its group.
func (f *fixture) alertDelivery(t *testing.T, integ store.Integration, id, service string, at time.Time) contract.AlertSignal {
	t.Helper()
	ctx := context.Background()
	refs, err := f.st.RecordEvent(ctx, store.Event{TeamID: f.team, ID: id, Type: "alert:high-memory",
		Data:       json.RawMessage(`{"service":{"id":"` + service + `","name":"` + service + `"},"project":{"id":"p"}}`),
		WorkflowID: contract.EventWorkflowID(f.team, id), ReceivedAt: at}, store.Match{Only: integ.ID})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.st.MarkGrouped(ctx, []string{refs[0].ID}); err != nil {
		t.Fatal(err)
	}
	return contract.AlertSignal{DeliveryID: refs[0].ID, EventID: id, Type: "alert:high-memory", ReceivedAt: at}
}

type groupBody struct {
	Event string
	Data  struct {
		Count    int
		Kind     string
		Services []string
		Summary  string
	}
}

func bodies(t *testing.T, r *testenv.Receiver) []groupBody {
	t.Helper()
	var out []groupBody
	for _, req := range r.Requests() {
		var b groupBody
		if err := json.Unmarshal(req.Body, &b); err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

func TestHundredAlertsMakeOneMessageAndOneSummary(t *testing.T) {
	f := newFixture(t)
	recv := f.receiver(t)
	integ := f.integration(t, recv.URL, "alert:*")
	start := f.env.Now()
	first := f.alertDelivery(t, integ, "a-000", "website", start)
	for i := 1; i < 100; i++ {
		at := time.Duration(i) * 600 * time.Millisecond // 100 alerts within a minute
		sig := f.alertDelivery(t, integ, fmt.Sprintf("a-%03d", i), "website", start.Add(at))
		f.env.RegisterDelayedCallback(func() { f.env.SignalWorkflow(contract.SignalAlert, sig) }, at)
	}
	f.env.ExecuteWorkflow(workflows.AlertGroupWorkflow, contract.AlertGroupInput{
		TeamID: f.team, IntegrationID: integ.ID, Key: "k", GroupWait: 30 * time.Second, RepeatInterval: time.Hour,
		Held: []contract.AlertSignal{first},
	})
	if err := f.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	got := bodies(t, recv)
	if len(got) != 2 {
		t.Fatalf("%d messages, want one after groupWait and one summary", len(got))
	}
	reqs := recv.Requests()
	if d := reqs[0].At.Sub(start).Round(time.Second); d != 30*time.Second {
		t.Errorf("first message at %s, want after the 30 s groupWait", d)
	}
	if d := reqs[1].At.Sub(start).Round(time.Second); d != 30*time.Second+time.Hour {
		t.Errorf("summary at %s, want at the end of the 1 h repeatInterval", d)
	}
	if got[0].Event != "alert:group" || got[0].Data.Kind != "grouped" || got[1].Data.Kind != "summary" ||
		got[0].Data.Count+got[1].Data.Count != 100 || got[0].Data.Count < 50 || got[0].Data.Count > 51 {
		t.Errorf("messages %+v", got)
	}
	// Every alert is accounted for: grouped, and linked to the message that carried it.
	var grouped, carried, carriers int
	if err := f.st.DB().QueryRow(`SELECT count(*) FILTER (WHERE status = 'grouped'), count(carrier_delivery_id),
		count(DISTINCT carrier_delivery_id) FROM deliveries d JOIN events e ON e.team_id = d.team_id AND e.id = d.event_id
		WHERE e.type = 'alert:high-memory'`).Scan(&grouped, &carried, &carriers); err != nil {
		t.Fatal(err)
	}
	if grouped != 100 || carried != 100 || carriers != 2 {
		t.Errorf("grouped %d, carried %d, by %d messages", grouped, carried, carriers)
	}
}

func TestResolveFlushesAndClosesTheGroup(t *testing.T) {
	f := newFixture(t)
	recv := f.receiver(t)
	integ := f.integration(t, recv.URL, "alert:*")
	start := f.env.Now()
	first := f.alertDelivery(t, integ, "r-1", "api", start)
	second := f.alertDelivery(t, integ, "r-2", "api", start.Add(time.Second))
	f.env.RegisterDelayedCallback(func() { f.env.SignalWorkflow(contract.SignalAlert, second) }, time.Second)
	f.env.RegisterDelayedCallback(func() { f.env.SignalWorkflow(contract.SignalResolve, nil) }, 5*time.Second)
	f.env.ExecuteWorkflow(workflows.AlertGroupWorkflow, contract.AlertGroupInput{
		TeamID: f.team, IntegrationID: integ.ID, Key: "k", GroupWait: 30 * time.Second, RepeatInterval: time.Hour,
		Held: []contract.AlertSignal{first},
	})
	if err := f.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	reqs := recv.Requests()
	if len(reqs) != 1 || reqs[0].At.Sub(start).Round(time.Second) != 5*time.Second || bodies(t, recv)[0].Data.Count != 2 {
		t.Errorf("want the two held alerts flushed at the resolve (5 s): %d requests", len(reqs))
	}
}

func TestResolvingEventIsDeliveredAtOnce(t *testing.T) {
	f := newFixture(t)
	recv := f.receiver(t)
	f.integration(t, recv.URL, "alert:*")
	// No group is running: the in-memory environment answers the resolve
	// signal as the server would (not found); the real stack test sends it for real.
	f.env.OnSignalExternalWorkflow(mock.Anything, mock.Anything, "", contract.SignalResolve, mock.Anything).
		Return(errors.New("workflow not found"))
	start := f.env.Now()
	res := f.run(t, "alert:high-memory:resolved")
	if res.Status != contract.StatusDelivered || len(recv.Requests()) != 1 || recv.Requests()[0].At.Sub(start) > time.Second {
		t.Errorf("resolve: %+v, %d requests", res, len(recv.Requests()))
	}
}

// With no policy set anywhere, the group's timing is the default one: the
// plan EventWorkflow's record step makes for an alert (real RecordEvent, no
// policy in the team or the integration) waits 30 s before its first message.
func TestAlertGroupUnderTheDefaultPolicy(t *testing.T) {
	f := newFixture(t)
	recv := f.receiver(t, testenv.Reply{Status: 200, Body: "ok"})
	// A chat channel: chat groups alerts by default (webhooks pass them through).
	integ := f.integrationWith(t, store.Integration{Type: herald.IntegrationSlack, URL: recv.URL + "/slack", Events: []string{"alert:*"}})
	cfg := config.Defaults()
	cfg.AllowPrivateDestinations = "true"
	acts := activities.New(&cfg, f.st, nil)
	start := f.env.Now()
	in := f.input("default-1", "alert:high-memory")
	in.ReceivedAt = start
	planned, err := acts.RecordEvent(context.Background(), in)
	if err != nil || len(planned) != 1 || planned[0].Group == nil {
		t.Fatalf("planned %+v (%v)", planned, err)
	}
	g := planned[0].Group
	if g.GroupWait != 30*time.Second || g.RepeatInterval != time.Hour {
		t.Errorf("default plan waits %s and repeats after %s, want 30s and 1h", g.GroupWait, g.RepeatInterval)
	}
	if err := f.st.MarkGrouped(context.Background(), []string{planned[0].DeliveryID}); err != nil {
		t.Fatal(err)
	}
	f.env.ExecuteWorkflow(workflows.AlertGroupWorkflow, contract.AlertGroupInput{
		TeamID: f.team, IntegrationID: integ.ID, Key: g.Key, GroupWait: g.GroupWait, RepeatInterval: g.RepeatInterval,
		Held: []contract.AlertSignal{{DeliveryID: planned[0].DeliveryID, EventID: in.EventID, Type: in.Type, ReceivedAt: start}},
	})
	if err := f.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	reqs := recv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d messages, want the group's first", len(reqs))
	}
	if d := reqs[0].At.Sub(start).Round(time.Second); d != 30*time.Second {
		t.Errorf("first message at %s, want at the default 30 s groupWait", d)
	}
	// One alert held: sent as itself, richly (not as an alert:group count).
	if body := string(reqs[0].Body); !strings.Contains(body, "High memory usage") || strings.Contains(body, "alert:group") {
		t.Errorf("a lone alert's message: %s", body)
	}
}
