package workflows_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/test/testenv"
)

// An event whose three receivers answer 200 runs every step as a local
// activity: no activity task is scheduled at all.
func TestHappyEventSchedulesNoActivityTask(t *testing.T) {
	f := newFixture(t)
	for range 3 {
		f.integration(t, f.receiver(t).URL, "build:*")
	}
	var tasks, locals atomic.Int32
	f.env.SetOnActivityStartedListener(func(*activity.Info, context.Context, converter.EncodedValues) { tasks.Add(1) })
	f.env.SetOnLocalActivityStartedListener(func(info *activity.Info, _ context.Context, _ []any) {
		if info.ActivityType.Name == contract.ActivityDeliver {
			locals.Add(1)
		}
	})
	res := f.run(t, "build:success")
	if res.Status != contract.StatusDelivered || len(res.Deliveries) != 3 {
		t.Fatalf("result %+v", res)
	}
	if n := tasks.Load(); n != 0 {
		t.Errorf("%d activity tasks for a happy fan-out-3 event, want none", n)
	}
	if n := locals.Load(); n != 3 {
		t.Errorf("%d local attempts, want 3", n)
	}
}

// A retried delivery still waits on a durable timer between attempts: the
// retry comes at the schedule's delay, as a local attempt again.
func TestRetriedDeliveryWaitsOnATimer(t *testing.T) {
	f := newFixture(t)
	recv := f.receiver(t, testenv.Reply{Status: 503, Body: "busy"})
	f.integration(t, recv.URL, "build:*")
	res := f.run(t, "build:failure")
	if res.Deliveries[0].Status != herald.DeliveryDelivered {
		t.Fatalf("result %+v", res)
	}
	if g := gaps(recv.Requests()); len(g) != 1 || g[0] != 5*time.Second {
		t.Errorf("gaps %v, want one of the schedule's first delay", g)
	}
}
