package workflows_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/internal/eventtype"
	"github.com/heraldhq/herald/internal/jsontime"
	"github.com/heraldhq/herald/internal/retry"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/test/fakes"
	"github.com/heraldhq/herald/test/testenv"
	"github.com/heraldhq/herald/workflows"
)

func maxAttempts(n int) store.RetryJSON {
	return store.RetryJSON{V: &retry.Override{MaxAttempts: &n}}
}

func (f *fixture) integrationState(t *testing.T, id string) store.Integration {
	t.Helper()
	in, err := f.st.LoadIntegration(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func (f *fixture) attempts(t *testing.T, deliveryID string) []store.Attempt {
	t.Helper()
	atts, err := f.st.Attempts(context.Background(), deliveryID)
	if err != nil {
		t.Fatal(err)
	}
	return atts
}

// countChildren counts child workflows started, by workflow type.
func (f *fixture) countChildren() func(string) int {
	var mu sync.Mutex
	counts := map[string]int{}
	f.env.SetOnChildWorkflowStartedListener(func(info *workflow.Info, _ workflow.Context, _ converter.EncodedValues) {
		mu.Lock()
		defer mu.Unlock()
		counts[info.WorkflowType.Name]++
	})
	return func(name string) int {
		mu.Lock()
		defer mu.Unlock()
		return counts[name]
	}
}

func TestGoneDisablesAtOnceAndTellsTheTeam(t *testing.T) {
	f := newFixture(t)
	children := f.countChildren()
	gone := f.receiver(t, testenv.Reply{Status: 410, Body: "gone"})
	other := f.receiver(t)
	dead := f.integration(t, gone.URL, "*")
	f.integration(t, other.URL, eventtype.IntegrationDisabled)

	res := f.run(t, "build:start")
	if len(gone.Requests()) != 1 || res.Deliveries[0].Status != herald.DeliveryFailed {
		t.Fatalf("%d requests, %+v", len(gone.Requests()), res)
	}
	in := f.integrationState(t, dead.ID)
	if in.Enabled || in.DisabledReason != "the endpoint is gone" || in.DisabledBy != contract.DisabledByHerald {
		t.Errorf("integration %+v", in)
	}
	if n := children(contract.DisableWorkflow); n != 1 {
		t.Errorf("%d DisableWorkflows started, want 1", n)
	}
	reqs := other.Requests()
	if len(reqs) != 1 {
		t.Fatalf("the other integration got %d requests, want the integration:disabled event", len(reqs))
	}
	if got := reqs[0].Header.Get("X-Northflank-Notification-Integration-Event-Type"); got != eventtype.IntegrationDisabled {
		t.Errorf("event type %q", got)
	}
	if len(gone.Requests()) != 1 {
		t.Error("integration:disabled was sent to the disabled integration")
	}
}

// parallelEvents starts n event workflows at once, as a burst of events does.
func parallelEvents(ctx workflow.Context, ins []contract.EventInput) error {
	var futures []workflow.ChildWorkflowFuture
	for _, in := range ins {
		cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{WorkflowID: contract.EventWorkflowID(in.TeamID, in.EventID)})
		futures = append(futures, workflow.ExecuteChildWorkflow(cctx, contract.EventWorkflow, in))
	}
	for _, f := range futures {
		if err := f.Get(ctx, nil); err != nil {
			return err
		}
	}
	return nil
}

func TestFiftyConcurrentFailuresStartOneDisableWorkflow(t *testing.T) {
	f := newFixture(t)
	f.env.RegisterWorkflow(parallelEvents)
	children := f.countChildren()
	down := f.receiver(t)
	down.SetDefault(testenv.Reply{Status: 500, Body: "down"})
	integ := f.integrationWith(t, store.Integration{URL: down.URL, Events: []string{"*"}, Retry: maxAttempts(1)})

	ins := make([]contract.EventInput, 50)
	for i := range ins {
		ins[i] = f.input("burst-"+string(rune('a'+i/26))+string(rune('a'+i%26)), "job-run:failure")
	}
	f.env.ExecuteWorkflow(parallelEvents, ins)
	if err := f.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if n := children(contract.DisableWorkflow); n != 1 {
		t.Errorf("%d DisableWorkflows started, want exactly 1", n)
	}
	in := f.integrationState(t, integ.ID)
	if in.Enabled || in.ConsecutiveFailures < 5 {
		t.Errorf("integration %+v", in)
	}
	// Deliveries that came after the disable were skipped, not attempted.
	var skipped int
	if err := f.st.DB().QueryRow(`SELECT count(*) FROM deliveries WHERE status = 'skipped'`).Scan(&skipped); err != nil {
		t.Fatal(err)
	}
	if skipped+len(down.Requests()) != 50 {
		t.Errorf("%d skipped + %d attempted, want 50", skipped, len(down.Requests()))
	}
}

func TestResendWhileWaitingAttemptsAtOnce(t *testing.T) {
	f := newFixture(t)
	recv := f.receiver(t, testenv.Reply{Status: 500}, testenv.Reply{Status: 500}, testenv.Reply{Status: 500})
	f.integration(t, recv.URL, "*")
	var deliveryID string
	f.env.RegisterDelayedCallback(func() {
		if err := f.st.DB().QueryRow(`SELECT id FROM deliveries`).Scan(&deliveryID); err != nil {
			t.Error(err)
		}
		f.env.SignalWorkflow(contract.SignalResend, contract.ResendSignal{DeliveryID: deliveryID})
	}, 10*time.Second)
	res := f.run(t, "backup:failure")
	if res.Status != contract.StatusDelivered {
		t.Fatalf("result %+v", res)
	}
	// Attempts at 0 s and 5 s (auto), 10 s (the resend, instead of waiting to
	// 20 s), then the schedule resumes: 15 s after the resend.
	want := []time.Duration{5 * time.Second, 5 * time.Second, 15 * time.Second}
	got := gaps(recv.Requests())
	if len(got) != len(want) {
		t.Fatalf("gaps %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("gaps %v, want %v", got, want)
			break
		}
	}
	atts := f.attempts(t, deliveryID)
	triggers := []herald.Trigger{}
	for _, a := range atts {
		triggers = append(triggers, a.Trigger)
	}
	if len(atts) != 4 || atts[2].Trigger != herald.TriggerManual || atts[3].Trigger != herald.TriggerAuto {
		t.Errorf("triggers %v", triggers)
	}
}

func TestRecoveredSignalWakesWaitingDeliveries(t *testing.T) {
	f := newFixture(t)
	recv := f.receiver(t, testenv.Reply{Status: 503})
	hour := jsontime.Duration(time.Hour)
	integ := f.integrationWith(t, store.Integration{URL: recv.URL, Events: []string{"*"},
		Retry: store.RetryJSON{V: &retry.Override{InitialInterval: &hour}}})
	f.env.RegisterDelayedCallback(func() {
		f.env.SignalWorkflow(contract.SignalRecovered, contract.RecoveredSignal{IntegrationID: integ.ID})
	}, 100*time.Second)
	res := f.run(t, "deployment:failure")
	if res.Status != contract.StatusDelivered {
		t.Fatalf("result %+v", res)
	}
	if g := gaps(recv.Requests()); len(g) != 1 || g[0] != 100*time.Second {
		t.Errorf("gaps %v: want the retry at the recovery (100 s), not after an hour", g)
	}
}

// A recovery does not override the receiver's own Retry-After: the delivery
// waits the 60 s it was asked to, not until the recovery at 10 s.
func TestRecoveryDoesNotCutShortARetryAfter(t *testing.T) {
	f := newFixture(t)
	recv := f.receiver(t, testenv.Reply{Status: 429, Header: map[string]string{"Retry-After": "60"}})
	integ := f.integration(t, recv.URL, "*")
	f.env.RegisterDelayedCallback(func() {
		f.env.SignalWorkflow(contract.SignalRecovered, contract.RecoveredSignal{IntegrationID: integ.ID})
	}, 10*time.Second)
	res := f.run(t, "deployment:failure")
	if res.Status != contract.StatusDelivered {
		t.Fatalf("result %+v", res)
	}
	if g := gaps(recv.Requests()); len(g) != 1 || g[0] < 59*time.Second || g[0] > 61*time.Second {
		t.Errorf("gaps %v: want the retry after the receiver's 60 s, not at the recovery (10 s)", g)
	}
}

func TestResendOnlyRunAttemptsAFinishedDeliveryOnce(t *testing.T) {
	f := newFixture(t)
	recv := f.receiver(t, testenv.Reply{Status: 400, Body: "bad"})
	f.integration(t, recv.URL, "*")
	first := f.run(t, "build:failure")
	if first.Deliveries[0].Status != herald.DeliveryFailed {
		t.Fatalf("first run %+v", first)
	}

	// The workflow closed; a resend starts a resend-only run with the signal.
	f2 := &fixture{env: newEnv(t, f.st), st: f.st, team: f.team}
	id := first.Deliveries[0].DeliveryID
	f2.env.RegisterDelayedCallback(func() {
		f2.env.SignalWorkflow(contract.SignalResend, contract.ResendSignal{DeliveryID: id})
	}, 0)
	in := f.input("ev-build:failure", "build:failure")
	in.ResendOnly, in.Data = true, nil
	res := f2.runInput(t, in)
	if res.Deliveries[0].Status != herald.DeliveryDelivered || len(res.Deliveries) != 1 {
		t.Fatalf("resend run %+v", res)
	}
	atts := f.attempts(t, id)
	if len(atts) != 2 || atts[1].Trigger != herald.TriggerManual || atts[1].AttemptNo != 2 {
		t.Errorf("attempts %+v", atts)
	}
	if n := len(recv.Requests()); n != 2 {
		t.Errorf("%d requests", n)
	}
}

func TestProbeReEnablesARecoveredEndpoint(t *testing.T) {
	f := newFixture(t)
	recv := f.receiver(t, testenv.Reply{Status: 503}, testenv.Reply{Status: 503})
	other := f.receiver(t)
	integ := f.integrationWith(t, store.Integration{URL: recv.URL, Events: []string{"*"}, AutoRecover: true})
	f.integration(t, other.URL, eventtype.IntegrationRecovered)
	if _, _, err := f.st.DisableIntegration(context.Background(), integ.ID, "test", contract.DisabledByHerald); err != nil {
		t.Fatal(err)
	}
	f.env.ExecuteWorkflow(workflows.ProbeWorkflow, contract.ProbeInput{IntegrationID: integ.ID})
	var enabled bool
	if err := f.env.GetWorkflowResult(&enabled); err != nil || !enabled {
		t.Fatalf("probe: %v %v", enabled, err)
	}
	// Probes 1, 2 and 4 min apart: the third succeeds. (The re-enabled
	// integration, subscribed to *, then gets integration:recovered too.)
	var probes []testenv.Received
	for _, r := range recv.Requests() {
		if r.Header.Get("X-Northflank-Notification-Integration-Event-Type") == "integration:test" {
			probes = append(probes, r)
		}
	}
	if g := gaps(probes); len(probes) != 3 || g[0] != 2*time.Minute || g[1] != 4*time.Minute {
		t.Errorf("%d probes, gaps %v", len(probes), g)
	}
	if in := f.integrationState(t, integ.ID); !in.Enabled || in.FailedRequests != 0 {
		t.Errorf("integration %+v", in)
	}
	if len(other.Requests()) != 1 {
		t.Errorf("integration:recovered reached the other integration %d times", len(other.Requests()))
	}
}

func TestDiscordUnknownWebhookDisablesWithoutRetry(t *testing.T) {
	f := newFixture(t)
	children := f.countChildren()
	discord := fakes.NewDiscord(t)
	integ := f.integrationWith(t, store.Integration{Type: herald.IntegrationDiscord, URL: discord.URL("deleted"), Events: []string{"*"}})
	res := f.run(t, "build:failure")
	if res.Deliveries[0].Status != herald.DeliveryFailed {
		t.Fatalf("result %+v", res)
	}
	if atts := f.attempts(t, res.Deliveries[0].DeliveryID); len(atts) != 1 || atts[0].Outcome != herald.OutcomeGone {
		t.Errorf("attempts %+v: want one, gone", atts)
	}
	if in := f.integrationState(t, integ.ID); in.Enabled || in.DisabledReason != "the endpoint is gone" {
		t.Errorf("integration %+v", in)
	}
	if n := children(contract.DisableWorkflow); n != 1 {
		t.Errorf("%d DisableWorkflows", n)
	}
}

// A destination that answers "gone" is not probed again: no answer from it
// can ever be a success.
func TestProbeStopsAtGone(t *testing.T) {
	f := newFixture(t)
	recv := f.receiver(t)
	recv.SetDefault(testenv.Reply{Status: 410, Body: "gone"})
	integ := f.integrationWith(t, store.Integration{URL: recv.URL, Events: []string{"*"}, AutoRecover: true})
	if _, _, err := f.st.DisableIntegration(context.Background(), integ.ID, "test", contract.DisabledByHerald); err != nil {
		t.Fatal(err)
	}
	f.env.ExecuteWorkflow(workflows.ProbeWorkflow, contract.ProbeInput{IntegrationID: integ.ID})
	var enabled bool
	if err := f.env.GetWorkflowResult(&enabled); err != nil || enabled {
		t.Fatalf("probe: %v %v", enabled, err)
	}
	if n := len(recv.Requests()); n != 1 {
		t.Errorf("%d probes of a gone destination, want 1", n)
	}
	if in := f.integrationState(t, integ.ID); in.Enabled {
		t.Error("a gone destination was enabled")
	}
}
