package workflows

import "strings"

// markdownText is text from outside Herald (a receiver's answer in a
// reason, an integration's name) made plain for the Web UI, which renders
// a workflow's details as Markdown: the characters that make inline markup
// escaped (emphasis, code, links, images, HTML, tables, strikethrough,
// entities), so a receiver cannot put any there, and its lines joined, so
// nothing of it starts a line (where # - + . would make markup).
func markdownText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r':
			b.WriteByte(' ')
		case strings.ContainsRune("\\`*_[]()<>!|~&", r):
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
