package cli

import (
	"bytes"
	"io"
	"os"
	"testing"
	"time"

	"github.com/creack/pty"
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

// Status words are painted on a terminal (a real one: a pseudo-terminal),
// by the word before a colon or space; not with NO_COLOR, not for a word
// without a colour, not on a file or a buffer.
func TestColourOnlyOnATerminal(t *testing.T) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Fatalf("open a pseudo-terminal: %v", err)
	}
	defer ptmx.Close()
	defer tty.Close()
	file, err := os.Create(t.TempDir() + "/out")
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	var buf bytes.Buffer
	for _, c := range []struct {
		w       io.Writer
		noColor string
		word    string
		want    string
	}{
		{tty, "", "failed", "\x1b[31mfailed\x1b[0m"},
		{tty, "", "delivered", "\x1b[32mdelivered\x1b[0m"},
		{tty, "", "retrying: HTTP 503", "\x1b[33mretrying: HTTP 503\x1b[0m"},
		{tty, "", "grouped", "grouped"},
		{tty, "1", "failed", "failed"},
		{file, "", "failed", "failed"},
		{&buf, "", "failed", "failed"},
	} {
		t.Setenv("NO_COLOR", c.noColor)
		if c.noColor == "" {
			os.Unsetenv("NO_COLOR")
		}
		if got := colourize(c.w, c.word); got != c.want {
			t.Errorf("%T, NO_COLOR=%q, %q: %q, want %q", c.w, c.noColor, c.word, got, c.want)
		}
	}
}
