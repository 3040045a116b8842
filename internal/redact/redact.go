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
		out += "/" + pathWord(segs[0]) + "/"
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

// pathWord shows a first path segment whole only when it reads like a route
// word ("services", "api", "v1"); anything else may be a credential (Telegram
// puts the bot token there: /bot123456:AAE…/sendMessage) and keeps two
// characters as a hint.
func pathWord(seg string) string {
	digits := 0
	for _, r := range seg {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == '-', r == '_', r == '.':
		case r >= '0' && r <= '9':
			digits++
		default:
			digits = 99
		}
	}
	if len(seg) <= 24 && digits <= 2 {
		return seg
	}
	if len(seg) > 2 {
		return seg[:2] + "…"
	}
	return Mask
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
