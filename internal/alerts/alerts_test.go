package alerts

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/jsontime"
)

func TestKeysSeparateGroups(t *testing.T) {
	e := Merge(nil, nil)
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
	d := Merge(nil, nil)
	if !d.Applies("alert:high-cpu") || d.Applies("build:failure") || d.GroupWait != 30*time.Second || d.RepeatInterval != time.Hour {
		t.Errorf("defaults %+v", d)
	}
	wait := jsontime.Duration(5 * time.Second)
	team := &Policy{GroupWait: &wait}
	off := &Policy{Disabled: true}
	if e := Merge(team, nil); e.GroupWait != 5*time.Second || e.RepeatInterval != time.Hour {
		t.Errorf("team policy %+v", e)
	}
	if e := Merge(team, off); e.Applies("alert:high-cpu") {
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
