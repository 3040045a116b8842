package runes

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTruncate(t *testing.T) {
	cases := []struct {
		in   string
		max  int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"a longer sentence", 10, "a longer…"},
		{"héllo wörld", 8, "héllo w…"},
		{"日本語のテキストです", 5, "日本語の…"},
		{"emoji 😀😀😀", 9, "emoji 😀…"},             // 😀 is two UTF-16 units
		{"e\u0301e\u0301e\u0301", 4, "e\u0301…"}, // never strands a base without its accent
		{"bad \xff byte", 20, "bad \uFFFD byte"},
		{"anything", 0, ""},
	}
	for _, c := range cases {
		got := Truncate(c.in, c.max)
		if got != c.want {
			t.Errorf("Truncate(%q, %d) = %q, want %q", c.in, c.max, got, c.want)
		}
		if Len(got) > c.max || !utf8.ValidString(got) {
			t.Errorf("Truncate(%q, %d) = %q: %d units, valid %v", c.in, c.max, got, Len(got), utf8.ValidString(got))
		}
	}
	long := strings.Repeat("x", 5000)
	if got := Truncate(long, 3000); Len(got) != 3000 || !strings.HasSuffix(got, Ellipsis) {
		t.Errorf("long: %d units", Len(got))
	}
}
