package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/contract"
)

// groupAlertsListed caps the alerts a message lists one by one (all are counted).
const groupAlertsListed = 100

// BuildGroupMessage reads the held alerts' events and writes the data of
// their alert:group message: counts, first and last seen, the services and
// projects affected, and a one-line summary such as "3 × high-memory on
// Website in the last 30 s".
func (a *Activities) BuildGroupMessage(ctx context.Context, in contract.GroupMessageInput) (contract.GroupMessage, error) {
	if len(in.Held) == 1 && !in.Summary {
		// One alert is sent as itself: its own type and data, so chat shows
		// the container, value and threshold, and a webhook gets the seed's body.
		ev, err := a.Store.GetEvent(ctx, in.TeamID, in.Held[0].EventID)
		if err != nil {
			return contract.GroupMessage{}, nonRetryable(err)
		}
		return contract.GroupMessage{EventID: "alert-group." + in.Key + "." + in.Held[0].DeliveryID, Type: ev.Type, Data: ev.Data}, nil
	}
	type listed struct {
		ID         string          `json:"id"`
		Type       string          `json:"type"`
		ReceivedAt time.Time       `json:"receivedAt"`
		Data       json.RawMessage `json:"data"`
	}
	var list []listed
	types := map[string]int{}
	services, projects := map[string]bool{}, map[string]bool{}
	var first, last time.Time
	for i, h := range in.Held {
		types[strings.TrimPrefix(h.Type, "alert:")]++
		if first.IsZero() || h.ReceivedAt.Before(first) {
			first = h.ReceivedAt
		}
		if h.ReceivedAt.After(last) {
			last = h.ReceivedAt
		}
		ev, err := a.Store.GetEvent(ctx, in.TeamID, h.EventID)
		if err != nil {
			return contract.GroupMessage{}, nonRetryable(err)
		}
		var d struct {
			Service struct{ ID, Name string } `json:"service"`
			Project struct{ ID, Name string } `json:"project"`
		}
		_ = json.Unmarshal(ev.Data, &d)
		if n := firstNonEmpty(d.Service.Name, d.Service.ID); n != "" {
			services[n] = true
		}
		if n := firstNonEmpty(d.Project.Name, d.Project.ID); n != "" {
			projects[n] = true
		}
		if i < groupAlertsListed {
			list = append(list, listed{ID: ev.ID, Type: ev.Type, ReceivedAt: ev.ReceivedAt, Data: ev.Data})
		}
	}
	window := last.Sub(first).Round(time.Second)
	data, err := json.Marshal(map[string]any{
		"summary":   summaryLine(in, types, keys(services), window),
		"count":     len(in.Held),
		"types":     types,
		"services":  keys(services),
		"projects":  keys(projects),
		"firstSeen": first.UTC(),
		"lastSeen":  last.UTC(),
		"groupKey":  in.Key,
		"kind":      map[bool]string{false: "grouped", true: "summary"}[in.Summary],
		"alerts":    list,
	})
	if err != nil {
		return contract.GroupMessage{}, err
	}
	return contract.GroupMessage{EventID: "alert-group." + in.Key + "." + in.Held[0].DeliveryID, Data: data}, nil
}

// summaryLine sums up a group's alerts: held over the window (a summary
// message, in.Summary) or in the last window.
func summaryLine(in contract.GroupMessageInput, types map[string]int, services []string, window time.Duration) string {
	var parts []string
	for _, t := range keys(boolKeys(types)) {
		parts = append(parts, fmt.Sprintf("%d × %s", types[t], t))
	}
	s := strings.Join(parts, ", ")
	if len(services) > 0 {
		s += " on " + strings.Join(services, ", ")
	}
	if in.Summary {
		return s + fmt.Sprintf(" (held over %s)", window)
	}
	return s + fmt.Sprintf(" in the last %s", max(window, time.Second))
}

func boolKeys(m map[string]int) map[string]bool {
	out := map[string]bool{}
	for k := range m {
		out[k] = true
	}
	return out
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
