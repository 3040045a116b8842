package gateway

import (
	"bytes"
	"context"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/internal/eventtype"
	"github.com/heraldhq/herald/internal/store"
)

// matchCache remembers, for a moment, how many integrations an event of a
// team, type and project reaches: a burst of 40 build events asks Postgres
// once, not 40 times, and ingest stays off the database otherwise. The
// count is what the answer says, not what decides deliveries (the workflow
// matches again when it records the event).
type matchCache struct {
	mu      sync.Mutex
	ttl     time.Duration
	entries map[matchKey]matchCount
}

type matchKey struct{ team, typ, project string }

type matchCount struct {
	n  int
	at time.Time
}

// matchCacheMax bounds the cache; past it, it starts afresh.
const matchCacheMax = 10_000

func newMatchCache(ttl time.Duration) *matchCache {
	return &matchCache{ttl: ttl, entries: map[matchKey]matchCount{}}
}

func (m *matchCache) count(ctx context.Context, st *store.Store, in contract.EventInput) (int, error) {
	k := matchKey{in.TeamID, in.Type, in.ProjectID}
	now := time.Now()
	m.mu.Lock()
	e, ok := m.entries[k]
	m.mu.Unlock()
	if ok && now.Sub(e.at) < m.ttl {
		return e.n, nil
	}
	n, err := st.CountMatching(ctx, in.TeamID, eventtype.Candidates(in.Type), in.ProjectID)
	if err != nil {
		return 0, err
	}
	m.mu.Lock()
	if len(m.entries) >= matchCacheMax {
		m.entries = map[matchKey]matchCount{}
	}
	m.entries[k] = matchCount{n, now}
	m.mu.Unlock()
	return n, nil
}

// tellTheTruth completes an event's 202: whether its id was received
// before (and with another body), and how many integrations it reaches. A
// failure to find out leaves the fields out; the event is accepted anyway.
func (s *Server) tellTheTruth(c *fiber.Ctx, in contract.EventInput, report *contract.StartReport, acc *api.Accepted) {
	ctx, cancel := context.WithTimeout(c.UserContext(), time.Second)
	defer cancel()
	if dup, _ := report.Duplicate(); dup {
		acc.Duplicate = true
		if ev, err := s.store.GetEvent(ctx, in.TeamID, in.EventID); err == nil {
			differs := ev.Type != in.Type || !bytes.Equal(ev.Data, in.Data)
			acc.BodyDiffers = &differs
		}
	}
	n, err := s.matches.count(ctx, s.store, in)
	if err != nil {
		s.log.Warn("count the integrations an event reaches", "event", in.EventID, "error", err)
		return
	}
	acc.Matched = &n
}
