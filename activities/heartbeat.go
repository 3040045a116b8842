package activities

import (
	"context"
	"time"

	"go.temporal.io/sdk/activity"
)

// heartbeatEvery is well inside the timeout, so that a worker slowed by load
// is not taken for dead. Attempts shorter than it send no heartbeat at all.
const heartbeatEvery = 2 * time.Second

// keepAlive heartbeats for the running activity until stop is called. A
// local activity has no heartbeat (its workflow task is kept alive by the
// SDK instead): no goroutine for it, which at 1,000 attempts in flight is
// 1,000 goroutines fewer.
func keepAlive(ctx context.Context) (stop func()) {
	if activity.IsActivity(ctx) && activity.GetInfo(ctx).IsLocalActivity {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(heartbeatEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				activity.RecordHeartbeat(ctx)
			}
		}
	}()
	return func() { close(done) }
}
