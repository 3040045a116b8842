package gateway

import (
	"bytes"
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/internal/eventtype"
	"github.com/heraldhq/herald/internal/store"
)

// matchKey is what the count of integrations an event reaches depends on.
// The count is what the answer says, not what decides deliveries (the
// workflow matches again when it records the event).
type matchKey struct{ team, typ, project string }

func newMatchCache(ttl time.Duration, st *store.Store) *ttlCache[matchKey, int] {
	return newTTLCache(ttl, func(ctx context.Context, k matchKey) (int, error) {
		return st.CountMatching(ctx, k.team, eventtype.Candidates(k.typ), k.project)
	})
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
	n, err := s.matches.get(ctx, matchKey{in.TeamID, in.Type, in.ProjectID})
	if err != nil {
		s.log.Warn("count the integrations an event reaches", "event", in.EventID, "error", err)
		return
	}
	acc.Matched = &n
}
