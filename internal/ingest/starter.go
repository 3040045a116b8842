// Package ingest takes events in past the gateway's checks: the adaptive
// admission limit on workflow starts, the start itself (one path for a
// request and for the outbox), and the Postgres outbox whose dispatcher
// starts the events that arrived over the limit or while Temporal was slow.
package ingest

import (
	"context"
	"net/http"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/internal/problem"
)

// Timeout bounds the start of an event's workflow. A platform posting
// events must hear "retry later" quickly when Temporal is unreachable or
// overloaded, not hold a connection (and a goroutine) open: the answer is a 503
// with Retry-After, and a retry with the same id is deduplicated.
const Timeout = 1500 * time.Millisecond

// Starter starts event workflows: eagerly, on this process's own worker,
// when the gateway runs one (config.StartsEagerly).
type Starter struct {
	temporal  client.Client
	taskQueue string
	dispatch  contract.Dispatch
}

// NewStarter starts on taskQueue through tc, dispatching as d says.
func NewStarter(tc client.Client, taskQueue string, d contract.Dispatch) Starter {
	return Starter{temporal: tc, taskQueue: taskQueue, dispatch: d}
}

func (e Starter) Start(ctx context.Context, in contract.EventInput) (string, error) {
	return contract.StartEvent(ctx, e.temporal, e.taskQueue, e.dispatch, in)
}

// StartAdmitted starts in's workflow in the slot admit gave (release), within
// Timeout, frees the slot with what the start said of Temporal, and
// says what a failure means: the one path of a start, for a request and for
// the outbox alike.
func (e Starter) StartAdmitted(ctx context.Context, release func(contract.StartFailure), in contract.EventInput) (string, contract.StartFailure, error) {
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	wfID, err := e.Start(ctx, in)
	failure := contract.StartOK
	if err != nil {
		failure = contract.ClassifyStart(err)
	}
	release(failure)
	return wfID, failure, err
}

// overloaded is the 503 of an event over the ingest limit that could not be
// queued either (why says why).
func overloaded(limit int, why string) *api.Problem {
	p := problem.New(http.StatusServiceUnavailable, "the gateway is starting as many events as it may (%d) and %s; retry with the same id after the delay in Retry-After", limit, why)
	p.RetryAfter = 1
	return p
}
