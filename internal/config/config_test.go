package config

import (
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func TestFlagsWinOverEnvWhichWinsOverDefaults(t *testing.T) {
	cfg := Defaults()
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	b := Bind(fs, &cfg, GroupDatabase|GroupTemporal|GroupGateway|GroupDelivery)
	if err := fs.Parse([]string{"--listen", "127.0.0.1:9000"}); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"HERALD_LISTEN":                     "0.0.0.0:1",
		"HERALD_TASK_QUEUE":                 "q2",
		"HERALD_RETRY_INITIAL_INTERVAL":     "2s",
		"HERALD_ALLOW_PRIVATE_DESTINATIONS": "true",
		"HERALD_WEBHOOK_HEADER_PREFIX":      "X-Herald-",
	}
	got, err := b.Load(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	if got.Listen != "127.0.0.1:9000" || got.TaskQueue != "q2" || got.Retry.InitialInterval != 2*time.Second ||
		got.AllowPrivateDestinations != "true" || got.WebhookHeaderPrefix != "X-Herald-" || got.TemporalNamespace != "default" {
		t.Errorf("config %+v", got)
	}
}

func TestBadEnvIsAClearError(t *testing.T) {
	cfg := Defaults()
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	b := Bind(fs, &cfg, GroupDelivery)
	_, err := b.Load(func(k string) (string, bool) {
		if k == "HERALD_RETRY_MAX_INTERVAL" {
			return "forever", true
		}
		return "", false
	})
	if err == nil || !strings.Contains(err.Error(), "HERALD_RETRY_MAX_INTERVAL") {
		t.Errorf("error %v", err)
	}
}

func TestDefaultsAreValid(t *testing.T) {
	cfg := Defaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.RateLimit <= 0 || cfg.UIOrigins == "" || cfg.DisableAfter != 5 || cfg.AllowPrivateDestinations != "false" {
		t.Errorf("defaults %+v", cfg)
	}
}

// Every listener Herald and its Temporal server have is out of reach of
// deliveries, through any address of this machine, even where private
// destinations are allowed.
func TestDestinationPolicyKeepsHeraldsOwnListeners(t *testing.T) {
	cfg := Defaults()
	cfg.AllowPrivateDestinations = "true"
	cfg.SelfAddresses = "127.0.0.1:7300, localhost:9090"
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	p := cfg.DestinationPolicy()
	for port, what := range map[uint16]string{8080: "the gateway", 9464: "the metrics listener", 7233: "Temporal's gRPC",
		7243: "Temporal's HTTP API", 8233: "the Web UI", 5432: "Postgres", 7300: "a self address", 9090: "another self address"} {
		for _, host := range []string{"127.0.0.1", "0.0.0.0", "[::]", "[::ffff:0.0.0.0]", "localhost"} {
			addr := host
			if host == "localhost" {
				addr = "127.0.0.1"
			}
			if err := p.CheckHost(addr, port); err == nil {
				t.Errorf("%s:%d (%s) is reachable", host, port, what)
			}
		}
	}
	if err := p.CheckHost("0.0.0.0", 9000); err != nil {
		t.Errorf("a receiver on this machine's port 9000 refused: %v", err)
	}
	cfg.SelfAddresses = "temporal-metrics"
	if err := cfg.Validate(); err == nil {
		t.Error("a self address without a port accepted")
	}
}

// The gateway's public listener serves /metrics only with a token; without
// one, a separate metrics listener must serve it.
func TestCheckMetricsExposure(t *testing.T) {
	for _, c := range []struct {
		token, metrics, listen string
		ok                     bool
	}{
		{"", "127.0.0.1:9464", "127.0.0.1:8080", true},
		{"t", "", "0.0.0.0:8080", true},
		{"", "", "127.0.0.1:8080", false},
		{"", "127.0.0.1:8080", "127.0.0.1:8080", false},
		{"", "0.0.0.0:8080", "127.0.0.1:8080", false},
		{"", ":8080", "10.0.0.2:8080", false},
		{"", "10.0.0.2:9464", "0.0.0.0:8080", true},
		{"", "127.0.0.1:0", "127.0.0.1:0", true}, // each its own free port
	} {
		cfg := Defaults()
		cfg.MetricsToken, cfg.MetricsListen, cfg.Listen = c.token, c.metrics, c.listen
		if err := cfg.CheckMetricsExposure(); (err == nil) != c.ok {
			t.Errorf("token %q, metrics %q, gateway %q: %v, want ok=%v", c.token, c.metrics, c.listen, err, c.ok)
		}
	}
}

// A retention shorter than the retry schedule is refused at start, with
// the numbers: deliveries still retrying would keep their events past it.
func TestRetentionMustOutlastTheRetrySchedule(t *testing.T) {
	cfg := Defaults()
	cfg.Retention = 2 * time.Hour // the default schedule spans about 6.6 h
	err := cfg.Validate()
	if err == nil || !strings.Contains(err.Error(), "10 attempts over up to 6h37m18s") || !strings.Contains(err.Error(), "HERALD_RETENTION to 8h0m0s") {
		t.Fatalf("got %v", err)
	}
	cfg.Retention = 8 * time.Hour
	if err := cfg.Validate(); err != nil {
		t.Fatalf("8 h: %v", err)
	}
}
