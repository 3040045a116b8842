// Package replay holds what a replay of past events to one integration
// takes: the events of its range its integration subscribes to (types and
// projects; its filter is applied by each event's run, with the event's
// data), narrowed by the replay's own patterns. The API counts them for its
// answer and the replay's pages go through them, by the same rule.
package replay

import (
	"context"
	"slices"
	"time"

	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/internal/eventtype"
	"github.com/heraldhq/herald/internal/expr"
	"github.com/heraldhq/herald/internal/outgoing"
	"github.com/heraldhq/herald/internal/store"
)

// PageSize is how many past events a replay reads at a time.
const PageSize = 50

// Scope is which past events a replay takes.
type Scope struct {
	integ    store.Integration
	filter   string
	patterns []string
}

// ScopeOf is the scope of a replay to integ narrowed by patterns
// (normalized; none: all the integration's types).
func ScopeOf(integ store.Integration, patterns []string) Scope {
	filter := integ.Filter
	integ.Filter = ""
	return Scope{integ: integ, filter: filter, patterns: patterns}
}

// Takes says whether the replay goes to ev by its type and project (what
// the total counts).
func (s Scope) Takes(ev store.EventRef) bool {
	if ok, _ := outgoing.Reaches(s.integ, expr.Input{Event: ev.Type, Project: ev.ProjectID}); !ok {
		return false
	}
	return len(s.patterns) == 0 || slices.ContainsFunc(s.patterns, func(p string) bool { return eventtype.Matches(p, ev.Type) })
}

// Passes says whether ev (read with its data) passes the integration's
// filter: a replay starts no run for one it turns away (the run would
// apply the same filter and make no delivery).
func (s Scope) Passes(ev store.EventRef) bool {
	ok, _ := outgoing.Passes(s.filter, expr.Input{Event: ev.Type, Data: ev.Data, Project: ev.ProjectID, Budget: expr.NewBudget()})
	return ok
}

// Count is how many past events of in's range the scope takes.
func (s Scope) Count(ctx context.Context, st *store.Store, in contract.ReplayInput) (int, error) {
	n, at, id := 0, time.Time{}, ""
	for {
		page, err := st.EventsBetween(ctx, in.TeamID, in.Since, in.Until, at, id, 5*PageSize, store.EventHeads)
		if err != nil {
			return 0, err
		}
		for _, ev := range page {
			if s.Takes(ev) {
				n++
			}
		}
		if len(page) < 5*PageSize {
			return n, nil
		}
		at, id = page[len(page)-1].ReceivedAt, page[len(page)-1].ID
	}
}

// Redeliver is what a replay asked to deliver again (in.Again) opens again.
func Redeliver(in contract.ReplayInput) store.Redeliver {
	if in.Again {
		return store.RedeliverAll
	}
	return store.RedeliverMissed
}
