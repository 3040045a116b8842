package testenv

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/eventtype"
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

// DeliveryCounts counts an integration's deliveries of the events posted to
// Herald by recorded status: Herald's own sends to it (its confirmation,
// tests and probes, deliveries of integration:test) are not among them.
func (s *Stack) DeliveryCounts(t testing.TB, integrationID string) map[herald.DeliveryStatus]int {
	t.Helper()
	rows, err := s.Store.DB().QueryContext(context.Background(),
		`SELECT d.status, count(*) FROM deliveries d JOIN events e ON e.team_id = d.team_id AND e.id = d.event_id
		WHERE d.integration_id = $1 AND e.type <> $2 GROUP BY d.status`, integrationID, eventtype.IntegrationTest)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[herald.DeliveryStatus]int{}
	for rows.Next() {
		var st herald.DeliveryStatus
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			t.Fatal(err)
		}
		out[st] = n
	}
	return out
}

// AwaitSettled waits until the integration has n deliveries recorded and
// none of them is open (pending or retrying), and returns them counted by
// status: what a test asserts after its receiver got what it waited for.
func (s *Stack) AwaitSettled(t testing.TB, integrationID string, n int) map[herald.DeliveryStatus]int {
	t.Helper()
	var counts map[herald.DeliveryStatus]int
	Await(t, fmt.Sprintf("%d deliveries of %s settled", n, integrationID), func() bool {
		counts = s.DeliveryCounts(t, integrationID)
		total := 0
		for _, c := range counts {
			total += c
		}
		return total == n && counts[herald.DeliveryPending] == 0 && counts[herald.DeliveryRetrying] == 0
	})
	return counts
}

// AwaitStatus waits until the delivery's recorded status is want.
func (s *Stack) AwaitStatus(t testing.TB, deliveryID string, want herald.DeliveryStatus) {
	t.Helper()
	Await(t, fmt.Sprintf("delivery %s %s", deliveryID, want), func() bool {
		var got herald.DeliveryStatus
		err := s.Store.DB().QueryRow(`SELECT status FROM deliveries WHERE id = $1`, deliveryID).Scan(&got)
		return err == nil && got == want
	})
}
