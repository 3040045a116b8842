package chaos

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/heraldhq/herald/test/testenv"
)

// TestChaos posts events to a whole Herald on this machine while its worker,
// the Temporal dev server and Postgres crash and its receivers flap, then
// checks that every (event, integration) pair was delivered and that the
// records agree with what receivers got. `make test` runs a short version;
// `make chaos` the full one (HERALD_CHAOS_EVENTS=2000).
func TestChaos(t *testing.T) {
	events := envInt(t, "HERALD_CHAOS_EVENTS", 240)
	rate := float64(envInt(t, "HERALD_CHAOS_RATE", 30))
	cli, err := testenv.TemporalCLI()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	local, err := StartLocal(ctx, LocalOptions{Herald: buildHerald(t), TemporalCLI: cli, AttemptTimeout: 2 * time.Second, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		local.Close()
		if t.Failed() {
			t.Logf("logs and state kept in %s", local.Dir)
		} else {
			local.RemoveState()
		}
	}()
	rep, err := Drive(ctx, local.Target, Options{Events: events, Integrations: 3, Rate: rate, Senders: 64,
		Mix: DefaultMix, Seed: uint64(time.Now().UnixNano()), Drain: 10 * time.Minute, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	rep.Restarts = local.Restarts()
	finish(t, rep)
}

// TestChaosStack runs the same workload against the production-shaped stack
// (make stack-test, make chaos-stack) and SIGKILLs one of its two workers.
func TestChaosStack(t *testing.T) {
	gateway := os.Getenv("HERALD_STACK_URL")
	if gateway == "" {
		t.Skip("needs the running stack: make stack-test")
	}
	// The stack runs from the module root, two levels up.
	pidFile := filepath.Join("..", "..", ".data", "stack", "worker1.pid")
	target := Target{GatewayURL: gateway, DatabaseURL: os.Getenv("HERALD_DATABASE_URL"), TemporalAddress: "127.0.0.1:7233",
		TaskQueue: "herald", Margin: 5 * time.Second,
		Faults: []Fault{{Name: "worker 1 of 2 SIGKILL", Inject: func(context.Context) error {
			data, err := os.ReadFile(pidFile)
			if err != nil {
				return err
			}
			pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
			if err != nil {
				return err
			}
			return syscall.Kill(pid, syscall.SIGKILL)
		}}}}
	rep, err := Drive(context.Background(), target, Options{Events: envInt(t, "HERALD_CHAOS_EVENTS", 300), Integrations: 3,
		Rate: float64(envInt(t, "HERALD_CHAOS_RATE", 20)), Senders: 64, Mix: DefaultMix, Seed: uint64(time.Now().UnixNano()),
		Drain: 10 * time.Minute, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	finish(t, rep)
}

func finish(t *testing.T, rep *Report) {
	t.Helper()
	t.Logf("\n%s", rep.Summary())
	if path := os.Getenv("HERALD_CHAOS_REPORT"); path != "" {
		data, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
			t.Error(err)
		}
	}
	if !rep.Settled {
		t.Error("the run did not settle within the drain time")
	}
	for _, p := range rep.Problems() {
		t.Error(p)
	}
}

func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a positive whole number", name, v)
	}
	return n
}

func buildHerald(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "herald")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/herald").CombinedOutput(); err != nil {
		t.Fatalf("build herald: %v\n%s", err, out)
	}
	return bin
}
