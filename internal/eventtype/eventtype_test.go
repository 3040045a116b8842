package eventtype

import (
	"slices"
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	ok := map[string]string{
		"build:start":                              "build:start",
		"trigger:build:start":                      "build:start",
		"job-run:failure":                          "job-run:failure",
		"service:deployment:status-update":         "service:deployment:status-update",
		"trigger:service:deployment:status-update": "service:deployment:status-update",
		"alert:high-memory":                        "alert:high-memory",
	}
	for in, want := range ok {
		got, err := Normalize(in)
		if err != nil || got != want {
			t.Errorf("Normalize(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "build", "Build:start", "build:", ":start", "build::start", "build start", "build:*", "*", "build:" + strings.Repeat("a", 100), "büild:start"} {
		if _, err := Normalize(bad); err == nil {
			t.Errorf("Normalize(%q) accepted", bad)
		}
	}
}

func TestNormalizePattern(t *testing.T) {
	ok := map[string]string{"*": "*", "build:*": "build:*", "trigger:build:*": "build:*", "build:start": "build:start", "service:deployment:*": "service:deployment:*"}
	for in, want := range ok {
		got, err := NormalizePattern(in)
		if err != nil || got != want {
			t.Errorf("NormalizePattern(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "**", "build:**", "*:start", "build*", ":*", "Build:*", "build:st*"} {
		if _, err := NormalizePattern(bad); err == nil {
			t.Errorf("NormalizePattern(%q) accepted", bad)
		}
	}
}

func TestMatches(t *testing.T) {
	cases := []struct {
		pattern, typ string
		want         bool
	}{
		{"*", "build:start", true},
		{"build:*", "build:success", true},
		{"build:*", "job-run:success", false},
		{"build:start", "build:start", true},
		{"build:start", "build:success", false},
		{"backup:*", "addon-backup:success", true},
		{"addon-backup:success", "backup:success", true},
		{"backup:failure", "addon-backup:success", false},
		{"service:*", "service:deployment:status-update", true},
		{"service:deployment:*", "service:deployment:status-update", true},
		{"service:autoscaling:*", "service:deployment:status-update", false},
		{"build:*", "builds:start", false},
		// The seed's long name for a deployment's status belongs to deployments.
		{"deployment:*", "service:deployment:status-update", true},
		{"deployment:*", "service:autoscaling:event", false},
		{"deployment:status-update", "service:deployment:status-update", false},
	}
	for _, c := range cases {
		if got := Matches(c.pattern, c.typ); got != c.want {
			t.Errorf("Matches(%q, %q) = %v, want %v", c.pattern, c.typ, got, c.want)
		}
	}
	if c := Candidates("build:start"); !slices.Equal(c, []string{"*", "build:start", "build:*"}) {
		t.Errorf("Candidates(build:start) = %v", c)
	}
	if f := Family("service:deployment:status-update"); f != "deployment" || Family("service:autoscaling:event") != "service" {
		t.Errorf("families: %q", f)
	}
}

func TestLabelIsBounded(t *testing.T) {
	cases := map[string]string{
		"build:start":                      "build:start",
		"alert:high-cpu:resolved":          "alert:high-cpu:resolved",
		"service:deployment:status-update": "service:deployment:status-update",
		"build:x7f3a9":                     "build:other",
		"build:start:extra":                "build:other",
		"backup:failure":                   "backup:failure",
		"custom:thing":                     "other",
		"":                                 "other",
	}
	for in, want := range cases {
		if got := Label(in); got != want {
			t.Errorf("Label(%q) = %q, want %q", in, got, want)
		}
	}
	labels := map[string]bool{}
	for _, l := range Labels() {
		labels[l] = true
	}
	for in := range cases {
		if !labels[Label(in)] {
			t.Errorf("Label(%q) = %q is not in Labels()", in, Label(in))
		}
	}
}
