// Package eventread reads an event into what a person wants to know of it (a
// Summary: headline, tone, labelled fields, one sentence, link, time), before
// any platform's format: one reader per category of the event catalog.
package eventread

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/heraldhq/herald/internal/datapath"
	"github.com/heraldhq/herald/internal/eventtype"
	"github.com/heraldhq/herald/internal/runes"
)

// Tone is the mood of a notification: it picks the colour and the emoji.
type Tone int

// Tones.
const (
	ToneInfo Tone = iota
	ToneStarted
	ToneSuccess
	ToneFailure
	ToneAborted
	ToneWarning
)

// Colour is the tone's RGB colour (Discord embeds, Teams themeColor).
func (t Tone) Colour() int {
	switch t {
	case ToneStarted:
		return 0x2F80ED
	case ToneSuccess:
		return 0x2EB67D
	case ToneFailure:
		return 0xE01E5A
	case ToneAborted:
		return 0x9E9E9E
	case ToneWarning:
		return 0xECB22E
	}
	return 0x6B7280
}

// Emoji leads titles in Slack (where blocks carry no colour).
func (t Tone) Emoji() string {
	switch t {
	case ToneStarted:
		return "🔵"
	case ToneSuccess:
		return "✅"
	case ToneFailure:
		return "🔴"
	case ToneAborted:
		return "⚪"
	case ToneWarning:
		return "🟠"
	}
	return "🔔"
}

// Field is one labelled value of a notification.
type Field struct {
	Name  string
	Value string
}

// Summary is an event as a person reads it, before any platform's format.
type Summary struct {
	Type string
	// Title is the headline: "Build started · Website".
	Title string
	Tone  Tone
	// Fields are the labelled details, most useful first.
	Fields []Field
	// Text is one sentence with what matters most ("Memory at 93%, above
	// the 90% threshold"): the line a phone notification shows.
	Text string
	// Link is an http(s) URL the data carries, if any.
	Link string
	// Timestamp is the event's own time (RFC 3339), if the data carries one.
	Timestamp string
}

// Summarize reads an event into a Summary. Each category the platform sends
// has its own reader (readers.go) that knows where its data lives; anything
// else gets a generic summary that still shows the type, the project and the
// top-level data fields. A field the data lacks is left out, never shown empty.
func Summarize(eventType string, raw json.RawMessage) Summary {
	var data map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	_ = dec.Decode(&data) // not an object: treated as empty
	if data == nil {
		data = map[string]any{}
	}
	cat := eventtype.Category(eventType)
	read, known := readers[cat]
	if !known {
		return generic(eventType, raw, data)
	}
	r := &reading{Summary: Summary{Type: eventType, Tone: ToneInfo}, data: data,
		action: strings.TrimPrefix(eventType, cat+":")}
	read(r)
	if r.Link == "" {
		r.Link = firstURL(data, r.entity)
	}
	if r.Timestamp == "" {
		r.Timestamp = firstString(r.entity, "createdAt", "startedAt")
	}
	if r.Timestamp == "" {
		r.Timestamp = firstString(data, "createdAt", "timestamp", "time")
	}
	return r.Summary
}

// genericFields caps how many top-level fields an unknown event shows.
const genericFields = 10

func generic(eventType string, raw json.RawMessage, data map[string]any) Summary {
	s := Summary{Type: eventType, Title: eventType, Tone: ToneInfo}
	if p := nameAndID(data, "project"); p != "" {
		s.Fields = append(s.Fields, Field{"Project", p})
	}
	for _, kv := range topLevel(raw) {
		if len(s.Fields) >= genericFields {
			break
		}
		if kv.key == "project" {
			continue
		}
		s.Fields = append(s.Fields, Field{kv.key, kv.value})
	}
	s.Link = firstURL(data, nil)
	return s
}

type keyValue struct{ key, value string }

// topLevel lists an object's fields in their order, values as text.
func topLevel(raw json.RawMessage) []keyValue {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil
	}
	var out []keyValue
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return out
		}
		key, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return out
		}
		out = append(out, keyValue{key, valueText(v)})
	}
	return out
}

// valueText is a JSON value as a person reads it: strings bare, the rest compact JSON.
func valueText(v json.RawMessage) string {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	var buf bytes.Buffer
	if json.Compact(&buf, v) != nil {
		return string(v)
	}
	return runes.Truncate(buf.String(), 300)
}

// lookup follows a dotted path through nested objects to a scalar, as text.
func lookup(data map[string]any, path string) string {
	cur, _ := datapath.Find(data, path)
	return valueString(cur)
}

// valueString is a scalar as text; anything else is "".
func valueString(cur any) string {
	switch v := cur.(type) {
	case string:
		return strings.TrimSpace(v)
	case json.Number:
		return v.String()
	case bool:
		return fmt.Sprint(v)
	}
	return ""
}

func firstString(data map[string]any, paths ...string) string {
	for _, p := range paths {
		if v := lookup(data, p); v != "" {
			return v
		}
	}
	return ""
}

// nameAndID is "Name (id)", or whichever of the two exists.
func nameAndID(data map[string]any, key string) string {
	name, id := lookup(data, key+".name"), lookup(data, key+".id")
	switch {
	case name != "" && id != "" && name != id:
		return name + " (" + id + ")"
	case name != "":
		return name
	}
	return id
}

func shortSHA(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

// firstURL finds a link in the usual places; only absolute http(s) URLs count.
func firstURL(data, entity map[string]any) string {
	for _, c := range []string{firstString(entity, "url", "link", "logsUrl"), firstString(data, "url", "link")} {
		if u, err := url.Parse(c); err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" {
			return c
		}
	}
	return ""
}

func joinList(v any) string {
	list, _ := v.([]any)
	var out []string
	for _, x := range list {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return strings.Join(out, ", ")
}
