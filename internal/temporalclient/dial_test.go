package temporalclient

import (
	"testing"

	"github.com/heraldhq/herald/internal/config"
)

func TestCompresses(t *testing.T) {
	cases := []struct {
		mode, address string
		want          bool
	}{
		{"auto", "127.0.0.1:7233", false},
		{"auto", "[::1]:7233", false},
		{"auto", "localhost:7233", false},
		{"auto", "127.0.0.53:7233", false},
		{"auto", "10.0.0.5:7233", true},
		{"auto", "temporal:7233", true},
		{"auto", "ns.acct.tmprl.cloud:7233", true},
		{"auto", "no-port", true},
		{"gzip", "127.0.0.1:7233", true},
		{"none", "ns.acct.tmprl.cloud:7233", false},
	}
	for _, c := range cases {
		cfg := config.Defaults()
		cfg.TemporalCompression, cfg.TemporalAddress = c.mode, c.address
		if got := Compresses(&cfg); got != c.want {
			t.Errorf("%s %s: compresses = %v, want %v", c.mode, c.address, got, c.want)
		}
	}
}
