package channels

import (
	"strings"

	"github.com/heraldhq/herald/internal/runes"
)

// Event text is shown as text on every platform: each has its own markup and
// its own escape. The hostile-string tests (hostile_test.go) hold each one
// to it, through the fake platforms' parsers (test/fakes/markup.go).

// slackEscape escapes the three characters Slack's mrkdwn reserves.
func slackEscape(r rune) string {
	switch r {
	case '&':
		return "&amp;"
	case '<':
		return "&lt;"
	case '>':
		return "&gt;"
	}
	return string(r)
}

// markdown is a platform's markdown as an escape: the characters that open
// markup anywhere in a line get CommonMark's backslash escape, so do list
// markers where they open a list, and a platform's own traps get what
// breaks them.
type markdown struct {
	inline    string
	lineStart string
	// trap rewrites r (followed by next, or 0) when it opens a sequence no
	// backslash stops.
	trap func(r, next rune) (string, bool)
}

// discordMarkdown, as discord.js's escapeMarkdown: formatting, masked links
// ([text](url): its brackets), headings, quotes, spoilers, lists and '<',
// which opens <@id>, <#id> and <a:b:c>. '@' gets a zero-width space after
// it, so "@everyone" cannot even look like a mention; allowed_mentions stays
// empty as the second guard.
var discordMarkdown = markdown{inline: "\\*_~`|><[]#", lineStart: "-+",
	trap: func(r, _ rune) (string, bool) { return "@\u200b", r == '@' }}

// adaptiveMarkdown: Adaptive Cards render a CommonMark subset
// (https://learn.microsoft.com/en-us/adaptive-cards/authoring-cards/text-features):
// bold, italic, lists and links; code, strikethrough and '<' are escaped for
// the renderers that add them. "{{", which opens the card's DATE() and TIME()
// functions, is broken with a zero-width space.
var adaptiveMarkdown = markdown{inline: "\\*_[]~`<>", lineStart: "-+",
	trap: func(r, next rune) (string, bool) { return "{\u200b", r == '{' && next == '{' }}

// listMarker reports whether r, at the start of a line after digits digits
// and followed by next, opens a list: a bullet or "1." / "1)" followed by a
// space or the end of the line, as CommonMark has it.
func listMarker(r, next rune, digits int, bullets string) bool {
	if next != 0 && next != ' ' && next != '\t' && next != '\n' && next != '\r' {
		return false
	}
	if digits == 0 {
		return strings.ContainsRune(bullets, r)
	}
	return r == '.' || r == ')'
}

// fit escapes s and cuts it to max units as fitEscaped does.
func (md markdown) fit(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	runes := []rune(s)
	pieces := make([]string, 0, len(runes))
	lineStart, digits := true, 0
	for i, r := range runes {
		var next rune
		if i+1 < len(runes) {
			next = runes[i+1]
		}
		p := string(r)
		if trapped, ok := md.trap(r, next); ok {
			p = trapped
		} else if strings.ContainsRune(md.inline, r) || lineStart && listMarker(r, next, digits, md.lineStart) {
			p = "\\" + p
		}
		switch {
		case r == '\n' || r == '\r':
			lineStart, digits = true, 0
		case lineStart && r >= '0' && r <= '9':
			digits++
		case lineStart && digits == 0 && (r == ' ' || r == '\t'):
		default:
			lineStart, digits = false, 0
		}
		pieces = append(pieces, p)
	}
	return fit(pieces, max)
}

// fitEscaped escapes s rune by rune and cuts it so the escaped text fits in
// max units, ending with Ellipsis when it cut. An escape is never split.
func fitEscaped(s string, max int, esc func(rune) string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var pieces []string
	for _, r := range s {
		pieces = append(pieces, esc(r))
	}
	return fit(pieces, max)
}

// fit joins escaped pieces (each one character of the original) so they fit
// in max units, ending with Ellipsis when it cut. A piece is never split.
func fit(escaped []string, max int) string {
	var pieces []string
	used := 0
	for _, e := range escaped {
		if used+runes.Len(e) <= max {
			pieces = append(pieces, e)
			used += runes.Len(e)
			continue
		}
		for len(pieces) > 0 && used+runes.Len(runes.Ellipsis) > max {
			used -= runes.Len(pieces[len(pieces)-1])
			pieces = pieces[:len(pieces)-1]
		}
		if used+runes.Len(runes.Ellipsis) > max {
			return ""
		}
		return strings.Join(pieces, "") + runes.Ellipsis
	}
	return strings.Join(pieces, "")
}
