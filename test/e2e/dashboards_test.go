package e2e

import (
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/promql/parser"
	"go.yaml.in/yaml/v3"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/test/testenv"
)

// The Grafana dashboard and the Prometheus alert rules in deploy/ read only
// metrics Herald exports: each expression parses with Prometheus's own
// PromQL parser (the rules with its rule-file parser), and each metric it
// selects is on a running Herald's /metrics.
func TestDashboardsAndAlertsUseRealMetrics(t *testing.T) {
	s := testenv.NewStack(t)
	recv := testenv.NewReceiver(t)
	s.CreateIntegration(t, map[string]any{"name": "metrics-hook", "type": "webhook", "url": recv.URL, "events": []string{"*"}})
	s.AwaitWorkflow(t, s.PostEvent(t, map[string]any{"event": "build:start"}))
	r := s.Do(t, http.MethodGet, "/metrics", s.Config.MetricsToken, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("/metrics: %d", r.Status)
	}
	exported := map[string]bool{}
	for _, line := range strings.Split(string(r.Body), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, _, _ := strings.Cut(line, " ")
		name, _, _ = strings.Cut(name, "{")
		exported[name] = true
	}

	used := map[string]bool{}
	check := func(where, expr string) {
		e, err := parser.NewParser(parser.Options{}).ParseExpr(expr)
		if err != nil {
			t.Errorf("%s: %q does not parse: %v", where, expr, err)
			return
		}
		parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
			if vs, ok := n.(*parser.VectorSelector); ok {
				used[vs.Name] = true
				if !exported[vs.Name] {
					t.Errorf("%s reads %s, which /metrics does not export", where, vs.Name)
				}
			}
			return nil
		})
	}

	raw, err := os.ReadFile("../../deploy/grafana/herald-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("the dashboard is not JSON: %v", err)
	}
	exprs := 0
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			exprs++
			check("dashboard panel "+p.Title, tg.Expr)
		}
	}
	raw, err = os.ReadFile("../../deploy/prometheus/herald-alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	// Prometheus's rule-file format, strictly: an unknown key is an error.
	var rules struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []struct {
				Alert       string            `yaml:"alert"`
				Expr        string            `yaml:"expr"`
				For         string            `yaml:"for"`
				Labels      map[string]string `yaml:"labels"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	dec := yaml.NewDecoder(strings.NewReader(string(raw)))
	dec.KnownFields(true)
	if err := dec.Decode(&rules); err != nil {
		t.Fatalf("the alert rules: %v", err)
	}
	alerts := 0
	for _, g := range rules.Groups {
		for _, rule := range g.Rules {
			alerts++
			exprs++
			if rule.Alert == "" || rule.Annotations["summary"] == "" || rule.Labels["severity"] == "" {
				t.Errorf("rule %+v lacks a name, a summary or a severity", rule)
			}
			check("alert "+rule.Alert, rule.Expr)
		}
	}
	if alerts < 6 {
		t.Errorf("%d alerts", alerts)
	}
	if exprs < 20 {
		t.Errorf("%d expressions in all", exprs)
	}
	// What operators must see (issue: the API as a contract).
	for _, m := range []string{"herald_deliveries_total", "herald_integrations", "herald_deliveries_waiting", "herald_outbox_events",
		"herald_ingest_errors_total", "herald_paced_wait_seconds_bucket"} {
		if !used[m] {
			t.Errorf("neither the dashboard nor the rules read %s", m)
		}
	}
}

// herald_ingest_errors_total counts refused events by cause, a batch's one
// by one; herald_deliveries_waiting counts a delivery waiting to retry.
func TestOperatorMetricsCount(t *testing.T) {
	s := testenv.NewStack(t, func(c *config.Config) { c.Retry.InitialInterval, c.Retry.MaxInterval = time.Hour, time.Hour })
	_, manageOnly := teamKey(t, s, "manage")
	down := testenv.NewReceiver(t)
	down.SetDefault(testenv.Reply{Status: http.StatusServiceUnavailable})
	s.CreateIntegration(t, map[string]any{"name": "down", "type": "webhook", "url": down.URL, "events": []string{"*"}})
	if r := s.Do(t, http.MethodPost, "/v1/events", "", map[string]any{"event": "build:start"}); r.Status != 401 {
		t.Fatalf("no key: %d", r.Status)
	}
	if r := s.Do(t, http.MethodPost, "/v1/events", manageOnly, map[string]any{"event": "build:start"}); r.Status != 403 {
		t.Fatalf("a manage key: %d", r.Status)
	}
	s.Do(t, http.MethodPost, "/v1/events", s.Key, `{"event":`)
	s.Do(t, http.MethodPost, "/v1/events", s.Key, strings.Repeat("x", 300<<10))
	if r := s.Do(t, http.MethodPatch, "/v1/team", s.Key, map[string]any{"validateData": true}); r.Status != 200 {
		t.Fatalf("validateData on: %d %s", r.Status, r.Body)
	}
	bad := map[string]any{"event": "build:start", "data": map[string]any{"build": map[string]any{"concluded": "no"}}}
	if r := s.Do(t, http.MethodPost, "/v1/events", s.Key, bad); r.Status != 400 {
		t.Fatalf("a mismatching event: %d %s", r.Status, r.Body)
	}
	s.Do(t, http.MethodPost, "/v1/events/batch", s.Key, map[string]any{"events": []any{bad, bad, map[string]any{"event": "Not A Type"}}})
	s.PostEvent(t, map[string]any{"id": "waits", "event": "build:start", "data": map[string]any{}})

	want := map[string]string{
		`herald_ingest_errors_total{cause="unauthenticated"}`: "1",
		`herald_ingest_errors_total{cause="forbidden"}`:       "1",
		`herald_ingest_errors_total{cause="invalid"}`:         "2",
		`herald_ingest_errors_total{cause="too_large"}`:       "1",
		`herald_ingest_errors_total{cause="schema"}`:          "3",
		`herald_deliveries_waiting{status="retrying"}`:        "1",
	}
	var missing []string
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(200 * time.Millisecond) {
		body := s.Scrape(t)
		missing = nil
		for series, n := range want {
			if !strings.Contains(body, series+" "+n+"\n") {
				missing = append(missing, series+" "+n)
			}
		}
		if len(missing) == 0 {
			return
		}
		if time.Now().After(deadline) {
			for _, line := range strings.Split(body, "\n") {
				if strings.HasPrefix(line, "herald_ingest_errors_total") || strings.HasPrefix(line, "herald_deliveries_waiting") {
					t.Log(line)
				}
			}
			t.Fatalf("not on /metrics within a minute: %v", missing)
		}
	}
}
