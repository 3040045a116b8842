// Package runes measures and cuts text as chat platforms count it.
package runes

import (
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Ellipsis marks text that was cut to fit a platform limit.
const Ellipsis = "…"

// Len is a string's length as the platforms count it. Slack counts characters,
// Discord and Teams count JavaScript string length (UTF-16 code units); the
// code-unit count is never smaller, so limits checked with it hold for both.
func Len(s string) int {
	n := 0
	for _, r := range s {
		if l := utf16.RuneLen(r); l > 0 {
			n += l
		} else { // invalid: sent as U+FFFD, one unit
			n++
		}
	}
	return n
}

// Truncate cuts s to at most max units (see Len), on a rune boundary and not
// inside a run of combining marks, ending with Ellipsis when it cut anything.
// Invalid UTF-8 is replaced first, so the result is always valid.
func Truncate(s string, max int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if Len(s) <= max {
		return s
	}
	if max <= 0 {
		return ""
	}
	budget := max - Len(Ellipsis)
	if budget <= 0 {
		return ""
	}
	cut, used := 0, 0
	for i, r := range s {
		w := utf16.RuneLen(r)
		if used+w > budget {
			break
		}
		used += w
		cut = i + utf8.RuneLen(r)
	}
	// Do not leave a base character whose combining marks were cut off.
	for cut > 0 {
		next, _ := utf8.DecodeRuneInString(s[cut:])
		if !unicode.Is(unicode.Mn, next) && !unicode.Is(unicode.Me, next) {
			break
		}
		_, size := utf8.DecodeLastRuneInString(s[:cut])
		cut -= size
	}
	return strings.TrimRightFunc(s[:cut], unicode.IsSpace) + Ellipsis
}

// OneLine folds newlines and tabs into spaces (for titles and headers).
func OneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
