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

func TestRetryPolicyValidate(t *testing.T) {
	good := Defaults().Retry
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := []RetryPolicy{
		{InitialInterval: 0, BackoffCoefficient: 2, MaxInterval: time.Hour, MaxAttempts: 3},
		{InitialInterval: time.Second, BackoffCoefficient: 0.5, MaxInterval: time.Hour, MaxAttempts: 3},
		{InitialInterval: time.Minute, BackoffCoefficient: 2, MaxInterval: time.Second, MaxAttempts: 3},
		{InitialInterval: time.Second, BackoffCoefficient: 2, MaxInterval: time.Hour, MaxAttempts: 0},
	}
	for _, p := range bad {
		if err := p.Validate(); err == nil {
			t.Errorf("%+v accepted", p)
		}
	}
}

func TestDefaultScheduleTotalsAboutFiveAndAHalfHours(t *testing.T) {
	p := Defaults().Retry
	var total time.Duration
	for n := 1; n < p.MaxAttempts; n++ {
		total += p.Delay(n)
	}
	if total < 5*time.Hour+20*time.Minute || total > 5*time.Hour+40*time.Minute {
		t.Errorf("total retry span %s, want about 5.5 h", total)
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

func TestRetryPolicyBounds(t *testing.T) {
	base := Defaults().Retry
	for name, mut := range map[string]func(*RetryPolicy){
		"a century between retries": func(p *RetryPolicy) { p.MaxInterval = 1000000 * time.Hour },
		"a factor of 1000":          func(p *RetryPolicy) { p.BackoffCoefficient = 1000 },
		"101 attempts":              func(p *RetryPolicy) { p.MaxAttempts = 101 },
	} {
		p := base
		mut(&p)
		if err := p.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	p := base
	p.MaxInterval = MaxRetryInterval
	if err := p.Validate(); err != nil {
		t.Errorf("a day between retries: %v", err)
	}
}
