// Package alerts holds alert noise control: policies that group repeated
// infrastructure alerts, group keys, and the shape of a group's message.
package alerts

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/datapath"
	"github.com/heraldhq/herald/internal/eventtype"
	"github.com/heraldhq/herald/internal/jsontime"
)

// Policy says which events are grouped, by what, and how long they wait.
type Policy struct {
	// Patterns select the grouped event types (default alert:*).
	Patterns []string `json:"patterns,omitempty"`
	// GroupBy are data paths (project.id, service.id) or "type"; alerts
	// agreeing on all of them form one group.
	GroupBy []string `json:"groupBy,omitempty"`
	// GroupWait is how long the first alert of a group waits for company.
	GroupWait *jsontime.Duration `json:"groupWait,omitempty"`
	// RepeatInterval holds later alerts of the group, sent as one summary.
	RepeatInterval *jsontime.Duration `json:"repeatInterval,omitempty"`
	// Disabled turns grouping off (true) or on (false): every alert is then
	// delivered at once, or grouped. Unset, the level above decides: the
	// team's policy, then the channel's default (see Merge).
	Disabled *bool `json:"disabled,omitempty"`
}

// Defaults (issue: project, service and type; 30 s; 1 h).
var (
	DefaultPatterns = []string{"alert:*"}
	DefaultGroupBy  = []string{"project.id", "service.id", "type"}
)

const (
	DefaultGroupWait      = 30 * time.Second
	DefaultRepeatInterval = time.Hour
)

// Effective is a policy with every field set.
type Effective struct {
	Patterns       []string
	GroupBy        []string
	GroupWait      time.Duration
	RepeatInterval time.Duration
	Disabled       bool
}

// Default is a channel's own answer to "group alerts?" when no policy gives
// one: chat channels group (one message instead of a burst of pings),
// webhooks pass every alert through as itself, since their receivers are
// programs written for the seed's {event, data} body, not people.
type Default int

const (
	// PassedThroughByDefault: each alert is delivered as itself.
	PassedThroughByDefault Default = iota
	// GroupedByDefault: alerts are grouped into one message.
	GroupedByDefault
)

// Merge lays override (an integration's) over base (its team's) over the
// defaults, field by field: a field set at a level replaces the one below,
// an unset field inherits. So an integration that sets only groupWait does
// not turn grouping back on where its team turned it off. d is the
// channel's own default when neither level says whether to group.
func Merge(base, override *Policy, d Default) Effective {
	e := Effective{Patterns: DefaultPatterns, GroupBy: DefaultGroupBy, GroupWait: DefaultGroupWait, RepeatInterval: DefaultRepeatInterval,
		Disabled: d != GroupedByDefault}
	for _, p := range []*Policy{base, override} {
		if p == nil {
			continue
		}
		if len(p.Patterns) > 0 {
			e.Patterns = p.Patterns
		}
		if len(p.GroupBy) > 0 {
			e.GroupBy = p.GroupBy
		}
		if p.GroupWait != nil {
			e.GroupWait = time.Duration(*p.GroupWait)
		}
		if p.RepeatInterval != nil {
			e.RepeatInterval = time.Duration(*p.RepeatInterval)
		}
		if p.Disabled != nil {
			e.Disabled = *p.Disabled
		}
	}
	return e
}

// Validate says what is wrong with a policy, normalizing its patterns.
func (p *Policy) Validate() error {
	for i, pat := range p.Patterns {
		n, err := eventtype.NormalizePattern(pat)
		if err != nil {
			return fmt.Errorf("patterns: %w", err)
		}
		p.Patterns[i] = n
	}
	if len(p.GroupBy) > 10 {
		return fmt.Errorf("groupBy: at most 10 fields")
	}
	for _, g := range p.GroupBy {
		if g == "" || len(g) > 100 || strings.ContainsAny(g, " \t") {
			return fmt.Errorf("groupBy: %q is not a data path such as project.id", g)
		}
	}
	if p.GroupWait != nil && (time.Duration(*p.GroupWait) < 0 || time.Duration(*p.GroupWait) > 24*time.Hour) {
		return fmt.Errorf("groupWait must be between 0s and 24h")
	}
	if p.RepeatInterval != nil && (time.Duration(*p.RepeatInterval) < time.Second || time.Duration(*p.RepeatInterval) > 7*24*time.Hour) {
		return fmt.Errorf("repeatInterval must be between 1s and 168h")
	}
	return nil
}

// Resolves reports whether an event resolves an alert: a type ending in
// :resolved, or data "resolved": true.
func Resolves(eventType string, data json.RawMessage) bool {
	if strings.HasSuffix(eventType, ":resolved") {
		return true
	}
	var d struct {
		Resolved bool `json:"resolved"`
	}
	_ = json.Unmarshal(data, &d)
	return d.Resolved
}

// Applies reports whether a policy groups an event type.
func (e Effective) Applies(eventType string) bool {
	if e.Disabled {
		return false
	}
	for _, p := range e.Patterns {
		if eventtype.Matches(p, eventType) {
			return true
		}
	}
	return false
}

// Key is the group of an event under a policy: the values of its groupBy
// fields ("type" is the event type without :resolved), hashed.
func (e Effective) Key(eventType string, data json.RawMessage) string {
	var d map[string]any
	_ = json.Unmarshal(data, &d)
	parts := make([]string, len(e.GroupBy))
	for i, path := range e.GroupBy {
		if path == "type" {
			parts[i] = strings.TrimSuffix(eventType, ":resolved")
			continue
		}
		parts[i] = lookup(d, path)
	}
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:8])
}

// lookup is a group-by field's value as text: strings as they are, other
// values as JSON.
func lookup(d map[string]any, path string) string {
	cur, _ := datapath.Find(d, path)
	if cur == nil {
		return ""
	}
	if s, ok := cur.(string); ok {
		return s
	}
	b, _ := json.Marshal(cur)
	return string(b)
}
