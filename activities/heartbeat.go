package activities

import (
	"context"
	"time"

	"go.temporal.io/sdk/activity"
)

// DeliverHeartbeatTimeout is how long Temporal waits for word from a running
// attempt before it takes the worker for dead and retries the attempt
// elsewhere. Without it, an attempt lost with its worker would wait out the
// whole start-to-close timeout (the attempt timeout + 15 s).
const DeliverHeartbeatTimeout = 10 * time.Second

// heartbeatEvery is well inside the timeout, so that a worker slowed by load
// is not taken for dead. Attempts shorter than it send no heartbeat at all.
const heartbeatEvery = 2 * time.Second

// keepAlive heartbeats for the running activity until stop is called.
func keepAlive(ctx context.Context) (stop func()) {
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
