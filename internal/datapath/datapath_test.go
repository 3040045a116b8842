package datapath

import "testing"

func TestFind(t *testing.T) {
	data := map[string]any{"project": map[string]any{"id": "p1", "tags": []any{"a"}}, "n": 3.0, "nil": nil}
	for _, c := range []struct {
		path  string
		want  any
		found bool
	}{
		{"project.id", "p1", true}, {"n", 3.0, true}, {"nil", nil, true},
		{"project.missing", nil, false}, {"n.deeper", nil, false}, {"", nil, false}, {"project.id.x", nil, false},
	} {
		got, ok := Find(data, c.path)
		if ok != c.found || (ok && got != c.want) {
			t.Errorf("Find(%q) = %v, %v; want %v, %v", c.path, got, ok, c.want, c.found)
		}
	}
	if v, ok := Find(data, "project.tags"); !ok || len(v.([]any)) != 1 {
		t.Errorf("a list is found as itself: %v %v", v, ok)
	}
}
