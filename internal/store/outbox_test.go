package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/test/testenv"
)

func TestOutbox(t *testing.T) {
	st := testenv.NewStore(t)
	team, _ := testenv.Team(t, st)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	for i, id := range []string{"a", "b", "c", "a"} { // "a" twice: kept once
		if err := st.EnqueueEvent(ctx, store.OutboxEvent{TeamID: team, EventID: id, Input: json.RawMessage(`{"EventID":"` + id + `"}`),
			ReceivedAt: t0.Add(time.Duration(i) * time.Second)}); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := st.OutboxDepth(ctx); err != nil || n != 3 {
		t.Fatalf("depth %d %v, want 3", n, err)
	}
	// Oldest first; only what start reports started leaves.
	var seen []string
	_, n, err := st.DispatchOutbox(ctx, "dispatcher-a", 10, time.Minute, func(batch []store.OutboxEvent) []store.OutboxStart {
		for _, e := range batch {
			seen = append(seen, e.EventID)
		}
		return []store.OutboxStart{{Started: true}, {Failure: contract.StartSlow, Error: "temporal slow"}, {Started: true}}
	})
	if err != nil || n != 2 || len(seen) != 3 || seen[0] != "a" || seen[1] != "b" || seen[2] != "c" {
		t.Fatalf("dispatched %d %v, saw %v", n, err, seen)
	}
	if q, err := st.InOutbox(ctx, team, "b"); err != nil || q.LastError != "temporal slow" || q.Tries != 0 || q.SetAsideAt != nil {
		t.Errorf("an event whose start failed because Temporal was slow: %+v %v", q, err)
	}
	if _, err := st.InOutbox(ctx, team, "a"); err != store.ErrNotFound {
		t.Error("a started event stayed in the outbox")
	}
	// "b" waits its next try (a second) before it is handed out again.
	if c, _, _ := st.DispatchOutbox(ctx, "dispatcher-a", 10, time.Minute, func(batch []store.OutboxEvent) []store.OutboxStart {
		return make([]store.OutboxStart, len(batch))
	}); c != 0 {
		t.Errorf("an event that just failed was claimed again at once (%d)", c)
	}
	if _, err := st.DB().ExecContext(ctx, `UPDATE event_outbox SET next_try_at = now()`); err != nil {
		t.Fatal(err)
	}

	// Two dispatchers at once never hand out the same event: each holds its
	// batch until the other holds one too (a barrier, so they overlap).
	for _, id := range []string{"d", "e", "f", "g"} {
		if err := st.EnqueueEvent(ctx, store.OutboxEvent{TeamID: team, EventID: id, Input: json.RawMessage(`{}`), ReceivedAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	handed := map[string]int{}
	var holding atomic.Int32
	var wg sync.WaitGroup
	for d := range 2 {
		wg.Go(func() {
			_, _, err := st.DispatchOutbox(ctx, fmt.Sprintf("dispatcher-%d", d), 3, time.Minute, func(batch []store.OutboxEvent) []store.OutboxStart {
				mu.Lock()
				for _, e := range batch {
					handed[e.EventID]++
				}
				mu.Unlock()
				holding.Add(1)
				if !eventually(func() bool { return holding.Load() == 2 }) {
					t.Error("the two dispatchers never held their batches at once")
				}
				ok := make([]store.OutboxStart, len(batch))
				for i := range ok {
					ok[i].Started = true
				}
				return ok
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for id, c := range handed {
		if c != 1 {
			t.Errorf("event %s handed to %d dispatchers", id, c)
		}
	}
	if len(handed) != 5 { // b, d, e, f, g
		t.Errorf("handed %v; want all five waiting events", handed)
	}
	if n, _ := st.OutboxDepth(ctx); n != 0 {
		t.Errorf("%d left", n)
	}
}

// A team's events that can never start are set aside (at once when refused,
// after OutboxMaxTries when they fail for their own reason), and teams take
// turns: another team's events are never stuck behind them.
func TestOutboxSetsAsideAndTakesTeamsInTurn(t *testing.T) {
	st := testenv.NewStore(t)
	a, _ := testenv.Team(t, st)
	b, _ := testenv.Team(t, st)
	ctx := context.Background()
	t0 := time.Now().Add(-time.Minute)
	for i := range 70 {
		if err := st.EnqueueEvent(ctx, store.OutboxEvent{TeamID: b, EventID: fmt.Sprintf("b%02d", i), Input: json.RawMessage(`{}`), ReceivedAt: t0.Add(time.Duration(i) * time.Millisecond)}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 40 {
		if err := st.EnqueueEvent(ctx, store.OutboxEvent{TeamID: a, EventID: fmt.Sprintf("a%02d", i), Input: json.RawMessage(`{}`), ReceivedAt: t0.Add(time.Second + time.Duration(i)*time.Millisecond)}); err != nil {
			t.Fatal(err)
		}
	}
	// One batch of 64: teams alternate, so A's 32 oldest are in it although
	// B's 70 events are all older.
	var fromA int
	_, started, err := st.DispatchOutbox(ctx, "dispatcher-a", 64, time.Minute, func(batch []store.OutboxEvent) []store.OutboxStart {
		out := make([]store.OutboxStart, len(batch))
		for i, e := range batch {
			if e.TeamID == a {
				fromA++
				out[i].Started = true
			} else {
				out[i] = store.OutboxStart{Error: "BadSearchAttributes: too long", Failure: contract.StartRefused}
			}
		}
		return out
	})
	if err != nil || fromA != 32 || started != 32 {
		t.Fatalf("first batch: %d of A's events, %d started, %v", fromA, started, err)
	}
	q, err := st.InOutbox(ctx, b, "b00")
	if err != nil || q.SetAsideAt == nil || q.LastError != "BadSearchAttributes: too long" {
		t.Errorf("a refused event is set aside with its reason: %+v %v", q, err)
	}
	if n, _ := st.OutboxSetAside(ctx); n != 32 {
		t.Errorf("%d set aside, want 32", n)
	}
	// A counted failure is retried up to OutboxMaxTries, then set aside.
	for try := 1; try <= store.OutboxMaxTries; try++ {
		if _, err := st.DB().ExecContext(ctx, `UPDATE event_outbox SET next_try_at = now()`); err != nil {
			t.Fatal(err)
		}
		if _, _, err := st.DispatchOutbox(ctx, "dispatcher-a", 200, time.Minute, func(batch []store.OutboxEvent) []store.OutboxStart {
			out := make([]store.OutboxStart, len(batch))
			for i, e := range batch {
				out[i] = store.OutboxStart{Started: e.TeamID == a}
				if e.TeamID == b {
					out[i] = store.OutboxStart{Error: "odd failure", Failure: contract.StartOther}
				}
			}
			return out
		}); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := st.OutboxDepth(ctx); n != 0 {
		t.Errorf("%d still waiting after %d counted failures", n, store.OutboxMaxTries)
	}
	if n, _ := st.OutboxSetAside(ctx); n != 70 {
		t.Errorf("%d set aside, want all 70 of B's", n)
	}
}

// eventually polls cond until it holds, for at most testenv.AwaitWithin
// (from goroutines, where testenv.Await's t.Fatal may not be called).
// A dispatcher killed between its claim and its settling leaves its batch
// claimed: no other dispatcher takes it while the lease holds, and once the
// lease lapses another starts every event, once. The dead one's late word
// changes nothing.
func TestADispatcherKilledBetweenClaimAndSettleLeavesItsBatchToAnother(t *testing.T) {
	st := testenv.NewStore(t)
	team, _ := testenv.Team(t, st)
	ctx := context.Background()
	t0 := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	for i := range 5 {
		if err := st.EnqueueEvent(ctx, store.OutboxEvent{TeamID: team, EventID: fmt.Sprintf("ev-%d", i), Input: json.RawMessage(`{}`),
			ReceivedAt: t0.Add(time.Duration(i) * time.Second)}); err != nil {
			t.Fatal(err)
		}
	}
	// Dispatcher A claims the batch and is killed: it never starts or settles.
	dead, err := st.ClaimOutbox(ctx, "dispatcher-a", 10, time.Minute)
	if err != nil || len(dead) != 5 {
		t.Fatalf("A claimed %d, %v; want 5", len(dead), err)
	}
	var mu sync.Mutex
	started := map[string]int{}
	startAll := func(batch []store.OutboxEvent) []store.OutboxStart {
		mu.Lock()
		defer mu.Unlock()
		out := make([]store.OutboxStart, len(batch))
		for i, e := range batch {
			started[e.EventID]++
			out[i].Started = true
		}
		return out
	}
	// While A's lease holds, B finds nothing to take.
	if c, _, err := st.DispatchOutbox(ctx, "dispatcher-b", 10, time.Minute, startAll); err != nil || c != 0 {
		t.Fatalf("B claimed %d events under A's lease (%v)", c, err)
	}
	// The lease lapses (moved, not waited for).
	if _, err := st.DB().ExecContext(ctx, `UPDATE event_outbox SET claimed_until = now() - interval '1 second' WHERE claimed_by = 'dispatcher-a'`); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if c, _, err := st.DispatchOutbox(ctx, "dispatcher-b", 2, time.Minute, startAll); err != nil || c == 0 {
			break
		}
	}
	if len(started) != 5 {
		t.Errorf("B started %v; want all five", started)
	}
	for id, n := range started {
		if n != 1 {
			t.Errorf("event %s started %d times", id, n)
		}
	}
	// A's late settling of its claim (as failures) finds nothing of its own.
	fail := make([]store.OutboxStart, len(dead))
	for i := range fail {
		fail[i] = store.OutboxStart{Failure: contract.StartOther, Error: "late"}
	}
	if _, err := st.SettleOutbox(ctx, "dispatcher-a", dead, fail); err != nil {
		t.Fatal(err)
	}
	if n, _ := st.OutboxDepth(ctx); n != 0 {
		t.Errorf("%d events left in the outbox after B started them all", n)
	}
}

func eventually(cond func() bool) bool {
	deadline := time.Now().Add(testenv.AwaitWithin)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}
