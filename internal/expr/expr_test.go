package expr

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestFilters(t *testing.T) {
	data := json.RawMessage(`{"build":{"branch":"main","number":42},"tags":["a","b"]}`)
	for _, c := range []struct {
		src    string
		match  bool
		reason string
	}{
		{`event.endsWith(":failure") && data.build.branch == "main"`, true, ""},
		{`data.build.branch == "dev"`, false, "the filter is false for this event"},
		{`data.build.number == 42`, true, ""},
		{`data.build.number > 41.5`, true, ""},
		{`"b" in data.tags`, true, ""},
		{`project == "prj_1"`, true, ""},
		{`data.deploy.env == "prod"`, false, "the filter failed on this event: no such key: deploy"},
		{`has(data.deploy) && data.deploy.env == "prod"`, false, "the filter is false for this event"},
		{`data.build`, false, "the filter yielded map, not true or false"},
	} {
		p, err := Compile(KindFilter, c.src)
		if err != nil {
			t.Fatalf("%s: %v", c.src, err)
		}
		ok, why := p.Match(Input{Event: "build:failure", Data: data, Project: "prj_1"})
		if ok != c.match || why != c.reason {
			t.Errorf("%s: got %v %q, want %v %q", c.src, ok, why, c.match, c.reason)
		}
	}
}

func TestRefusals(t *testing.T) {
	for _, c := range []struct {
		kind Kind
		src  string
		want string
	}{
		{KindFilter, `event ==`, "line 1, column 9: Syntax error"},
		{KindFilter, "true &&\n  data.x ==== 1", "line 2, column"},
		{KindFilter, `event + 1 == 2`, "line 1, column 7: found no matching overload for '_+_'"},
		{KindFilter, `event`, "a filter yields true or false; this one yields string"},
		{KindFilter, `data.a.all(x, data.a.all(y, data.a.all(z, x == y && y == z)))`, "estimated cost over the largest event"},
		{KindFilter, "", "the expression is empty"},
		{KindFilter, strings.Repeat("true && ", 600) + "true", "at most 4096"},
		{KindTransform, `"text"`, "a transform yields an object (the body); this one yields string"},
	} {
		_, err := Compile(c.kind, c.src)
		var ce *CompileError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want a CompileError with %q", c.src, err, c.want)
		}
	}
}

func TestRuntimeCostIsBounded(t *testing.T) {
	// The estimate assumes no list is longer than an event can hold; the
	// runtime limit stops one that is (a list of 600,000 items, larger
	// than any event the gateway takes, looped over once).
	items := make([]int, 600_000)
	data, _ := json.Marshal(map[string]any{"a": items})
	p, err := Compile(KindFilter, `data.a.all(x, x == 0)`)
	if err != nil {
		t.Fatal(err)
	}
	ok, why := p.Match(Input{Event: "build:start", Data: data})
	if ok || !strings.Contains(why, "cost limit exceeded") {
		t.Fatalf("got %v %q, want a cost-limit stop", ok, why)
	}
}

func TestTransforms(t *testing.T) {
	data := json.RawMessage(`{"build":{"branch":"main","number":42}}`)
	p, err := Compile(KindTransform, `{"text": data.build.branch + " failed", "n": data.build.number, "event": event}`)
	if err != nil {
		t.Fatal(err)
	}
	body, err := p.Body(Input{Event: "build:failure", Data: data})
	if err != nil || string(body) != `{"event":"build:failure","n":42,"text":"main failed"}` {
		t.Fatalf("got %s %v", body, err)
	}
	p, err = Compile(KindTransform, `data.build.branch`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Body(Input{Event: "build:failure", Data: data}); !errors.Is(err, ErrNotObject) || !strings.Contains(err.Error(), "a string") {
		t.Fatalf("got %v, want ErrNotObject naming a string", err)
	}
}

// One event's filters share a budget: past it, the rest are not run and
// do not match, saying why.
func TestAnEventsFiltersShareABudget(t *testing.T) {
	items := make([]int, 100_000)
	data, _ := json.Marshal(map[string]any{"a": items})
	decoded, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Compile(KindFilter, `data.a.all(x, x == 0)`)
	if err != nil {
		t.Fatal(err)
	}
	b := NewBudget()
	ran := 0
	for range 20 {
		ok, why := p.Match(Input{Event: "build:start", Decoded: decoded, Budget: b})
		if !ok {
			if !strings.Contains(why, "spent its budget") {
				t.Fatalf("after %d: %q", ran, why)
			}
			break
		}
		ran++
	}
	if ran == 0 || ran >= 20 {
		t.Fatalf("%d costly filters ran within one event's budget; want some, not all 20", ran)
	}
}

// FuzzExpressions: any text either compiles or is a CompileError, and a
// compiled filter or transform runs on a real event without panicking,
// within its bounds.
func FuzzExpressions(f *testing.F) {
	for _, s := range []string{`event.endsWith(":failure") && data.build.branch == "main"`, `has(data.x) ? data.x.y : 1`,
		`data.a.all(x, data.a.exists(y, x == y))`, `{"text": event + data.build.branch}`, `size(data.a) > 2`, `"a".matches("(a+)+$")`,
		`[1, 2, 3].map(x, x * 2)`, `data.build.branch.lowerAscii()`, `)`} {
		f.Add(s)
	}
	data := json.RawMessage(`{"build":{"branch":"main","number":42},"a":[1,2,3],"x":{"y":true}}`)
	f.Fuzz(func(t *testing.T, src string) {
		for _, k := range []Kind{KindFilter, KindTransform} {
			p, err := Compile(k, src)
			if err != nil {
				var ce *CompileError
				if !errors.As(err, &ce) {
					t.Fatalf("%q: %v is not a CompileError", src, err)
				}
				continue
			}
			in := Input{Event: "build:failure", Data: data, Project: "p", Budget: NewBudget()}
			if k == KindFilter {
				p.Match(in)
			} else {
				_, _ = p.Body(in)
			}
		}
	})
}
