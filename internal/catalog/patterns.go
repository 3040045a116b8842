package catalog

import (
	"fmt"
	"sort"

	"github.com/heraldhq/herald/internal/eventtype"
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

// closest is the known pattern nearest p by edit distance, preferring the
// same form (a family for a family, a type for a type); "" when none is
// within half of p's length.
func closest(p string, known map[string]bool) string {
	family := len(p) > 2 && p[len(p)-2:] == ":*"
	names := make([]string, 0, len(known))
	for k := range known {
		if (len(k) > 2 && k[len(k)-2:] == ":*") == family {
			names = append(names, k)
		}
	}
	sort.Strings(names) // the same answer every time for equal distances
	best, bestD := "", len(p)/2+1
	for _, k := range names {
		if d := editDistance(p, k); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of a and b (bytes: patterns are ASCII).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
