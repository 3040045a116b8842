// Package e2e runs Herald on the real stack: the Temporal dev server, Postgres,
// the gateway over HTTP and real receivers.
package e2e

import (
	"os"
	"testing"

	"github.com/heraldhq/herald/test/testenv"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testenv.StopDevServer()
	os.Exit(code)
}
