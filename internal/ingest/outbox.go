package ingest

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/internal/store"
)

// An event that arrives while the gateway is at its ingest limit is not
// turned away: it is written to the event_outbox table (202, "queued") and a
// dispatcher starts it as soon as the limit lets it. A burst is then taken at
// the pace of a Postgres insert, not of a workflow start, and nothing about
// the event is lost: it leaves the outbox only once its workflow exists. Only
// a full outbox (HERALD_OUTBOX_LIMIT) or an unreachable Postgres gets 503.
const (
	// outboxBatch is how many events a dispatcher claims at once.
	outboxBatch = 64
	// outboxPoll is how often a dispatcher looks for events other gateways
	// left behind (it is woken at once for its own).
	outboxPoll = time.Second
	// outboxLease is how long a dispatcher's claim on a batch lasts: a
	// dispatcher that dies leaves its batch to another after it. Starting a
	// batch stops outboxLeaseMargin before the lease ends, so a live
	// dispatcher settles its claim while it still holds it.
	outboxLease       = 30 * time.Second
	outboxLeaseMargin = 5 * time.Second
)

// outboxStore is what the outbox keeps in Postgres.
type outboxStore interface {
	EnqueueEvent(ctx context.Context, e store.OutboxEvent) error
	OutboxDepth(ctx context.Context) (int, error)
	OutboxSetAside(ctx context.Context) (int, error)
	DispatchOutbox(ctx context.Context, owner string, limit int, lease time.Duration, start func([]store.OutboxEvent) []store.OutboxStart) (claimed, started int, err error)
}

// outbox keeps events accepted over the ingest limit and starts them as the
// limit allows.
type Outbox struct {
	store outboxStore
	// owner names this dispatcher's claims.
	owner   string
	starter Starter
	// limit is how many events may wait (0: queueing is off).
	limit  int
	ingest *Limiter
	log    *slog.Logger
	// depth is the number of events waiting, as last counted plus those
	// enqueued since.
	depth atomic.Int64
	// setAside is the number of events set aside, as last counted.
	setAside atomic.Int64
	wake     chan struct{}

	once   sync.Once
	cancel context.CancelFunc
	done   chan struct{}
}

func NewOutbox(st outboxStore, starter Starter, limit int, ingest *Limiter, log *slog.Logger) *Outbox {
	return &Outbox{store: st, owner: store.NewID("dispatcher"), starter: starter, limit: limit, ingest: ingest, log: log, wake: make(chan struct{}, 1)}
}

// start runs the dispatcher (once, however often the gateway serves).
func (o *Outbox) Start() {
	o.once.Do(func() {
		ctx, cancel := context.WithCancel(context.Background())
		o.cancel, o.done = cancel, make(chan struct{})
		go o.run(ctx)
	})
}

// stop ends the dispatcher, if it runs; events it had not started stay in
// the outbox for the next one.
func (o *Outbox) Stop() {
	o.once.Do(func() {}) // a gateway that never served has nothing to stop
	if o.cancel != nil {
		o.cancel()
		<-o.done
	}
}

// Depth is the number of events waiting, as last counted plus those
// enqueued since; SetAside the number set aside, as last counted.
func (o *Outbox) Depth() int64    { return o.depth.Load() }
func (o *Outbox) SetAside() int64 { return o.setAside.Load() }

func (o *Outbox) poke() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// enqueue keeps an event for the dispatcher.
func (o *Outbox) Enqueue(ctx context.Context, in contract.EventInput) error {
	switch {
	case o.limit == 0:
		return overloaded(o.ingest.Current(), "queueing is off")
	case !o.reserve(int64(o.limit)):
		return overloaded(o.ingest.Current(), "the outbox is full")
	}
	input, err := json.Marshal(in)
	if err != nil {
		o.depth.Add(-1)
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	if err := o.store.EnqueueEvent(ctx, store.OutboxEvent{TeamID: in.TeamID, EventID: in.EventID, Input: input, ReceivedAt: in.ReceivedAt}); err != nil {
		o.depth.Add(-1)
		o.log.Error("enqueue event", "event", in.EventID, "error", err)
		return overloaded(o.ingest.Current(), "the outbox is unavailable")
	}
	o.poke()
	return nil
}

// reserve takes a place in the outbox, if one of limit is free.
func (o *Outbox) reserve(limit int64) bool {
	for {
		d := o.depth.Load()
		if d >= limit {
			return false
		}
		if o.depth.CompareAndSwap(d, d+1) {
			return true
		}
	}
}

func (o *Outbox) run(ctx context.Context) {
	defer close(o.done)
	tick := time.NewTicker(outboxPoll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-o.wake:
		case <-tick.C:
		}
		o.drain(ctx)
		if n, err := o.store.OutboxDepth(ctx); err == nil {
			o.depth.Store(int64(n))
		}
		if n, err := o.store.OutboxSetAside(ctx); err == nil {
			o.setAside.Store(int64(n))
		}
	}
}

// drain starts waiting events until none is left or none could be started.
func (o *Outbox) drain(ctx context.Context) {
	for ctx.Err() == nil {
		claimed, n, err := o.store.DispatchOutbox(ctx, o.owner, outboxBatch, outboxLease, func(batch []store.OutboxEvent) []store.OutboxStart { return o.startBatch(ctx, batch) })
		if err != nil {
			if ctx.Err() == nil {
				o.log.Warn("dispatch queued events", "error", err)
			}
			return
		}
		// Events that failed wait for their next try; the rest go on at once.
		if claimed == 0 {
			return
		}
		o.depth.Add(-int64(n))
	}
}

// startBatch starts each event's workflow within the ingest limit, waiting for
// a slot when the limit is full (until the claim's lease nears its end), and
// says what became of each.
func (o *Outbox) startBatch(ctx context.Context, batch []store.OutboxEvent) []store.OutboxStart {
	ctx, cancel := context.WithTimeout(ctx, outboxLease-outboxLeaseMargin)
	defer cancel()
	out := make([]store.OutboxStart, len(batch))
	var wg sync.WaitGroup
	for i, e := range batch {
		var in contract.EventInput
		if err := json.Unmarshal(e.Input, &in); err != nil {
			// Cannot happen for rows this gateway wrote; keeping it would block the queue.
			o.log.Error("set aside an unreadable queued event", "team", e.TeamID, "event", e.EventID, "error", err)
			out[i] = store.OutboxStart{Failure: contract.StartRefused, Error: "unreadable: " + err.Error()}
			continue
		}
		release := o.slot(ctx)
		if release == nil {
			// Not tried: it waits its next turn, uncounted.
			out[i] = store.OutboxStart{Failure: contract.StartSlow, Error: "not started: no room under the ingest limit before the dispatcher's claim ran out"}
			continue
		}
		wg.Go(func() {
			_, failure, err := o.starter.StartAdmitted(ctx, release, in)
			if err != nil {
				o.log.Warn("start queued event", "team", in.TeamID, "event", in.EventID, "error", err)
				out[i] = store.OutboxStart{Failure: failure, Error: err.Error()}
				return
			}
			out[i] = store.OutboxStart{Started: true}
		})
	}
	wg.Wait()
	return out
}

// slot waits for room under the ingest limit (nil when ctx ends first).
func (o *Outbox) slot(ctx context.Context) func(contract.StartFailure) {
	for {
		if release, ok := o.ingest.Admit(); ok {
			return release
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(10 * time.Millisecond):
		}
	}
}
