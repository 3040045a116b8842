package testenv

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/contract"
)

func parseScopes(ss []string) ([]herald.Scope, error) {
	out := make([]herald.Scope, len(ss))
	for i, s := range ss {
		sc, err := herald.ParseScope(s)
		if err != nil {
			return nil, err
		}
		out[i] = sc
	}
	return out, nil
}

// TemporalCLI finds the Temporal CLI: $HERALD_TEMPORAL_CLI, then
// $(go env GOPATH)/bin/temporal (where `make` installs it), then $PATH.
func TemporalCLI() (string, error) {
	if p := os.Getenv("HERALD_TEMPORAL_CLI"); p != "" {
		return p, nil
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		p := filepath.Join(strings.TrimSpace(string(out)), "bin", "temporal")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	if p, err := exec.LookPath("temporal"); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("the Temporal CLI is not installed: run `make temporal-cli` (or set HERALD_TEMPORAL_CLI)")
}

var (
	devOnce   sync.Once
	devServer *testsuite.DevServer
	devErr    error
)

// DevServer returns the package's shared Temporal dev server (in memory, with
// Herald's search attributes), starting it on first use. Tests isolate
// themselves with their own task queue and team ids. Call StopDevServer from
// TestMain.
func DevServer(t testing.TB) *testsuite.DevServer {
	t.Helper()
	devOnce.Do(func() {
		var path string
		if path, devErr = TemporalCLI(); devErr != nil {
			return
		}
		// Herald's search attributes are created with the server (below), so
		// the dev server need not read them from SQLite on every start and
		// visibility write, which it does by default (BENCHMARKS.md).
		args := []string{"--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=normal",
			"--dynamic-config-value", "system.forceSearchAttributesCacheRefreshOnRead=false"}
		for _, sa := range contract.SearchAttributes() {
			args = append(args, "--search-attribute", sa)
		}
		keepInheritedFilesToOurselves()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		devServer, devErr = testsuite.StartDevServer(ctx, testsuite.DevServerOptions{
			ExistingPath:  path,
			ClientOptions: &client.Options{Namespace: "default", Logger: quietLogger()},
			LogLevel:      "error",
			ExtraArgs:     args,
			Stdout:        io.Discard,
			Stderr:        os.Stderr,
		})
	})
	if devErr != nil {
		t.Fatalf("start Temporal dev server: %v", devErr)
	}
	return devServer
}

// keepInheritedFilesToOurselves marks the files this process inherited
// (descriptors 3 and up; those Go opens are close-on-exec already) so that
// no process it starts holds them. A fuzz worker talks to its coordinator
// through two inherited pipes: a dev server started by a worker held them,
// so when the worker was stopped (it is given a second to exit) the
// coordinator waited for their end for ever: a CI run hung after
// FuzzHTTPBoundary's last input.
func keepInheritedFilesToOurselves() {
	for fd := 3; fd < 256; fd++ {
		syscall.CloseOnExec(fd)
	}
}

// StopDevServer stops the shared dev server if one was started.
func StopDevServer() {
	if devServer != nil {
		_ = devServer.Stop()
	}
}
