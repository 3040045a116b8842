package contract

import (
	"testing"

	"github.com/heraldhq/herald"
)

// One rule sums up an event's deliveries for the workflow, the store and
// the API: a word for every mix of statuses.
func TestSummarize(t *testing.T) {
	d, f, s, r, g := herald.DeliveryDelivered, herald.DeliveryFailed, herald.DeliverySkipped, herald.DeliveryRetrying, herald.DeliveryGrouped
	for _, c := range []struct {
		statuses []herald.DeliveryStatus
		want     EventStatus
	}{
		{nil, StatusNone},
		{[]herald.DeliveryStatus{d, d}, StatusDelivered},
		{[]herald.DeliveryStatus{g}, StatusDelivered},
		{[]herald.DeliveryStatus{d, s}, StatusDelivered},
		{[]herald.DeliveryStatus{d, f}, StatusPartial},
		{[]herald.DeliveryStatus{f, s}, StatusFailed},
		{[]herald.DeliveryStatus{s, s}, StatusSkipped},
		{[]herald.DeliveryStatus{d, r}, StatusDelivering},
		{[]herald.DeliveryStatus{herald.DeliveryPending}, StatusDelivering},
	} {
		var n Counts
		for _, st := range c.statuses {
			n.Count(st)
		}
		if got := Summarize(n); got != c.want {
			t.Errorf("%v: %s, want %s", c.statuses, got, c.want)
		}
	}
}
