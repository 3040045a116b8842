package chaos

import (
	"reflect"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

func TestReconcile(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	status := func(n int) *int { return &n }
	ev := Evidence{
		Accepted:     []string{"e1", "e2", "e3"},
		Integrations: []string{"i0", "i1"},
		Deliveries: []DeliveryRow{
			{ID: "d1", EventID: "e1", IntegrationID: "i0", Status: herald.DeliveryDelivered},
			{ID: "d2", EventID: "e1", IntegrationID: "i1", Status: herald.DeliveryDelivered},
			{ID: "d3", EventID: "e2", IntegrationID: "i0", Status: herald.DeliveryDelivered},
			{ID: "d4", EventID: "e2", IntegrationID: "i1", Status: herald.DeliveryRetrying},
			{ID: "d5", EventID: "e3", IntegrationID: "i0", Status: herald.DeliveryDelivered},
			// e3 → i1 has no delivery at all.
		},
		Attempts: []AttemptRow{
			{DeliveryID: "d1", AttemptNo: 1, ResponseStatus: status(500)},
			{DeliveryID: "d1", AttemptNo: 2, ResponseStatus: status(200)},
			// d2: sent twice, recorded once (the first send's record lost in a crash at 10 s).
			{DeliveryID: "d2", AttemptNo: 1, ResponseStatus: status(200)},
			// d3: an attempt recorded with an answer no receiver gave.
			{DeliveryID: "d3", AttemptNo: 1, ResponseStatus: status(429)},
			{DeliveryID: "d3", AttemptNo: 2, ResponseStatus: status(200)},
			{DeliveryID: "d4", AttemptNo: 1},
			// d5 recorded delivered but the receiver never answered 200; and a
			// reset with no row, far from any fault.
		},
		Requests: []Request{
			{DeliveryID: "d1", Answer: AnswerError, At: at(1)},
			{DeliveryID: "d1", Answer: AnswerOK, At: at(3)},
			{DeliveryID: "d2", Answer: AnswerOK, At: at(9)},
			{DeliveryID: "d2", Answer: AnswerOK, At: at(40)},
			{DeliveryID: "d3", Answer: AnswerOK, At: at(2)},
			{DeliveryID: "d4", Answer: AnswerHang, At: at(5)},
			{DeliveryID: "d5", Answer: AnswerReset, At: at(100)},
		},
		Windows: []Window{{Fault: "worker SIGKILL", From: at(5), To: at(15)}},
	}
	got := Reconcile(ev)
	want := Reconciliation{
		Pairs: 6, Delivered: 3,
		Lost:       []string{"e2 → i1 (d4, retrying)", "e3 → i0 (d5, delivered)", "e3 → i1 (no delivery)"},
		Duplicates: 1, DuplicatePairs: 1,
		Requests: 7, Attempts: 6,
		Unrecorded: 2, UnrecordedUnexplained: 1,
		Disagreements: []string{
			"d3: 1 attempts recorded with answer 429, receivers gave 0",
			"d5 recorded delivered; no receiver answered it 200",
		},
		Stuck:    []string{"d4"},
		ByStatus: map[herald.DeliveryStatus]int{herald.DeliveryDelivered: 4, herald.DeliveryRetrying: 1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Reconcile:\n got %+v\nwant %+v", got, want)
	}
	rep := &Report{Reconciliation: got, NotAccepted: []string{}, Workflows: map[string]int{"Completed": 3, "Failed": 1}}
	if n := len(rep.Problems()); n != 5 {
		t.Errorf("problems: %q; want lost, stuck, disagreements, unexplained and the failed workflow", rep.Problems())
	}
	clean := &Report{Reconciliation: Reconciliation{Pairs: 6, Delivered: 6, Unrecorded: 2}, Workflows: map[string]int{"Completed": 3}}
	if p := clean.Problems(); len(p) != 0 {
		t.Errorf("a clean run has problems: %q", p)
	}
}
