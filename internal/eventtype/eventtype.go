// Package eventtype validates event types ("category:action") and integration
// subscription patterns, and lists the patterns an event type matches.
package eventtype

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// MaxLen is the longest accepted event type or pattern.
const MaxLen = 100

// triggerPrefix is the seed platform's API form (trigger:build:start); its webhook
// bodies carry the short form, which Herald uses throughout.
const triggerPrefix = "trigger:"

var typeRE = regexp.MustCompile(`^[a-z0-9-]+(:[a-z0-9-]+)+$`)

// aliases are category names that mean the same thing (the seed's API says
// addon-backup where its notifications say backup).
var aliases = map[string]string{"addon-backup": "backup", "backup": "addon-backup"}

// Normalize validates an event type and returns its canonical form.
func Normalize(t string) (string, error) {
	if t == "" {
		return "", fmt.Errorf("event type is required")
	}
	t = strings.TrimPrefix(t, triggerPrefix)
	if len(t) > MaxLen {
		return "", fmt.Errorf("event type is %d characters long; at most %d are allowed", len(t), MaxLen)
	}
	if !typeRE.MatchString(t) {
		return "", fmt.Errorf("event type %q must look like category:action (lower-case letters, digits and dashes, separated by colons)", t)
	}
	return t, nil
}

// NormalizePattern validates a subscription pattern: "*", "category:*" (any
// prefix of segments followed by :*) or an exact event type.
func NormalizePattern(p string) (string, error) {
	if p == "*" {
		return p, nil
	}
	p = strings.TrimPrefix(p, triggerPrefix)
	if prefix, ok := strings.CutSuffix(p, ":*"); ok {
		if len(p) > MaxLen {
			return "", fmt.Errorf("pattern is %d characters long; at most %d are allowed", len(p), MaxLen)
		}
		if !typeRE.MatchString(prefix) && !typeRE.MatchString(prefix+":x") {
			return "", fmt.Errorf("pattern %q: want *, category:* or category:action", p)
		}
		return p, nil
	}
	t, err := Normalize(p)
	if err != nil {
		return "", fmt.Errorf("pattern %q: want *, category:* or category:action", p)
	}
	return t, nil
}

// Category is the first segment of a type.
func Category(t string) string {
	c, _, _ := strings.Cut(t, ":")
	return c
}

// families are the catalogued types whose platform name starts elsewhere
// than the family people subscribe to: the seed platform names a deployment's
// status updates service:deployment:status-update, and deployment:* is how
// people ask for deployments. Such a type is matched by its family's
// pattern too, and the catalog lists it in its family.
var families = map[string]string{"service:deployment:status-update": "deployment"}

// Family is the category the catalog lists t under: its own, or the family
// it belongs to.
func Family(t string) string {
	if f, ok := families[t]; ok {
		return f
	}
	return Category(t)
}

// Candidates lists every pattern that matches the (normalized) event type t:
// t itself, each "prefix:*", "*", the same for an aliased category, and its
// family's pattern. Matching is then an exact lookup of these few strings.
func Candidates(t string) []string {
	forms := []string{t}
	if alt, ok := aliases[Category(t)]; ok {
		forms = append(forms, alt+t[len(Category(t)):])
	}
	out := []string{"*"}
	for _, f := range forms {
		out = append(out, f)
		segs := strings.Split(f, ":")
		for i := 1; i < len(segs); i++ {
			out = append(out, strings.Join(segs[:i], ":")+":*")
		}
	}
	if f, ok := families[t]; ok {
		out = append(out, f+":*")
	}
	return out
}

// Matches reports whether pattern p matches event type t (both normalized).
func Matches(p, t string) bool {
	for _, c := range Candidates(t) {
		if c == p {
			return true
		}
	}
	return false
}

// knownCategories are the categories Herald formats richly.
var knownCategories = map[string]bool{"build": true, "deployment": true, "job-run": true, "backup": true,
	"addon-backup": true, "billing": true, "alert": true, "service": true, "integration": true}

// Known reports whether an event type's category is one Herald knows.
func Known(t string) bool { return knownCategories[Category(t)] }

// Herald's own event types: what it emits about integrations and alert groups.
const (
	// IntegrationTest: a test notification, a confirmation, or a recovery probe.
	IntegrationTest = "integration:test"
	// IntegrationDisabled: Herald disabled an integration that kept failing.
	IntegrationDisabled = "integration:disabled"
	// IntegrationRecovered: a disabled integration answered again and is enabled.
	IntegrationRecovered = "integration:recovered"
	// AlertGroup: one message for a group of alerts.
	AlertGroup = "alert:group"
)

// HeraldsOwn reports whether t is an event Herald emits about a team's
// integrations (integration:*): such an event has no project.
func HeraldsOwn(t string) bool { return Category(t) == "integration" }

// catalogue is every event type Herald names on its own in metrics: the
// actions the platform sends for each known category. Anything else is folded
// (see Label), so a sender cannot grow a metric's label set.
var catalogue = func() map[string]bool {
	m := map[string]bool{
		"billing:invoice-paid": true, "billing:invoice-failed": true,
		"service:deployment:status-update": true, "service:autoscaling:event": true,
		IntegrationTest: true, IntegrationDisabled: true, IntegrationRecovered: true,
		AlertGroup: true,
	}
	for _, c := range []string{"build", "deployment", "job-run", "backup", "addon-backup"} {
		for _, a := range []string{"start", "success", "failure", "abort"} {
			m[c+":"+a] = true
		}
	}
	for _, a := range []string{"container-crash", "high-cpu", "high-memory", "volume-space"} {
		m["alert:"+a] = true
		m["alert:"+a+":resolved"] = true
	}
	return m
}()

// Other is the label of an event type whose category Herald does not know.
const Other = "other"

// Label is the bounded name an event type is counted under: the type itself
// when it is in the catalogue, "<category>:other" for another action of a
// known category, and "other" for the rest. At most len(catalogue) +
// len(knownCategories) + 1 values exist, whatever senders send.
func Label(t string) string {
	switch {
	case catalogue[t]:
		return t
	case Known(t):
		return Category(t) + ":" + Other
	}
	return Other
}

// Catalogue lists the catalogued event types, sorted: each is rendered
// richly, pinned by a golden file per renderer and described in docs/events.md.
func Catalogue() []string {
	out := make([]string, 0, len(catalogue))
	for t := range catalogue {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// Labels lists every value Label can return, sorted.
func Labels() []string {
	out := []string{Other}
	for t := range catalogue {
		out = append(out, t)
	}
	for c := range knownCategories {
		out = append(out, c+":"+Other)
	}
	sort.Strings(out)
	return out
}
