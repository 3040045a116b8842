package gateway

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"
)

// ttlCache remembers, for a moment, what load answers for a key: a burst
// of 40 events of one team asks Postgres once (concurrent misses share one
// load), not 40 times. When a load fails, the last answer it had serves,
// however old (a team's validateData holds through a Postgres outage).
type ttlCache[K comparable, V any] struct {
	ttl     time.Duration
	load    func(ctx context.Context, k K) (V, error)
	flights singleflight.Group
	// misses counts the gets that found no fresh entry and went to a flight.
	misses atomic.Int64

	mu      sync.Mutex
	entries map[K]ttlEntry[V]
}

type ttlEntry[V any] struct {
	v  V
	at time.Time
}

// ttlCacheMax bounds a cache; past it, it starts afresh.
const ttlCacheMax = 10_000

func newTTLCache[K comparable, V any](ttl time.Duration, load func(ctx context.Context, k K) (V, error)) *ttlCache[K, V] {
	return &ttlCache[K, V]{ttl: ttl, load: load, entries: map[K]ttlEntry[V]{}}
}

// fresh is k's entry, and whether it is younger than the TTL.
func (m *ttlCache[K, V]) fresh(k K) (ttlEntry[V], bool, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.entries[k]
	return e, ok, ok && time.Since(e.at) < m.ttl
}

func (m *ttlCache[K, V]) get(ctx context.Context, k K) (V, error) {
	e, ok, fresh := m.fresh(k)
	if fresh {
		return e.v, nil
	}
	m.misses.Add(1)
	v, err, _ := m.flights.Do(fmt.Sprintf("%#v", k), func() (any, error) { // strings quoted: no two keys alike
		// A caller that reaches the flight just after another one ended
		// finds that one's answer.
		if e, _, fresh := m.fresh(k); fresh {
			return e.v, nil
		}
		v, err := m.load(ctx, k)
		if err != nil {
			return v, err
		}
		m.mu.Lock()
		if len(m.entries) >= ttlCacheMax {
			m.entries = map[K]ttlEntry[V]{}
		}
		m.entries[k] = ttlEntry[V]{v, time.Now()}
		m.mu.Unlock()
		return v, nil
	})
	if err != nil {
		if ok { // the last answer, stale, serves while the source is away
			return e.v, nil
		}
		var zero V
		return zero, err
	}
	return v.(V), nil
}

// forget drops k: the next get loads it (a change made on this gateway is
// seen at once here, and within the TTL on the others).
func (m *ttlCache[K, V]) forget(k K) {
	m.mu.Lock()
	delete(m.entries, k)
	m.mu.Unlock()
}
