package cli

import (
	"bytes"
	"testing"
	"time"
)

func TestRelative(t *testing.T) {
	now := time.Date(2026, 1, 2, 12, 0, 0, 0, time.UTC)
	cases := map[time.Duration]string{0: "just now", -30 * time.Second: "30s ago", -3 * time.Minute: "3m ago",
		-5 * time.Hour: "5h ago", 2 * time.Hour: "in 2h", 90 * time.Second: "in 1m"}
	for d, want := range cases {
		if got := relative(now.Add(d), now); got != want {
			t.Errorf("relative(%s) = %q, want %q", d, got, want)
		}
	}
}

func TestColourOnlyOnATerminal(t *testing.T) {
	var b bytes.Buffer
	if got := colourize(&b, "failed"); got != "failed" {
		t.Errorf("colour written to a non-terminal: %q", got)
	}
}
