package catalog

import (
	"fmt"
	"strings"

	"github.com/heraldhq/herald/internal/eventtype"
	"github.com/heraldhq/herald/internal/spell"
)

// PatternWarnings says, for each subscription pattern that matches no type
// of the catalog nor of the team's own (own), that it matches nothing yet
// and which known pattern is closest: a typo (biuld:*, build:failed,
// deploy:*) is then caught when the integration is made, not weeks later
// when an event never arrives. Patterns are normalized.
func PatternWarnings(patterns, own []string) []string {
	known := knownPatterns(own)
	var out []string
	for _, p := range patterns {
		if p == "*" || known[p] {
			continue
		}
		w := fmt.Sprintf("%q matches no event type Herald or the team knows", p)
		if near := closest(p, known); near != "" {
			w += fmt.Sprintf("; did you mean %q?", near)
		}
		out = append(out, w+" (it will match such a type if one is sent)")
	}
	return out
}

// knownPatterns are the patterns that match a catalogued or team type: each
// type and each family pattern that takes it.
func knownPatterns(own []string) map[string]bool {
	out := map[string]bool{}
	add := func(t string) {
		for _, c := range eventtype.Candidates(t) {
			if c != "*" {
				out[c] = true
			}
		}
	}
	for _, t := range eventtype.Catalogue() {
		add(t)
	}
	for _, t := range own {
		add(t)
	}
	return out
}

// closest is the known pattern nearest p by edit distance, of the same form
// (a family for a family, a type for a type), within half of p's length.
func closest(p string, known map[string]bool) string {
	family := strings.HasSuffix(p, ":*")
	names := make([]string, 0, len(known))
	for k := range known {
		if strings.HasSuffix(k, ":*") == family {
			names = append(names, k)
		}
	}
	return spell.Closest(p, names, len(p)/2+1)
}
