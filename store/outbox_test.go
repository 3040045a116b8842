package store_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/testenv"
	"github.com/heraldhq/herald/store"
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
	n, err := st.DispatchOutbox(ctx, 10, func(batch []store.OutboxEvent) []bool {
		for _, e := range batch {
			seen = append(seen, e.EventID)
		}
		return []bool{true, false, true}
	})
	if err != nil || n != 2 || len(seen) != 3 || seen[0] != "a" || seen[1] != "b" || seen[2] != "c" {
		t.Fatalf("dispatched %d %v, saw %v", n, err, seen)
	}
	if ok, _ := st.InOutbox(ctx, team, "b"); !ok {
		t.Error("an event whose start failed left the outbox")
	}
	if ok, _ := st.InOutbox(ctx, team, "a"); ok {
		t.Error("a started event stayed in the outbox")
	}

	// Two dispatchers at once never hand out the same event.
	for _, id := range []string{"d", "e", "f", "g"} {
		if err := st.EnqueueEvent(ctx, store.OutboxEvent{TeamID: team, EventID: id, Input: json.RawMessage(`{}`), ReceivedAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	handed := map[string]int{}
	hold := make(chan struct{})
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			_, err := st.DispatchOutbox(ctx, 3, func(batch []store.OutboxEvent) []bool {
				mu.Lock()
				for _, e := range batch {
					handed[e.EventID]++
				}
				mu.Unlock()
				<-hold // both transactions hold their rows at once
				ok := make([]bool, len(batch))
				for i := range ok {
					ok[i] = true
				}
				return ok
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	time.Sleep(500 * time.Millisecond)
	close(hold)
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
