// Package deploy checks the deployment files Herald ships.
package deploy

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

// TestComposeFileLoads loads docker-compose.yml with the loader Docker Compose
// itself uses, which fails on any schema or interpolation error.
func TestComposeFileLoads(t *testing.T) {
	opts, err := cli.NewProjectOptions([]string{"../docker-compose.yml"},
		cli.WithWorkingDirectory(".."), cli.WithEnv([]string{}), cli.WithConsistency(true))
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("load docker-compose.yml: %v", err)
	}
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
		if _, err := os.Stat("../" + svc.Build.Dockerfile); err != nil && svc.Build.Dockerfile != "" {
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
	if _, err := os.Stat("../Dockerfile"); err != nil {
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
