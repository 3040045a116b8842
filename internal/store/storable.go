package store

import (
	"strings"
	"unicode/utf8"
)

// nulSymbol stands in for a NUL byte (U+2400 SYMBOL FOR NULL), which Postgres
// text and jsonb cannot hold: a reader of the stored response still sees
// where the NUL was.
const nulSymbol = "\u2400"

// Storable makes text that came from outside (a receiver's body, headers or
// error) storable in Postgres: invalid UTF-8 becomes U+FFFD and NUL becomes
// ␀. Valid text without NUL comes back unchanged, without copying.
func Storable(s string) string {
	if utf8.ValidString(s) && !strings.Contains(s, "\x00") {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", nulSymbol)
}

// storableHeaders applies Storable to every header name and value (a copy;
// nil stays nil).
func storableHeaders(h Headers) Headers {
	if h == nil {
		return nil
	}
	out := make(Headers, len(h))
	for k, vs := range h {
		name := Storable(k)
		for _, v := range vs {
			out[name] = append(out[name], Storable(v))
		}
	}
	return out
}

// storableAttempt applies Storable to everything in an attempt that a
// receiver or the network wrote.
func storableAttempt(a Attempt) Attempt {
	a.Reason = Storable(a.Reason)
	a.Error = Storable(a.Error)
	a.RequestBody = Storable(a.RequestBody)
	a.ResponseBody = Storable(a.ResponseBody)
	a.RequestHeaders = storableHeaders(a.RequestHeaders)
	a.ResponseHeaders = storableHeaders(a.ResponseHeaders)
	return a
}
