package store

import (
	"testing"
	"unicode/utf8"
)

func TestStorable(t *testing.T) {
	cases := []struct{ in, want string }{
		{"plain", "plain"},
		{"a\x00b", "a\u2400b"},
		{"bad \xff\xfe", "bad \uFFFD"},
		{"cut \xc3", "cut \uFFFD"},
		{"é", "é"},
	}
	for _, c := range cases {
		got := Storable(c.in)
		if got != c.want || !utf8.ValidString(got) {
			t.Errorf("Storable(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	h := storableHeaders(Headers{"X-A": {"v\x00"}, "X-\xff": {"ok"}})
	if h["X-A"][0] != "v\u2400" || h["X-\uFFFD"][0] != "ok" {
		t.Errorf("headers: %v", h)
	}
}
