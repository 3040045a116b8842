package channels

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/heraldhq/herald/internal/datapath"
	"github.com/heraldhq/herald/internal/eventtype"
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

// adaptiveColour is the Adaptive Card text colour of a tone.
func (t Tone) adaptiveColour() string {
	switch t {
	case ToneSuccess:
		return "Good"
	case ToneFailure:
		return "Attention"
	case ToneWarning:
		return "Warning"
	case ToneStarted:
		return "Accent"
	}
	return "Default"
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
	// Link is an http(s) URL the data carries, if any.
	Link string
	// Timestamp is the event's own time (RFC 3339), if the data carries one.
	Timestamp string
}

// categories are the known categories' display names.
var categories = map[string]string{
	"build": "Build", "deployment": "Deployment", "job-run": "Job run", "backup": "Backup",
	"addon-backup": "Backup", "billing": "Billing", "alert": "Alert", "service": "Service",
	"integration": "Integration",
}

// entities are where each category keeps its main object in the data.
var entities = map[string][]string{
	"build": {"build"}, "deployment": {"deployment"}, "job-run": {"run", "jobRun", "job"},
	"backup": {"backup"}, "addon-backup": {"backup"}, "billing": {"invoice", "billing"},
	"alert": {"alert"}, "service": {"deployment", "autoscaling"}, "integration": {"integration"},
}

// Summarize reads an event into a Summary. Known categories get a tailored
// title and fields; anything else a generic one that still shows the type,
// the project and the top-level data fields.
func Summarize(eventType string, raw json.RawMessage) Summary {
	var data map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	_ = dec.Decode(&data) // not an object: treated as empty
	cat := eventtype.Category(eventType)
	action := strings.TrimPrefix(eventType, cat+":")
	if _, known := categories[cat]; !known {
		return generic(eventType, raw, data)
	}
	if eventType == eventtype.AlertGroup {
		return alertGroup(data)
	}
	s := Summary{Type: eventType}
	entity := map[string]any{}
	for _, key := range entities[cat] {
		if m, ok := data[key].(map[string]any); ok {
			entity = m
			break
		}
	}
	var what string
	what, s.Tone = describe(cat, action, data, entity)
	s.Title = categories[cat] + " " + what
	if cat == "alert" || cat == "integration" {
		s.Title = what
	}
	if subject := firstString(data, "service.name", "service.id", "job.name", "job.id", "addon.name", "addon.id", "integration.name"); subject != "" {
		s.Title += " · " + subject
	}
	add := func(name, value string) {
		if value != "" {
			s.Fields = append(s.Fields, Field{name, value})
		}
	}
	add("Project", nameAndID(data, "project"))
	add("Service", nameAndID(data, "service"))
	add("Job", nameAndID(data, "job"))
	add("Addon", nameAndID(data, "addon"))
	add("Branch", firstString(entity, "branch"))
	if sha := firstString(entity, "sha", "commit", "commitSha"); sha != "" {
		add("Commit", shortSHA(sha))
	}
	add("Status", firstString(entity, "status"))
	add("ID", firstString(entity, "id"))
	add("User", firstString(data, "user.name", "user.email", "user.id"))
	add("Reason", firstString(data, "reason", "message"))
	if cat == "alert" {
		for _, k := range []string{"container", "value", "threshold", "usage", "limit"} {
			add(strings.ToUpper(k[:1])+k[1:], firstString(entity, k))
		}
	}
	if cat == "billing" {
		add("Amount", firstString(entity, "amount", "total"))
	}
	add("Started", firstString(entity, "createdAt", "startedAt"))
	add("Finished", firstString(entity, "concludedAt", "finishedAt", "completedAt"))
	s.Link = firstURL(data, entity)
	s.Timestamp = firstString(entity, "createdAt", "startedAt")
	if s.Timestamp == "" {
		s.Timestamp = firstString(data, "createdAt", "timestamp", "time")
	}
	return s
}

// describe turns an action into words and a tone.
func describe(cat, action string, data, entity map[string]any) (string, Tone) {
	if cat == "alert" {
		resolved := strings.HasSuffix(action, ":resolved") || firstString(data, "resolved") == "true"
		name := strings.TrimSuffix(action, ":resolved")
		words := map[string]string{"container-crash": "Container crashed", "high-cpu": "High CPU usage",
			"high-memory": "High memory usage", "volume-space": "Volume nearly full"}[name]
		if words == "" {
			words = "Alert: " + strings.ReplaceAll(name, "-", " ")
		}
		switch {
		case resolved:
			return "Resolved: " + words, ToneSuccess
		case name == "container-crash":
			return words, ToneFailure
		}
		return words, ToneWarning
	}
	if cat == "integration" {
		switch action {
		case "disabled":
			return "Integration disabled", ToneFailure
		case "recovered":
			return "Integration recovered", ToneSuccess
		case "test":
			return "Test notification", ToneInfo
		}
	}
	last := action[strings.LastIndex(action, ":")+1:]
	if last == "status-update" {
		last = strings.ToLower(firstString(entity, "status"))
	}
	switch last {
	case "start", "started", "starting", "running", "created", "deploying":
		return "started", ToneStarted
	case "success", "succeeded", "successful", "completed", "complete", "paid", "invoice-paid", "deployed":
		return "succeeded", ToneSuccess
	case "failure", "failed", "error", "crashed", "invoice-failed", "payment-failed":
		return "failed", ToneFailure
	case "abort", "aborted", "cancelled", "canceled":
		return "aborted", ToneAborted
	}
	return strings.ReplaceAll(strings.ReplaceAll(action, ":", " "), "-", " "), ToneInfo
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
	return Truncate(buf.String(), 300)
}

// lookup follows a dotted path through nested objects to a scalar, as text.
func lookup(data map[string]any, path string) string {
	cur, _ := datapath.Find(data, path)
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

// alertGroup summarizes a group of alerts sent as one message.
func alertGroup(data map[string]any) Summary {
	s := Summary{Type: eventtype.AlertGroup, Tone: ToneWarning, Title: firstString(data, "summary")}
	if s.Title == "" {
		s.Title = "Alerts"
	}
	if firstString(data, "kind") == "summary" {
		s.Title = "Still happening: " + s.Title
	}
	add := func(name, value string) {
		if value != "" {
			s.Fields = append(s.Fields, Field{name, value})
		}
	}
	add("Alerts", firstString(data, "count"))
	add("Services", joinList(data["services"]))
	add("Projects", joinList(data["projects"]))
	add("First seen", firstString(data, "firstSeen"))
	add("Last seen", firstString(data, "lastSeen"))
	s.Timestamp = firstString(data, "lastSeen")
	return s
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
