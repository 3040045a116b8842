package alerts

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/jsontime"
)

func TestKeysSeparateGroups(t *testing.T) {
	e := Merge(nil, nil, GroupedByDefault)
	web := json.RawMessage(`{"project":{"id":"p"},"service":{"id":"website"},"alert":{"value":"91%"}}`)
	web2 := json.RawMessage(`{"project":{"id":"p"},"service":{"id":"website"},"alert":{"value":"97%"}}`)
	worker := json.RawMessage(`{"project":{"id":"p"},"service":{"id":"worker"}}`)
	if e.Key("alert:high-cpu", web) != e.Key("alert:high-cpu", web2) {
		t.Error("the same service, project and type must share a group")
	}
	if e.Key("alert:high-cpu", web) == e.Key("alert:high-cpu", worker) {
		t.Error("two services share a group")
	}
	if e.Key("alert:high-cpu", web) == e.Key("alert:high-memory", web) {
		t.Error("two alert types share a group")
	}
	if e.Key("alert:high-cpu:resolved", web) != e.Key("alert:high-cpu", web) {
		t.Error("a resolve must name its alert's group")
	}
}

func TestPolicy(t *testing.T) {
	d := Merge(nil, nil, GroupedByDefault)
	if !d.Applies("alert:high-cpu") || d.Applies("build:failure") || d.GroupWait != 30*time.Second || d.RepeatInterval != time.Hour {
		t.Errorf("defaults %+v", d)
	}
	wait := jsontime.Duration(5 * time.Second)
	team := &Policy{GroupWait: &wait}
	off := &Policy{Disabled: ptr(true)}
	if e := Merge(team, nil, GroupedByDefault); e.GroupWait != 5*time.Second || e.RepeatInterval != time.Hour {
		t.Errorf("team policy %+v", e)
	}
	if e := Merge(team, off, GroupedByDefault); e.Applies("alert:high-cpu") {
		t.Error("an integration can turn grouping off")
	}
	if !Resolves("alert:high-cpu:resolved", nil) || !Resolves("alert:high-cpu", json.RawMessage(`{"resolved":true}`)) || Resolves("alert:high-cpu", json.RawMessage(`{}`)) {
		t.Error("resolves")
	}
	bad := []Policy{{Patterns: []string{"Bad"}}, {GroupBy: []string{"a b"}}, {GroupWait: ptr(jsontime.Duration(-time.Second))}, {RepeatInterval: ptr(jsontime.Duration(0))}}
	for _, p := range bad {
		if err := p.Validate(); err == nil {
			t.Errorf("%+v accepted", p)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// The whole inheritance table: each field comes from the nearest level that
// sets it (integration, team, channel default).
func TestPolicyInheritanceTable(t *testing.T) {
	on, off := ptr(false), ptr(true)
	w5 := ptr(jsontime.Duration(5 * time.Second))
	w9 := ptr(jsontime.Duration(9 * time.Second))
	for _, c := range []struct {
		name        string
		team, integ *Policy
		chat        Default
		grouped     bool
		wait        time.Duration
	}{
		{"chat, nothing set: grouped, 30 s", nil, nil, GroupedByDefault, true, 30 * time.Second},
		{"webhook, nothing set: each alert as itself", nil, nil, PassedThroughByDefault, false, 30 * time.Second},
		{"team off: chat too", &Policy{Disabled: off}, nil, GroupedByDefault, false, 30 * time.Second},
		{"team on: webhooks too", &Policy{Disabled: on}, nil, PassedThroughByDefault, true, 30 * time.Second},
		{"team off, integration sets only groupWait: still off", &Policy{Disabled: off}, &Policy{GroupWait: w5}, GroupedByDefault, false, 5 * time.Second},
		{"team off, integration on", &Policy{Disabled: off}, &Policy{Disabled: on}, GroupedByDefault, true, 30 * time.Second},
		{"team on, integration off", &Policy{Disabled: on}, &Policy{Disabled: off}, PassedThroughByDefault, false, 30 * time.Second},
		{"webhook asks for grouping itself", nil, &Policy{Disabled: on, GroupWait: w5}, PassedThroughByDefault, true, 5 * time.Second},
		{"team groupWait, integration keeps it", &Policy{GroupWait: w9}, &Policy{Disabled: on}, PassedThroughByDefault, true, 9 * time.Second},
		{"integration groupWait wins over the team's", &Policy{GroupWait: w9}, &Policy{GroupWait: w5}, GroupedByDefault, true, 5 * time.Second},
		{"team sets only groupWait: a webhook still passes alerts through", &Policy{GroupWait: w5}, nil, PassedThroughByDefault, false, 5 * time.Second},
	} {
		e := Merge(c.team, c.integ, c.chat)
		if e.Applies("alert:high-cpu") != c.grouped || e.GroupWait != c.wait {
			t.Errorf("%s: grouped %v wait %s, want %v %s", c.name, e.Applies("alert:high-cpu"), e.GroupWait, c.grouped, c.wait)
		}
	}
}
