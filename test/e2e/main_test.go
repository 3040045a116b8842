// Package e2e runs Herald on the real stack: the Temporal dev server, Postgres,
// the gateway over HTTP and real receivers.
package e2e

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/heraldhq/herald/test/testenv"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testenv.StopDevServer()
	if binPath != "" {
		// The herald binary built for the CLI tests (tens of MB a run).
		_ = os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}
