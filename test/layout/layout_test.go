// Package layout checks the shape of the module: which rooms packages live in
// and which way imports go (docs/architecture.md). make lint runs it.
package layout

import (
	"encoding/json"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/heraldhq/herald"

type pkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
	Standard   bool
}

// list runs go list -json on patterns (from the module root).
func list(t *testing.T, args ...string) []pkg {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list", "-json"}, args...)...)
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %v: %v", args, err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	var pkgs []pkg
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// rooms are the top-level places a package may live: the design card's
// rooms, internal/ for everything they share, test/ for harnesses, and
// client/, the Go client other modules import.
var rooms = []string{"cmd", "cli", "client", "gateway", "worker", "workflows", "activities", "schema", "internal", "test"}

func TestEveryPackageIsInARoom(t *testing.T) {
	for _, p := range list(t, "./...") {
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		if rel == "" {
			continue // herald.go: the shared vocabulary
		}
		room, _, _ := strings.Cut(rel, "/")
		if !slices.Contains(rooms, room) {
			t.Errorf("package %s is outside the layout (rooms: %v)", p.ImportPath, rooms)
		}
	}
}

// forbidden touch the network, the database or the clock's configuration:
// no deterministic code may import them, directly or through Herald's own
// packages (the Temporal SDK's own imports do not count).
var forbidden = []string{module + "/internal/store", module + "/internal/config", "github.com/jmoiron/sqlx", "github.com/lib/pq", "net/http"}

func TestWorkflowsStayDeterministic(t *testing.T) {
	for _, p := range list(t, "-deps", "./workflows/...") {
		if !strings.HasPrefix(p.ImportPath, module) {
			continue
		}
		for _, imp := range p.Imports {
			if slices.Contains(forbidden, imp) {
				t.Errorf("%s imports %s, and workflows depend on %s", p.ImportPath, imp, p.ImportPath)
			}
		}
	}
}

// Shared packages never reach up into the rooms that use them.
func TestInternalDoesNotImportTheRooms(t *testing.T) {
	up := []string{module + "/cli", module + "/gateway", module + "/worker"}
	for _, p := range list(t, "./internal/...") {
		for _, imp := range p.Imports {
			for _, u := range up {
				if imp == u || strings.HasPrefix(imp, u+"/") {
					t.Errorf("%s imports %s", p.ImportPath, imp)
				}
			}
		}
	}
}

// The public client is for other modules: it needs nothing of Herald's,
// whose packages they could not import anyway.
func TestThePublicClientStandsAlone(t *testing.T) {
	for _, p := range list(t, "./client") {
		for _, d := range p.Deps {
			if strings.HasPrefix(d, module+"/") || d == module {
				t.Errorf("%s depends on %s", p.ImportPath, d)
			}
		}
	}
}

// doors are the packages that speak HTTP to people and programs, above the
// service layer: the API and, under internal/, the console, Add to Slack and
// what they read from a request alike (door).
var doors = []string{module + "/gateway", module + "/internal/console", module + "/internal/slackinstall", module + "/internal/door"}

// HTTP stays at the doors: nothing else under internal/ (the service layer
// and everything below it) depends on Fiber, so what Herald does is the
// same whichever door asks; and since the doors use Fiber, nothing below
// them depends on a door either.
func TestNothingBelowTheDoorsKnowsFiber(t *testing.T) {
	for _, p := range list(t, "./internal/...", "./workflows/...", "./activities/...", "./worker/...") {
		if slices.Contains(doors, p.ImportPath) {
			continue
		}
		for _, d := range p.Deps {
			if strings.HasPrefix(d, "github.com/gofiber/") {
				t.Errorf("%s depends on %s", p.ImportPath, d)
			}
		}
	}
}

// The console changes what it changes through the service layer: it
// depends on none of the API's handlers (the gateway package) nor on the
// API's client.
func TestTheConsoleUsesTheServiceNotTheAPI(t *testing.T) {
	for _, p := range list(t, "./internal/console", "./internal/slackinstall") {
		for _, d := range p.Deps {
			if d == module+"/gateway" || d == module+"/internal/apiclient" {
				t.Errorf("%s depends on %s", p.ImportPath, d)
			}
		}
		if !slices.Contains(p.Deps, module+"/internal/service") {
			t.Errorf("%s does not use the service layer", p.ImportPath)
		}
	}
}
