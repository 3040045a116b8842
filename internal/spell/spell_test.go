package spell

import "testing"

func TestDistanceAndClosest(t *testing.T) {
	for _, c := range []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"build", "biuld", 2}, {"failed", "failure", 3}, {"deploy", "deployment", 4}, {"abc", "", 3}, {"kitten", "sitting", 3}} {
		if got := Distance(c.a, c.b); got != c.d {
			t.Errorf("Distance(%q, %q) = %d, want %d", c.a, c.b, got, c.d)
		}
	}
	known := []string{"event", "data", "id"}
	for word, want := range map[string]string{"evnt": "event", "dta": "data", "payload": "", "ids": "id"} {
		if got := Closest(word, known, 3); got != want {
			t.Errorf("Closest(%q) = %q, want %q", word, got, want)
		}
	}
}
