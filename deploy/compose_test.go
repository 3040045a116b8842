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

	"github.com/heraldhq/herald/contract"
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
	for _, want := range []string{"postgres", "temporal", "temporal-ui", "gateway", "worker"} {
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
	for _, name := range []string{"gateway", "worker"} {
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
	}
	if _, err := os.Stat("../Dockerfile"); err != nil {
		t.Errorf("Dockerfile: %v", err)
	}
	// Every search attribute Herald uses is registered by the set-up service.
	setup, err := p.GetService("temporal-setup")
	if err != nil {
		t.Fatal(err)
	}
	cmd := strings.Join(setup.Command, " ")
	for _, sa := range contract.SearchAttributes() {
		name, typ, _ := strings.Cut(sa, "=")
		if !strings.Contains(cmd, "--name "+name+" --type "+typ) {
			t.Errorf("temporal-setup does not register %s", sa)
		}
	}
}
