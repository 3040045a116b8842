// Package spell finds the word a typo meant: the nearest of the known
// words by edit distance, for the "did you mean" of a warning or an error.
package spell

import "sort"

// Distance is the Levenshtein distance of a and b, in bytes (the words it
// compares are ASCII: patterns, field names).
func Distance(a, b string) int {
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

// Closest is the known word nearest to word, at a distance below limit,
// the first in sorted order among equals; "" when none is that near.
func Closest(word string, known []string, limit int) string {
	sorted := append([]string(nil), known...)
	sort.Strings(sorted)
	best, bestD := "", limit
	for _, k := range sorted {
		if d := Distance(word, k); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}
