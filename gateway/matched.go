package gateway

import (
	"bytes"
	"context"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/sync/singleflight"

	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/internal/eventtype"
	"github.com/heraldhq/herald/internal/store"
)

// matchCache remembers, for a moment, how many integrations an event of a
// team, type and project reaches: a burst of 40 build events asks Postgres
// once (concurrent misses share one query), not 40 times. The count is what
// the answer says, not what decides deliveries (the workflow matches again
// when it records the event).
type matchCache struct {
	ttl     time.Duration
	load    func(ctx context.Context, k matchKey) (int, error)
	flights singleflight.Group

	mu      sync.Mutex
	entries map[matchKey]matchCount
}

type matchKey struct{ team, typ, project string }

type matchCount struct {
	n  int
	at time.Time
}

// matchCacheMax bounds the cache; past it, it starts afresh.
const matchCacheMax = 10_000

func newMatchCache(ttl time.Duration, st *store.Store) *matchCache {
	return &matchCache{ttl: ttl, entries: map[matchKey]matchCount{},
		load: func(ctx context.Context, k matchKey) (int, error) {
			return st.CountMatching(ctx, k.team, eventtype.Candidates(k.typ), k.project)
		}}
}

func (m *matchCache) count(ctx context.Context, in contract.EventInput) (int, error) {
	k := matchKey{in.TeamID, in.Type, in.ProjectID}
	m.mu.Lock()
	e, ok := m.entries[k]
	m.mu.Unlock()
	if ok && time.Since(e.at) < m.ttl {
		return e.n, nil
	}
	v, err, _ := m.flights.Do(k.team+"\x00"+k.typ+"\x00"+k.project, func() (any, error) {
		n, err := m.load(ctx, k)
		if err != nil {
			return 0, err
		}
		m.mu.Lock()
		if len(m.entries) >= matchCacheMax {
			m.entries = map[matchKey]matchCount{}
		}
		m.entries[k] = matchCount{n, time.Now()}
		m.mu.Unlock()
		return n, nil
	})
	if err != nil {
		return 0, err
	}
	return v.(int), nil
}

// tellTheTruth completes an event's 202: whether its id was received
// before (and with another body), and how many integrations it reaches. A
// failure to find out leaves the fields out; the event is accepted anyway.
func (s *Server) tellTheTruth(c *fiber.Ctx, in contract.EventInput, report *contract.StartReport, acc *api.Accepted) {
	ctx, cancel := context.WithTimeout(c.UserContext(), time.Second)
	defer cancel()
	if report.Duplicate() {
		acc.Duplicate = true
		if ev, err := s.store.GetEvent(ctx, in.TeamID, in.EventID); err == nil {
			differs := ev.Type != in.Type || !bytes.Equal(ev.Data, in.Data)
			acc.BodyDiffers = &differs
		}
	}
	n, err := s.matches.count(ctx, in)
	if err != nil {
		s.log.Warn("count the integrations an event reaches", "event", in.EventID, "error", err)
		return
	}
	acc.Matched = &n
}
