// Package redact hides secrets in text meant for people: chat webhook URLs
// (the whole URL is the credential), tokens in webhook URLs, and secrets in
// error messages.
package redact

import (
	"net/url"
	"strings"
)

// Mask is what stands in for hidden text.
const Mask = "••••"

// URL keeps what identifies a destination (scheme, host, port, the first path
// segment and a hint of the second) and hides the rest:
// https://hooks.slack.com/services/T0…/•••• for a Slack webhook URL.
func URL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return Mask
	}
	out := u.Scheme + "://" + u.Host
	segs := strings.Split(strings.TrimPrefix(u.EscapedPath(), "/"), "/")
	switch {
	case len(segs) == 1 && segs[0] == "":
	case len(segs) == 1:
		out += "/" + Mask
	default:
		out += "/" + segs[0] + "/"
		if hint := segs[1]; len(hint) > 2 {
			out += hint[:2] + "…/" + Mask
		} else {
			out += Mask
		}
	}
	if u.RawQuery != "" {
		out += "?" + Mask
	}
	return out
}

// Secrets replaces every occurrence of each secret in s with Mask.
func Secrets(s string, secrets ...string) string {
	for _, sec := range secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, Mask)
		}
	}
	return s
}
