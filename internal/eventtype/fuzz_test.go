package eventtype

import (
	"strings"
	"testing"
)

// reference is an independent statement of what a pattern matches.
func reference(p, t string) bool {
	if p == "*" || p == t {
		return true
	}
	forms := []string{t}
	cat, rest, _ := strings.Cut(t, ":")
	switch cat {
	case "backup":
		forms = append(forms, "addon-backup:"+rest)
	case "addon-backup":
		forms = append(forms, "backup:"+rest)
	}
	for _, f := range forms {
		if p == f {
			return true
		}
		if prefix, ok := strings.CutSuffix(p, ":*"); ok && strings.HasPrefix(f, prefix+":") {
			return true
		}
	}
	// The seed names a deployment's status updates under service:, and
	// deployment:* is how people ask for deployments (docs/events.md).
	return t == "service:deployment:status-update" && p == "deployment:*"
}

func FuzzPatternMatching(f *testing.F) {
	for _, s := range [][2]string{{"*", "build:start"}, {"build:*", "build:success"}, {"build:*", "builds:start"},
		{"backup:*", "addon-backup:success"}, {"service:deployment:*", "service:deployment:status-update"},
		{"trigger:build:*", "trigger:build:start"}, {"build:start", "build:start"}, {"a:*", "a:b:c"},
		{"deployment:*", "service:deployment:status-update"}, {"deployment:status-update", "service:deployment:status-update"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, typ string) {
		p, perr := NormalizePattern(pattern)
		ty, terr := Normalize(typ)
		if perr != nil || terr != nil {
			return
		}
		if got, want := Matches(p, ty), reference(p, ty); got != want {
			t.Fatalf("Matches(%q, %q) = %v, reference says %v", p, ty, got, want)
		}
	})
}
