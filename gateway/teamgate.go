package gateway

import (
	"context"
	"runtime"
	"sync"
)

// teamGate lets each team run at most n of something at once on this
// gateway: checking events against schemas costs CPU, and one team's
// costly events then queue behind each other instead of taking every core
// from the other teams' requests.
type teamGate struct {
	n     int
	mu    sync.Mutex
	slots map[string]*gateSlots
}

type gateSlots struct {
	ch    chan struct{}
	users int // holding or waiting: the entry goes when none are
}

// newTeamGate lets a team use half of the gateway's cores, and at least one.
func newTeamGate() *teamGate {
	return &teamGate{n: max(1, runtime.GOMAXPROCS(0)/2), slots: map[string]*gateSlots{}}
}

// enter waits for one of team's places, or until ctx ends; release gives it back.
func (g *teamGate) enter(ctx context.Context, team string) (release func(), err error) {
	g.mu.Lock()
	s := g.slots[team]
	if s == nil {
		s = &gateSlots{ch: make(chan struct{}, g.n)}
		g.slots[team] = s
	}
	s.users++
	g.mu.Unlock()
	leave := func() {
		g.mu.Lock()
		if s.users--; s.users == 0 {
			delete(g.slots, team)
		}
		g.mu.Unlock()
	}
	select {
	case s.ch <- struct{}{}:
		return func() { <-s.ch; leave() }, nil
	case <-ctx.Done():
		leave()
		return nil, ctx.Err()
	}
}
