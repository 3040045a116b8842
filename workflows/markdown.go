package workflows

import "strings"

// markdownText is text from outside Herald (a receiver's answer in a
// reason, an integration's name) made plain for the Web UI, which renders
// a workflow's details as Markdown: its markup characters escaped, so a
// receiver cannot put links, images or HTML there, and its lines joined.
func markdownText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r':
			b.WriteByte(' ')
		case strings.ContainsRune("\\`*_{}[]()<>#+-.!|~&", r):
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
