package workflows_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/activities"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/internal/retry"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/test/testenv"
	"github.com/heraldhq/herald/worker"
	"github.com/heraldhq/herald/workflows"
)

// fixture runs EventWorkflow in the in-memory, time-skipping test environment
// with the real activities against a real Postgres database and receiver.
type fixture struct {
	env  *testsuite.TestWorkflowEnvironment
	st   *store.Store
	team string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st := testenv.NewStore(t)
	team, _ := testenv.Team(t, st)
	return &fixture{env: newEnv(t, st), st: st, team: team}
}

// newEnv is a time-skipping environment with Herald's workflows and the real
// activities on st.
func newEnv(t *testing.T, st *store.Store) *testsuite.TestWorkflowEnvironment {
	cfg := config.Defaults()
	cfg.AllowPrivateDestinations = "true" // the test receivers listen on loopback
	cfg.Retry.Jitter = 0                  // exact schedules; TestDefaultScheduleAttemptTimes runs the jittered default
	return newEnvWith(t, st, cfg)
}

func newEnvWith(t *testing.T, st *store.Store, cfg config.Config) *testsuite.TestWorkflowEnvironment {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.SetTestTimeout(60 * time.Second)
	acts := activities.New(&cfg, st, nil)
	acts.Now = env.Now // pace reservations read the skipped clock the timers wait on
	worker.Register(env, acts)
	return env
}

func (f *fixture) integration(t *testing.T, url string, events ...string) store.Integration {
	t.Helper()
	return f.integrationWith(t, store.Integration{URL: url, Events: events})
}

func (f *fixture) integrationWith(t *testing.T, in store.Integration) store.Integration {
	t.Helper()
	in.TeamID, in.Enabled = f.team, true
	if in.Type == "" {
		in.Type = herald.IntegrationWebhook
	}
	in.Name = "hook-" + in.URL[len(in.URL)-5:]
	out, err := f.st.CreateIntegration(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (f *fixture) run(t *testing.T, typ string) contract.EventResult {
	t.Helper()
	return f.runInput(t, f.input("ev-"+typ, typ))
}

func (f *fixture) input(id, typ string) contract.EventInput {
	return contract.EventInput{
		TeamID: f.team, EventID: id, Type: typ,
		Data: json.RawMessage(`{"project":{"id":"p"}}`), ProjectID: "p", ReceivedAt: time.Now(),
	}
}

func (f *fixture) runInput(t *testing.T, in contract.EventInput) contract.EventResult {
	t.Helper()
	f.env.ExecuteWorkflow(workflows.EventWorkflow, in)
	if !f.env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	if err := f.env.GetWorkflowError(); err != nil {
		t.Fatalf("workflow error: %v", err)
	}
	var res contract.EventResult
	if err := f.env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	return res
}

func (f *fixture) receiver(t *testing.T, script ...testenv.Reply) *testenv.Receiver {
	r := testenv.NewReceiver(t, script...)
	r.Clock = func() time.Time { return f.env.Now() } // the env of the moment: some tests run several
	return r
}

func gaps(reqs []testenv.Received) []time.Duration {
	var out []time.Duration
	for i := 1; i < len(reqs); i++ {
		out = append(out, reqs[i].At.Sub(reqs[i-1].At).Round(time.Second))
	}
	return out
}

func TestDefaultScheduleAttemptTimes(t *testing.T) {
	f := newFixture(t)
	cfg := config.Defaults()
	cfg.AllowPrivateDestinations = "true"
	f.env = newEnvWith(t, f.st, cfg) // the default schedule, jitter included
	recv := f.receiver(t)
	recv.SetDefault(testenv.Reply{Status: 503, Body: "down"})
	f.integration(t, recv.URL, "build:*")

	res := f.run(t, "build:failure")
	if res.Status != contract.StatusFailed || res.Deliveries[0].Status != herald.DeliveryFailed {
		t.Fatalf("result %+v", res)
	}
	reqs := recv.Requests()
	if len(reqs) != 10 {
		t.Fatalf("%d attempts, want 10", len(reqs))
	}
	// 5 s, ×3 each time, capped at 2 h: about 5.5 h in all.
	schedule := []time.Duration{5 * time.Second, 15 * time.Second, 45 * time.Second, 135 * time.Second,
		405 * time.Second, 1215 * time.Second, 3645 * time.Second, 2 * time.Hour, 2 * time.Hour}
	p := cfg.Retry
	for i, w := range schedule {
		if d := p.Delay(i + 1); d != w {
			t.Errorf("Delay(%d) = %s, want %s", i+1, d, w)
		}
	}
	// Each gap is that schedule spread by this delivery's own jitter: exact,
	// and within ±20 % of the schedule.
	id := res.Deliveries[0].DeliveryID
	got := gaps(reqs)
	for i, w := range schedule {
		want := p.Jittered(i+1, retry.Unit(id, i+1)).Round(time.Second)
		if got[i] != want {
			t.Errorf("gap before attempt %d = %s, want %s (the schedule's %s, jittered)", i+2, got[i], want, w)
		}
		if lo, hi := time.Duration(float64(w)*0.8)-time.Second, time.Duration(float64(w)*1.2)+time.Second; got[i] < lo || got[i] > hi {
			t.Errorf("gap before attempt %d = %s, outside ±20 %% of %s", i+2, got[i], w)
		}
	}
	d, err := f.st.GetDelivery(context.Background(), f.team, id)
	if err != nil {
		t.Fatal(err)
	}
	if d.AttemptCount != 10 || d.Reason != "gave up after 10 attempts: HTTP 503" {
		t.Errorf("delivery %+v", d)
	}
}

func TestRetryAfterSetsTheNextDelay(t *testing.T) {
	for _, header := range []string{"7", "date"} {
		t.Run(header, func(t *testing.T) {
			f := newFixture(t)
			ra := header
			if header == "date" {
				// An HTTP date 8 s ahead: whole seconds only, so 7 to 8 s remain when it is read.
				ra = f.env.Now().Add(8 * time.Second).UTC().Format(time.RFC1123)
				ra = ra[:len(ra)-3] + "GMT"
			}
			recv := f.receiver(t, testenv.Reply{Status: 429, Body: "slow down", Header: map[string]string{"Retry-After": ra}})
			f.integration(t, recv.URL, "*")
			res := f.run(t, "deployment:start")
			if res.Status != contract.StatusDelivered {
				t.Fatalf("result %+v", res)
			}
			g := gaps(recv.Requests())
			if len(g) != 1 || g[0] < 6*time.Second || g[0] > 9*time.Second {
				t.Errorf("gap %v, want about 7 s (not the 5 s default)", g)
			}
		})
	}
}

func TestGoneAndPermanentAreNotRetried(t *testing.T) {
	for _, c := range []struct {
		status int
		reason string
	}{{410, "gone: HTTP 410: the endpoint is gone"}, {400, "rejected: HTTP 400"}} {
		f := newFixture(t)
		recv := f.receiver(t, testenv.Reply{Status: c.status})
		f.integration(t, recv.URL, "*")
		res := f.run(t, "backup:success")
		if len(recv.Requests()) != 1 || res.Deliveries[0].Status != herald.DeliveryFailed {
			t.Errorf("%d: %d requests, result %+v", c.status, len(recv.Requests()), res)
		}
		d, err := f.st.GetDelivery(context.Background(), f.team, res.Deliveries[0].DeliveryID)
		if err != nil {
			t.Fatal(err)
		}
		if d.Reason != c.reason {
			t.Errorf("%d: reason %q, want %q", c.status, d.Reason, c.reason)
		}
	}
}

func TestFanOutAndNoMatch(t *testing.T) {
	f := newFixture(t)
	ok := f.receiver(t)
	bad := f.receiver(t, testenv.Reply{Status: 404})
	f.integration(t, ok.URL, "build:*")
	f.integration(t, bad.URL, "build:start")
	res := f.run(t, "build:start")
	if res.Status != contract.StatusPartial || len(res.Deliveries) != 2 {
		t.Errorf("result %+v", res)
	}

	f2 := newFixture(t)
	f2.integration(t, ok.URL, "build:*")
	if res := f2.run(t, "job-run:start"); res.Status != contract.StatusNone || len(res.Deliveries) != 0 {
		t.Errorf("no match: %+v", res)
	}
}

func TestDisabledIntegrationIsSkipped(t *testing.T) {
	f := newFixture(t)
	recv := f.receiver(t)
	in := f.integration(t, recv.URL, "*")
	if _, _, err := f.st.DisableIntegration(context.Background(), in.ID, "test", "test"); err != nil {
		t.Fatal(err)
	}
	res := f.run(t, "build:start")
	if len(res.Deliveries) != 1 || res.Deliveries[0].Status != herald.DeliverySkipped || len(recv.Requests()) != 0 {
		t.Errorf("result %+v, %d requests", res, len(recv.Requests()))
	}
}
