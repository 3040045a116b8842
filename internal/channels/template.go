package channels

import (
	"strings"

	"github.com/heraldhq/herald/internal/chattemplate"
	"github.com/heraldhq/herald/internal/runes"
)

// Each chat platform's dialect for message templates
// (internal/chattemplate): action output escaped as the built-in messages
// escape event text, links in the platform's own form. A link's URL has the
// characters that would end the link's markup percent-encoded.
var (
	// plainDialect is for Slack's header, a plain_text object: nothing in
	// it is markup, so nothing is escaped and a link is its text.
	plainDialect = chattemplate.Dialect{Escape: func(s string) string { return s },
		Link: func(_, text string) string { return text }}
	slackDialect = chattemplate.Dialect{Escape: slackMarkup,
		Link: func(u, text string) string {
			return "<" + linkURL(u) + "|" + strings.ReplaceAll(slackMarkup(text), "|", "¦") + ">"
		}}
	discordDialect = chattemplate.Dialect{Escape: discordMarkdown.escape,
		Link: func(u, text string) string { return "[" + discordMarkdown.escape(text) + "](" + linkURL(u) + ")" }}
	adaptiveDialect = chattemplate.Dialect{Escape: adaptiveMarkdown.escape,
		Link: func(u, text string) string { return "[" + adaptiveMarkdown.escape(text) + "](" + linkURL(u) + ")" }}
)

func slackMarkup(s string) string { return fitEscaped(s, chattemplate.MaxOutput, slackEscape) }

// escape is the whole of s escaped (the output cap bounds it).
func (md markdown) escape(s string) string { return md.fit(s, chattemplate.MaxOutput) }

var urlBreakers = strings.NewReplacer("|", "%7C", "<", "%3C", ">", "%3E", " ", "%20", "(", "%28", ")", "%29")

func linkURL(u string) string { return urlBreakers.Replace(u) }

// templated is m's template rendered in a platform's dialects (title, text):
// ok is false when m has none or it failed on this event, and then failed
// says why, for a line in the built-in message that goes instead (the event
// is delivered either way).
func templated(m Message, title, text chattemplate.Dialect) (out chattemplate.Rendered, ok bool, failed string) {
	if m.Template == nil {
		return out, false, ""
	}
	in := chattemplate.Input{EventID: m.EventID, Event: m.EventType, Data: m.Data, Project: m.ProjectID}
	out, err := m.Template.Render(in, title, text)
	if err != nil {
		return out, false, runes.Truncate(runes.OneLine("template not used: "+err.Error()), 300)
	}
	return out, true, ""
}

// cutMarkup cuts already-escaped text to max runes without leaving a piece
// of markup open: a cut inside <…> (Slack) drops the piece.
func cutMarkup(s string, max int) string {
	if runes.Len(s) <= max {
		return s
	}
	cut := runes.Truncate(s, max)
	if open := strings.LastIndexByte(cut, '<'); open > strings.LastIndexByte(cut, '>') {
		cut = cut[:open] + runes.Ellipsis
	}
	return cut
}
