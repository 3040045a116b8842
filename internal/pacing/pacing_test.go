package pacing

import (
	"errors"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/jsontime"
)

var t0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

// TestReserve is the reservation table: each row reserves at its time and
// gets its slot, in order, from one shared state.
func TestReserve(t *testing.T) {
	slack := Limit{Count: 1, Per: time.Second, Burst: 3}
	discord := Limit{Count: 5, Per: 2 * time.Second, Burst: 5}
	cases := []struct {
		name  string
		limit Limit
		now   []time.Duration // reservation times
		want  []time.Duration // their slots
	}{
		{"a burst of three goes at once, the rest one a second", slack,
			[]time.Duration{0, 0, 0, 0, 0, 0}, []time.Duration{0, 0, 0, time.Second, 2 * time.Second, 3 * time.Second}},
		{"requests slower than the rate are never held", slack,
			[]time.Duration{0, 2 * time.Second, 4 * time.Second}, []time.Duration{0, 2 * time.Second, 4 * time.Second}},
		{"an idle integration gets its full burst back", slack,
			[]time.Duration{0, 0, 0, 0, 10 * time.Second, 10 * time.Second, 10 * time.Second, 10 * time.Second},
			[]time.Duration{0, 0, 0, time.Second, 10 * time.Second, 10 * time.Second, 10 * time.Second, 11 * time.Second}},
		{"discord: five per two seconds", discord,
			[]time.Duration{0, 0, 0, 0, 0, 0, 0}, []time.Duration{0, 0, 0, 0, 0, 400 * time.Millisecond, 800 * time.Millisecond}},
		{"burst 1 spaces every request", Limit{Count: 4, Per: time.Second, Burst: 1},
			[]time.Duration{0, 0, 0}, []time.Duration{0, 250 * time.Millisecond, 500 * time.Millisecond}},
		{"unlimited never waits", Limit{},
			[]time.Duration{0, 0, 0}, []time.Duration{0, 0, 0}},
	}
	for _, c := range cases {
		var s State
		for i, n := range c.now {
			var slot time.Time
			s, slot = Reserve(s, c.limit, at(n))
			if !slot.Equal(at(c.want[i])) {
				t.Errorf("%s: request %d at %s got slot %s, want %s", c.name, i, n, slot.Sub(t0), c.want[i])
			}
		}
	}
}

func TestHoldReleasesOneSlotAtATime(t *testing.T) {
	l := Limit{Count: 1, Per: time.Second, Burst: 3}
	s := Hold(State{}, l, at(5*time.Second))
	var slots []time.Duration
	for range 4 {
		var slot time.Time
		s, slot = Reserve(s, l, at(time.Second))
		slots = append(slots, slot.Sub(t0))
	}
	want := []time.Duration{5 * time.Second, 6 * time.Second, 7 * time.Second, 8 * time.Second}
	for i := range want {
		if slots[i] != want[i] {
			t.Fatalf("after a hold until 5s: slots %v, want %v", slots, want)
		}
	}
	// A hold in the past changes nothing.
	if got := Hold(s, l, at(0)); got != s {
		t.Errorf("a past hold moved the state: %+v → %+v", s, got)
	}
}

func TestThrottledSlowsDownAndRecovers(t *testing.T) {
	l := Limit{Count: 1, Per: time.Second, Burst: 1}
	s := Throttled(State{}, l, at(0), time.Second)
	if s.Slowdown != 1 {
		t.Fatalf("slowdown %d after one 429", s.Slowdown)
	}
	// Nothing before the Retry-After; then one request every 2 s (half rate).
	s, first := Reserve(s, l, at(0))
	s, second := Reserve(s, l, at(0))
	if first != at(time.Second) || second.Sub(first) != 2*time.Second {
		t.Errorf("after a 429: slots at %s and %s, want 1s and 3s", first.Sub(t0), second.Sub(t0))
	}
	for range 5 {
		s = Throttled(s, l, at(0), 0)
	}
	if s.Slowdown != MaxSlowdown || Effective(l, s, at(0)).Interval() != 8*time.Second {
		t.Errorf("slowdown %d, interval %s: want at most %d halvings", s.Slowdown, Effective(l, s, at(0)).Interval(), MaxSlowdown)
	}
	for _, c := range []struct {
		after time.Duration
		want  time.Duration
	}{{0, 8 * time.Second}, {RecoverStep, 4 * time.Second}, {2 * RecoverStep, 2 * time.Second}, {3 * RecoverStep, time.Second}, {time.Hour, time.Second}} {
		if got := Effective(l, s, at(c.after)).Interval(); got != c.want {
			t.Errorf("%s after the last 429: interval %s, want %s", c.after, got, c.want)
		}
	}
	// A 429 during recovery counts from the slowdown in force, not the peak.
	s = Throttled(s, l, at(2*RecoverStep), 0)
	if s.Slowdown != 2 {
		t.Errorf("a 429 two steps into recovery: slowdown %d, want 2", s.Slowdown)
	}
}

func TestOverride(t *testing.T) {
	slack := Limit{Count: 1, Per: time.Second, Burst: 3}
	n := func(v int) *int { return &v }
	d := func(v time.Duration) *jsontime.Duration { j := jsontime.Duration(v); return &j }
	cases := []struct {
		o     *Override
		base  Limit
		want  Limit
		field string
	}{
		{nil, slack, slack, ""},
		{&Override{}, slack, slack, ""},
		{&Override{Count: n(2)}, slack, Limit{2, time.Second, 3}, ""},
		{&Override{Off: true}, slack, Limit{}, ""},
		{&Override{Count: n(10), Per: d(time.Second)}, Limit{}, Limit{10, time.Second, 1}, ""},
		{&Override{Count: n(10)}, Limit{}, Limit{}, "rateLimit.per"},
		{&Override{Count: n(0)}, slack, Limit{}, "rateLimit.count"},
		{&Override{Count: n(-3)}, slack, Limit{}, "rateLimit.count"},
		{&Override{Burst: n(0)}, slack, Limit{}, "rateLimit.burst"},
		{&Override{Per: d(0)}, slack, Limit{}, "rateLimit.per"},
		{&Override{Per: d(48 * time.Hour)}, slack, Limit{}, "rateLimit.per"},
		{&Override{Off: true, Count: n(1)}, slack, Limit{}, "rateLimit.off"},
	}
	for i, c := range cases {
		got, err := c.o.Apply(c.base)
		var fe *FieldError
		switch {
		case c.field == "" && err != nil:
			t.Errorf("case %d: %v", i, err)
		case c.field != "" && (!errors.As(err, &fe) || fe.Field != c.field):
			t.Errorf("case %d: error %v, want one naming %s", i, err, c.field)
		case c.field == "" && got != c.want:
			t.Errorf("case %d: %+v, want %+v", i, got, c.want)
		}
	}
}
