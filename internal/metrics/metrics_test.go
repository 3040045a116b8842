package metrics

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/eventtype"
)

// A thousand invented actions of a known category, and as many invented
// categories, add no series beyond the catalogue's.
func TestIngestedLabelsAreBounded(t *testing.T) {
	m := New()
	for i := range 1000 {
		m.EventIngested(fmt.Sprintf("build:r%06d", i))
		m.EventIngested(fmt.Sprintf("c%06d:start", i))
	}
	m.EventIngested("build:start")
	families, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "herald_events_ingested_total" {
			continue
		}
		got := map[string]float64{}
		for _, s := range f.GetMetric() {
			got[s.GetLabel()[0].GetValue()] = s.GetCounter().GetValue()
		}
		want := map[string]float64{"build:other": 1000, "other": 1000, "build:start": 1}
		if len(got) != len(want) {
			t.Fatalf("series %v, want %v", got, want)
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s = %v, want %v", k, got[k], v)
			}
		}
		if len(eventtype.Labels()) > 100 {
			t.Errorf("%d possible labels: the catalogue should stay small", len(eventtype.Labels()))
		}
		return
	}
	t.Fatal("herald_events_ingested_total not gathered")
}

func TestHandlerRequiresItsToken(t *testing.T) {
	m := New()
	m.EventIngested("build:start")
	srv := httptest.NewServer(m.Handler("s3cret-token"))
	defer srv.Close()
	for _, tc := range []struct {
		auth string
		want int
	}{
		{"", http.StatusUnauthorized},
		{"Bearer wrong", http.StatusUnauthorized},
		{"s3cret-token", http.StatusUnauthorized},
		{"Bearer s3cret-token", http.StatusOK},
	} {
		req, _ := http.NewRequest("GET", srv.URL, nil)
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("Authorization %q: %d, want %d", tc.auth, resp.StatusCode, tc.want)
		}
	}
	open := httptest.NewServer(m.Handler(""))
	defer open.Close()
	resp, err := http.Get(open.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("no token configured: %d, want 200", resp.StatusCode)
	}
}

// The in-flight gauge follows each integration's requests and drops the
// series at zero, so 10,000 idle integrations cost no series.
func TestInFlightSeriesGoAwayAtZero(t *testing.T) {
	m := New()
	m.InFlight("int_a", 1)
	m.InFlight("int_a", 1)
	m.InFlight("int_b", 1)
	m.InFlight("int_b", -1)
	m.PacedWait("slack", "slot", 1500*time.Millisecond)
	m.Throttled("slack")
	families, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, f := range families {
		seen[f.GetName()] = true
		if f.GetName() != "herald_requests_in_flight" {
			continue
		}
		if len(f.GetMetric()) != 1 || f.GetMetric()[0].GetGauge().GetValue() != 2 || f.GetMetric()[0].GetLabel()[0].GetValue() != "int_a" {
			t.Errorf("in-flight series %v, want int_a at 2 only", f.GetMetric())
		}
	}
	for _, name := range []string{"herald_requests_in_flight", "herald_paced_wait_seconds", "herald_throttled_total"} {
		if !seen[name] {
			t.Errorf("%s is not exported", name)
		}
	}
}
