package workflows_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/internal/eventtype"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/test/testenv"
)

// db is the fixture's database for reading what the API does not show.
func (f *fixture) db() *sqlx.DB { return sqlx.NewDb(f.st.DB(), "postgres") }

// slackTo is a Slack integration (paced at Slack's default) posting to url.
func (f *fixture) slackTo(t *testing.T, url string, ordering herald.Ordering) store.Integration {
	t.Helper()
	return f.integrationWith(t, store.Integration{Type: herald.IntegrationSlack, URL: url, Events: []string{"build:*"}, Ordering: ordering})
}

// Five events to one Slack integration, one workflow after another as fast
// as they run: the first two go at once (the burst), then one a second,
// each as a timer in its workflow, and none uses more than one attempt.
func TestPacedDeliveriesWaitForTheirSlots(t *testing.T) {
	f := newFixture(t)
	recv := f.receiver(t)
	integ := f.slackTo(t, recv.URL, "")
	for i := range 5 {
		f.env = newEnv(t, f.st) // a workflow of its own, sharing the integration's pace in Postgres
		if i == 3 {
			// Its slot is 2 s away: meanwhile it says what it waits for.
			f.env.RegisterDelayedCallback(func() {
				d := f.openDelivery(t, integ.ID)
				if d.WaitingFor != contract.WaitSlot || d.NextAttemptAt == nil {
					t.Errorf("a delivery waiting for its slot shows %q (next %v)", d.WaitingFor, d.NextAttemptAt)
				}
			}, 500*time.Millisecond)
		}
		res := f.runInput(t, f.input("slot-"+string(rune('a'+i)), "build:success"))
		if res.Deliveries[0].Status != herald.DeliveryDelivered {
			t.Fatalf("event %d: %+v", i, res)
		}
	}
	reqs := recv.Requests()
	if len(reqs) != 5 {
		t.Fatalf("%d requests, want 5", len(reqs))
	}
	want := []time.Duration{0, time.Second, time.Second, time.Second}
	for i, g := range gaps(reqs) {
		if g != want[i] {
			t.Fatalf("gaps %v, want %v (burst 2, then 1/s)", gaps(reqs), want)
		}
	}
	var attempts int
	if err := f.db().Get(&attempts, `SELECT max(attempt_count) FROM deliveries WHERE integration_id = $1`, integ.ID); err != nil || attempts != 1 {
		t.Errorf("most attempts of one delivery: %d (%v), want 1", attempts, err)
	}
}

// 429s are waited out, after their Retry-After, without using the schedule's
// attempts and without touching the integration's health.
func TestThrottledAnswersUseNoAttempts(t *testing.T) {
	f := newFixture(t)
	limited := testenv.Reply{Status: 429, Body: "slow down", Header: map[string]string{"Retry-After": "7"}}
	recv := f.receiver(t, limited, limited, limited, limited, limited)
	integ := f.integrationWith(t, store.Integration{URL: recv.URL, Events: []string{"build:*"}, Retry: maxAttempts(2)})
	res := f.run(t, "build:start")
	if res.Deliveries[0].Status != herald.DeliveryDelivered {
		t.Fatalf("after five 429s and a 200 with 2 attempts allowed: %+v", res)
	}
	reqs := recv.Requests()
	if len(reqs) != 6 {
		t.Fatalf("%d requests, want 6", len(reqs))
	}
	for i, g := range gaps(reqs) {
		if g != 7*time.Second {
			t.Fatalf("gap %d is %s, want the Retry-After of 7s (gaps %v)", i, g, gaps(reqs))
		}
	}
	got, err := f.st.LoadIntegration(context.Background(), integ.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.FailedRequests != 0 || got.ConsecutiveFailures != 0 || got.FirstFailedAt != nil {
		t.Errorf("health after 429s: %+v, want untouched", got.Health())
	}
	var outcomes []herald.Outcome
	if err := f.db().Select(&outcomes, `SELECT outcome FROM attempts a JOIN deliveries d ON d.id = a.delivery_id
		WHERE d.integration_id = $1 ORDER BY attempt_no`, integ.ID); err != nil {
		t.Fatal(err)
	}
	if len(outcomes) != 6 || outcomes[0] != herald.OutcomeThrottled || outcomes[5] != herald.OutcomeDelivered {
		t.Errorf("attempt outcomes %v", outcomes)
	}
}

// A delivery that is rate limited for ever is bounded by time: after
// contract.MaxThrottled of 429s each one counts, and the schedule ends it.
func TestRateLimitedForeverIsBoundedByTime(t *testing.T) {
	f := newFixture(t)
	recv := f.receiver(t)
	recv.SetDefault(testenv.Reply{Status: 429, Body: "slow down", Header: map[string]string{"Retry-After": "600"}})
	f.integrationWith(t, store.Integration{URL: recv.URL, Events: []string{"build:*"}, Retry: maxAttempts(2)})
	start := f.env.Now()
	res := f.run(t, "build:failure")
	d := res.Deliveries[0]
	if d.Status != herald.DeliveryFailed || !strings.Contains(d.Reason, "gave up after 2 attempts") || !strings.Contains(d.Reason, "rate limited") {
		t.Fatalf("delivery %+v", d)
	}
	if took := f.env.Now().Sub(start); took < contract.MaxThrottled {
		t.Errorf("gave up after %s of 429s, before the bound of %s", took, contract.MaxThrottled)
	}
	// Six 429s waited out (an hour of Retry-After), then two that counted.
	if n := len(recv.Requests()); n != 8 {
		t.Errorf("%d requests, want 8", n)
	}
}

// recordOpen makes an earlier event's delivery to integ that stays open
// (no workflow drives it): a fifo delivery after it waits for it.
func (f *fixture) recordOpen(t *testing.T, integ store.Integration, id string, receivedAt time.Time) string {
	t.Helper()
	refs, err := f.st.RecordEvent(context.Background(), store.Event{TeamID: f.team, ID: id, Type: "build:start",
		Data: json.RawMessage(`{}`), WorkflowID: contract.EventWorkflowID(f.team, id), ReceivedAt: receivedAt},
		store.Match{Candidates: eventtype.Candidates("build:start"), AnyProject: true})
	if err != nil || len(refs) != 1 || refs[0].IntegrationID != integ.ID {
		t.Fatalf("record the earlier event: %v %+v", err, refs)
	}
	return refs[0].ID
}

func (f *fixture) openDelivery(t *testing.T, integrationID string, except ...string) store.Delivery {
	t.Helper()
	var d store.Delivery
	err := f.db().Get(&d, `SELECT id, status, waiting_for, next_attempt_at, out_of_order FROM deliveries
		WHERE integration_id = $1 AND status IN ('pending', 'retrying') AND NOT id = ANY($2) ORDER BY seq DESC LIMIT 1`,
		integrationID, pq.StringArray(append([]string{}, except...)))
	if err != nil {
		t.Fatalf("open delivery of %s: %v", integrationID, err)
	}
	return d
}

// A fifo delivery waits while the one before it is open, and goes when that
// one's end passes it the turn (a signal, not a poll).
func TestFifoDeliveryWaitsForItsTurn(t *testing.T) {
	f := newFixture(t)
	recv := f.receiver(t)
	integ := f.slackTo(t, recv.URL, herald.OrderingFIFO)
	ahead := f.recordOpen(t, integ, "earlier", time.Now().Add(-time.Minute))
	start := f.env.Now()
	f.env.RegisterDelayedCallback(func() {
		mine := f.openDelivery(t, integ.ID, ahead)
		if mine.WaitingFor != contract.WaitTurn {
			t.Errorf("the waiting delivery shows %q, want turn", mine.WaitingFor)
		}
		if err := f.st.FinishDelivery(context.Background(), ahead, herald.DeliveryDelivered, ""); err != nil {
			t.Error(err)
		}
		f.env.SignalWorkflow(contract.SignalTurn, contract.TurnSignal{DeliveryID: mine.ID})
	}, 30*time.Second)
	res := f.run(t, "build:success")
	if res.Deliveries[0].Status != herald.DeliveryDelivered || len(recv.Requests()) != 1 {
		t.Fatalf("%+v, %d requests", res, len(recv.Requests()))
	}
	if at := recv.Requests()[0].At.Sub(start).Round(time.Second); at != 30*time.Second {
		t.Errorf("sent %s after the start, want 30s: when the one ahead ended", at)
	}
	var outOfOrder bool
	_ = f.db().Get(&outOfOrder, `SELECT out_of_order FROM deliveries WHERE id = $1`, res.Deliveries[0].DeliveryID)
	if outOfOrder {
		t.Error("marked out of order though it waited its turn")
	}
}

// Behind one that never ends, a fifo delivery goes at the head-of-line limit,
// marked out of order.
func TestFifoHeadOfLineLimit(t *testing.T) {
	f := newFixture(t)
	recv := f.receiver(t)
	integ := f.slackTo(t, recv.URL, herald.OrderingFIFO)
	f.recordOpen(t, integ, "stuck", time.Now().Add(-time.Minute))
	start := f.env.Now()
	res := f.run(t, "build:success")
	if res.Deliveries[0].Status != herald.DeliveryDelivered || len(recv.Requests()) != 1 {
		t.Fatalf("%+v", res)
	}
	at := recv.Requests()[0].At.Sub(start)
	if at < 2*time.Minute || at > 2*time.Minute+10*time.Second {
		t.Errorf("sent %s after the start, want the head-of-line limit (2m) plus the settle", at)
	}
	var outOfOrder bool
	if err := f.db().Get(&outOfOrder, `SELECT out_of_order FROM deliveries WHERE id = $1`, res.Deliveries[0].DeliveryID); err != nil || !outOfOrder {
		t.Errorf("out_of_order %v (%v), want true", outOfOrder, err)
	}
}
