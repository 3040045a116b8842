// Package compose checks the deployment files Herald ships.
package compose

import (
	"context"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

// loadCompose loads docker-compose.yml with the loader Docker Compose itself
// uses, which fails on any schema or interpolation error, with env as the
// environment (a key ring, as .env gives it, unless a test says otherwise).
func loadCompose(t *testing.T, env ...string) *types.Project {
	t.Helper()
	p, err := loadComposeWith(env)
	if err != nil {
		t.Fatalf("load docker-compose.yml: %v", err)
	}
	return p
}

const testKeyRing = "HERALD_SECRET_KEYS=k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="

func loadComposeWith(env []string) (*types.Project, error) {
	if env == nil {
		env = []string{testKeyRing}
	}
	opts, err := cli.NewProjectOptions([]string{"../../docker-compose.yml"},
		cli.WithWorkingDirectory("../.."), cli.WithEnv(env), cli.WithConsistency(true))
	if err != nil {
		return nil, err
	}
	return opts.LoadProject(context.Background())
}

// Herald's services get the key ring that seals integrations' secrets, and
// the stack does not start without one: never plaintext by default.
func TestComposeNeedsAKeyRing(t *testing.T) {
	if _, err := loadComposeWith([]string{}); err == nil || !strings.Contains(err.Error(), "make a key ring first") {
		t.Fatalf("without HERALD_SECRET_KEYS: %v, want the loader to refuse, saying how to make one", err)
	}
	p := loadCompose(t)
	for _, name := range []string{"gateway", "worker-1", "worker-2"} {
		svc, _ := p.GetService(name)
		if v := svc.Environment["HERALD_SECRET_KEYS"]; v == nil || "HERALD_SECRET_KEYS="+*v != testKeyRing {
			t.Errorf("%s does not get the key ring", name)
		}
	}
}

// TestComposeFileLoads loads docker-compose.yml with the loader Docker Compose
// itself uses, which fails on any schema or interpolation error.
func TestComposeFileLoads(t *testing.T) {
	p := loadCompose(t)
	names := p.ServiceNames()
	for _, want := range []string{"postgres", "temporal", "temporal-setup", "temporal-ui", "gateway", "worker-1", "worker-2"} {
		if !slices.Contains(names, want) {
			t.Errorf("service %q missing (have %v)", want, names)
		}
	}
	published := map[string]string{}
	for _, name := range names {
		svc, _ := p.GetService(name)
		for _, port := range svc.Ports {
			if other, dup := published[port.Published]; dup {
				t.Errorf("host port %s published by %s and %s", port.Published, other, name)
			}
			published[port.Published] = name
		}
	}
	for _, name := range []string{"gateway", "worker-1", "worker-2"} {
		svc, _ := p.GetService(name)
		if svc.Build == nil {
			t.Fatalf("%s is not built from the Dockerfile", name)
		}
		if _, err := os.Stat("../../" + svc.Build.Dockerfile); err != nil && svc.Build.Dockerfile != "" {
			t.Errorf("%s names Dockerfile %q: %v", name, svc.Build.Dockerfile, err)
		}
		for _, dep := range []string{"postgres", "temporal"} {
			if d, ok := svc.DependsOn[dep]; !ok || d.Condition != types.ServiceConditionHealthy {
				t.Errorf("%s must depend on healthy %s: %+v", name, dep, svc.DependsOn)
			}
		}
		if svc.Environment["HERALD_DATABASE_URL"] == nil || svc.Environment["HERALD_TEMPORAL_ADDRESS"] == nil {
			t.Errorf("%s lacks HERALD_ configuration", name)
		}
		if svc.HealthCheck == nil || len(svc.HealthCheck.Test) == 0 {
			t.Errorf("%s has no healthcheck", name)
		}
		if d, ok := svc.DependsOn["temporal-setup"]; !ok || d.Condition != types.ServiceConditionCompletedSuccessfully {
			t.Errorf("%s must wait for the search attributes", name)
		}
	}
	if _, err := os.Stat("../../Dockerfile"); err != nil {
		t.Errorf("Dockerfile: %v", err)
	}
	// The set-up service is Herald's own `herald temporal setup`, which
	// registers every search attribute Herald uses.
	setup, err := p.GetService("temporal-setup")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(setup.Command, " ") != "temporal setup" || setup.Build == nil {
		t.Errorf("temporal-setup runs %v", setup.Command)
	}
	for _, name := range []string{"postgres", "temporal"} {
		if svc, _ := p.GetService(name); svc.HealthCheck == nil {
			t.Errorf("%s has no healthcheck", name)
		}
	}
}

// Every pool full still fits Postgres's max_connections, with room for the
// tools (the budget DEPLOY.md gives): 81 answers of 503 in a burst came from
// pools that did not.
func TestComposeConnectionBudgetFits(t *testing.T) {
	p := loadCompose(t)
	num := func(svc, what string, v *string) int {
		t.Helper()
		if v == nil {
			t.Fatalf("%s sets no %s", svc, what)
		}
		n, err := strconv.Atoi(*v)
		if err != nil {
			t.Fatalf("%s %s %q: %v", svc, what, *v, err)
		}
		return n
	}
	pg, _ := p.GetService("postgres")
	maxConns := 0
	for i, arg := range pg.Command {
		if v, ok := strings.CutPrefix(arg, "max_connections="); ok && i > 0 && pg.Command[i-1] == "-c" {
			maxConns = num("postgres", "max_connections", &v)
		}
	}
	if maxConns == 0 {
		t.Fatal("postgres does not set max_connections")
	}
	tem, _ := p.GetService("temporal")
	const temporalServices, reserved, spare = 4, 3, 10
	temporal := temporalServices * (num("temporal", "SQL_MAX_CONNS", tem.Environment["SQL_MAX_CONNS"]) + num("temporal", "SQL_VIS_MAX_CONNS", tem.Environment["SQL_VIS_MAX_CONNS"]))
	herald := 0
	for _, name := range []string{"gateway", "worker-1", "worker-2"} {
		svc, _ := p.GetService(name)
		herald += num(name, "HERALD_DB_MAX_CONNS", svc.Environment["HERALD_DB_MAX_CONNS"])
	}
	if need := reserved + temporal + herald + spare; need > maxConns {
		t.Errorf("pools need %d connections (Temporal %d, Herald %d, %d reserved, %d spare); max_connections is %d", need, temporal, herald, reserved, spare, maxConns)
	}
}
