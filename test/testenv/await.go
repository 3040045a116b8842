package testenv

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/store"
)

// AwaitWithin is how long the Await helpers wait for a state before they
// fail the test: long, because only a broken Herald never gets there, and a
// busy machine gets there late.
const AwaitWithin = 2 * time.Minute

// Await polls cond until it holds, and fails the test when it has not
// within AwaitWithin. Tests wait for the state they assert (a recorded
// attempt, a delivery's status), never for a receiver alone: a receiver's
// request comes before Herald records what came of it.
func Await(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(AwaitWithin)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, AwaitWithin)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// AwaitAttempt waits until attempt n of the event's first delivery is
// recorded, and returns it.
func (s *Stack) AwaitAttempt(t testing.TB, eventID string, n int) store.Attempt {
	t.Helper()
	var a store.Attempt
	Await(t, fmt.Sprintf("attempt %d of event %s recorded", n, eventID), func() bool {
		ds, err := s.Store.EventDeliveries(context.Background(), s.Team, eventID)
		if err != nil || len(ds) == 0 {
			return false
		}
		a, err = s.Store.LoadAttempt(context.Background(), ds[0].ID, n)
		return err == nil
	})
	return a
}
