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
