// Package e2e runs Herald on the real stack: the Temporal dev server, Postgres,
// the gateway over HTTP and real receivers.
package e2e

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/heraldhq/herald/test/testenv"
)

func TestMain(m *testing.M) {
	code := m.Run()
	// Every documented route is called by some test of the whole suite (a
	// run of chosen tests calls only theirs).
	if run := flag.Lookup("test.run"); code == 0 && run != nil && run.Value.String() == "" {
		if missing := testenv.UncalledOperations(); len(missing) > 0 {
			fmt.Fprintf(os.Stderr, "FAIL: documented routes no test called (the contract check saw none):\n  %s\n", strings.Join(missing, "\n  "))
			code = 1
		}
	}
	testenv.StopDevServer()
	if binPath != "" {
		// The herald binary built for the CLI tests (tens of MB a run).
		_ = os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}
