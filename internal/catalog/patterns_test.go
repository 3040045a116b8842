package catalog

import (
	"strings"
	"testing"
)

func TestPatternWarnings(t *testing.T) {
	own := []string{"quota:exceeded"}
	for pattern, want := range map[string]string{
		"*":                     "",
		"build:*":               "",
		"build:failure":         "",
		"deployment:*":          "",
		"backup:*":              "",
		"addon-backup:success":  "",
		"integration:disabled":  "",
		"quota:*":               "",
		"quota:exceeded":        "",
		"biuld:*":               `did you mean "build:*"`,
		"build:failed":          `did you mean "build:failure"`,
		"deploy:*":              `did you mean "deployment:*"`,
		"quota:exceded":         `did you mean "quota:exceeded"`,
		"job-runs:failure":      `did you mean "job-run:failure"`,
		"zzzzzzzz:qqqqqqqqqqqq": "matches no event type",
	} {
		got := strings.Join(PatternWarnings([]string{pattern}, own), "")
		switch {
		case want == "" && got != "":
			t.Errorf("%s: warned %q", pattern, got)
		case want != "" && !strings.Contains(got, want):
			t.Errorf("%s: %q, want a warning saying %q", pattern, got, want)
		}
	}
	if w := PatternWarnings([]string{"zzzzzzzz:qqqqqqqqqqqq"}, nil); strings.Contains(w[0], "did you mean") {
		t.Errorf("a far-off pattern got a suggestion: %q", w[0])
	}
}
