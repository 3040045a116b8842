package gateway

import (
	"context"
	"errors"
	"testing"
	"time"
)

// A team holds at most n places; another team's are its own; a wait ends
// with its context; a released place is taken by the next, and a team with
// none held leaves nothing behind.
func TestTeamGate(t *testing.T) {
	g := &teamGate{n: 2, slots: map[string]*gateSlots{}}
	ctx := context.Background()
	r1, err1 := g.enter(ctx, "a")
	r2, err2 := g.enter(ctx, "a")
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := g.enter(short, "a"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a third place for team a: %v, want to wait until its context ends", err)
	}
	rb, err := g.enter(ctx, "b")
	if err != nil {
		t.Fatalf("team b waited on team a: %v", err)
	}
	rb()
	r1()
	r3, err := g.enter(ctx, "a")
	if err != nil {
		t.Fatalf("a freed place: %v", err)
	}
	r2()
	r3()
	if len(g.slots) != 0 {
		t.Fatalf("%d teams left in the gate with nothing held", len(g.slots))
	}
}
