package e2e

import (
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/prometheus/prometheus/promql/parser"
	"go.yaml.in/yaml/v3"

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
	r := s.Do(t, http.MethodGet, "/metrics", "", nil)
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
