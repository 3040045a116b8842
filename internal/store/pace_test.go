package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/pacing"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/test/testenv"
)

// Reservations from many goroutines (two workers' worth of connections)
// draw from one budget: the slots they get are the GCRA schedule, each once.
// paced is a store with one integration and a clock stopped at t0.
func paced(t *testing.T) (*store.Store, string, func() time.Time) {
	st := testenv.NewStore(t)
	team, _ := testenv.Team(t, st)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return st, mustIntegration(t, st, team, []string{"*"}).ID, func() time.Time { return t0 }
}

func TestReservePaceIsOneBudget(t *testing.T) {
	st, integID, clock := paced(t)
	l := pacing.Limit{Count: 1, Per: time.Second, Burst: 2}
	var mu sync.Mutex
	waits := map[time.Duration]int{}
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w, err := st.ReservePace(context.Background(), integID, l, store.BookReserved, clock)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			waits[w]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	// Burst 2 at once, then one a second: 0, 0, 1s, …, 18s.
	if waits[0] != 2 {
		t.Errorf("%d reservations at once, want the burst of 2 (%v)", waits[0], waits)
	}
	for s := 1; s <= 18; s++ {
		if waits[time.Duration(s)*time.Second] != 1 {
			t.Errorf("slot %ds taken %d times, want once (%v)", s, waits[time.Duration(s)*time.Second], waits)
		}
	}
}

// A 429 slows the pace down one step however many states it moves, and holds
// both the reservations and the sends.
func TestPaceAnswerSlowsDownOnce(t *testing.T) {
	st, integID, clock := paced(t)
	t0 := clock()
	l := pacing.Limit{Count: 1, Per: time.Second, Burst: 1}
	ctx := context.Background()
	if err := st.PaceAnswer(ctx, integID, l, store.AnswerThrottled, 5*time.Second, clock); err != nil {
		t.Fatal(err)
	}
	var slowdown int
	if err := st.DB().QueryRowContext(ctx, `SELECT slowdown FROM integration_pace WHERE integration_id = $1`, integID).Scan(&slowdown); err != nil || slowdown != 1 {
		t.Errorf("slowdown %d (%v) after one 429, want 1", slowdown, err)
	}
	for _, book := range []store.PaceBook{store.BookReserved, store.BookSent} {
		w1, _ := st.ReservePace(ctx, integID, l, book, clock)
		w2, _ := st.ReservePace(ctx, integID, l, book, clock)
		if w1 != 5*time.Second || w2 != 7*time.Second {
			t.Errorf("book %d: after a 429 with Retry-After 5s: waits %s, %s; want 5s, then 2s more (half rate)", book, w1, w2)
		}
	}
	held, err := st.HeldUntil(ctx, integID)
	if err != nil || !held.Equal(t0.Add(5*time.Second)) {
		t.Errorf("held until %s (%v)", held, err)
	}
}

// maxInFlight: however many take at once, no more than max hold a slot; a
// freed or expired slot is taken again.
func TestAcquireSlotNeverOverAdmits(t *testing.T) {
	st, integID, _ := paced(t)
	ctx := context.Background()
	var mu sync.Mutex
	var got []string
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := fmt.Sprintf("dlv_%02d", i)
			ok, err := st.AcquireSlot(ctx, integID, id, 3, time.Minute)
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				got = append(got, id)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(got) != 3 {
		t.Fatalf("%d slots taken at once with maxInFlight 3: %v", len(got), got)
	}
	if ok, _ := st.AcquireSlot(ctx, integID, "dlv_late", 3, time.Minute); ok {
		t.Error("a fourth request got a slot")
	}
	if ok, _ := st.AcquireSlot(ctx, integID, got[0], 3, time.Minute); !ok {
		t.Error("a holder asking again (a retried activity) did not keep its slot")
	}
	if err := st.ReleaseSlot(ctx, integID, got[1]); err != nil {
		t.Fatal(err)
	}
	if ok, _ := st.AcquireSlot(ctx, integID, "dlv_late", 3, time.Minute); !ok {
		t.Error("a freed slot was not taken")
	}
	// A worker that died: its slot expires.
	if _, err := st.DB().ExecContext(ctx, `UPDATE integration_slots SET expires_at = now() - interval '1 second' WHERE holder = $1`, got[2]); err != nil {
		t.Fatal(err)
	}
	if ok, _ := st.AcquireSlot(ctx, integID, "dlv_after_crash", 3, time.Minute); !ok {
		t.Error("an expired slot was not taken")
	}
	var n int
	if err := st.DB().QueryRowContext(ctx, `SELECT count(*) FROM integration_slots
		WHERE integration_id = $1 AND holder IS NOT NULL AND expires_at >= now()`, integID).Scan(&n); err != nil || n != 3 {
		t.Errorf("in flight %d, want 3", n)
	}
}

// The first requests to a new integration, at once: each finds no slots,
// and those that did not make them take the ones a concurrent request made.
// None is turned away while places are free.
func TestAcquireSlotFirstRequestsAtOnce(t *testing.T) {
	st := testenv.NewStore(t)
	team, _ := testenv.Team(t, st)
	ctx := context.Background()
	for round := range 15 {
		integID := mustIntegration(t, st, team, []string{"*"}).ID
		var wg sync.WaitGroup
		var mu sync.Mutex
		taken := 0
		for i := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, err := st.AcquireSlot(ctx, integID, fmt.Sprintf("dlv_%d_%d", round, i), 4, time.Minute)
				if err != nil {
					t.Error(err)
				}
				if ok {
					mu.Lock()
					taken++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if taken != 4 {
			t.Errorf("round %d: %d of 4 first requests got one of 4 free slots", round, taken)
		}
	}
}
