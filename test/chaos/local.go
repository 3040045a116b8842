package chaos

import (
	"context"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"

	"github.com/heraldhq/herald/internal/contract"
)

// Local is a whole Herald on this machine, every part a process the harness
// may crash: a private Postgres cluster, the Temporal dev server persisting to
// a SQLite file, one gateway and one worker.
type Local struct {
	Dir      string
	Postgres *Postgres
	Temporal *Proc
	Gateway  *Proc
	Worker   *Proc
	Target   Target
	logf     func(string, ...any)
}

// LocalOptions say where the binaries are and how deliveries are timed.
type LocalOptions struct {
	Herald      string // the herald binary
	TemporalCLI string
	// AttemptTimeout is short so that hanging receivers cost seconds, not minutes.
	AttemptTimeout time.Duration
	Logf           func(string, ...any)
}

// StartLocal starts every part and waits until the gateway is ready.
func StartLocal(ctx context.Context, o LocalOptions) (l *Local, err error) {
	dir, err := os.MkdirTemp("", "herald-chaos-")
	if err != nil {
		return nil, err
	}
	l = &Local{Dir: dir, logf: o.Logf}
	defer func() {
		if err != nil {
			l.Close()
		}
	}()
	ports, err := freePorts(5)
	if err != nil {
		return nil, err
	}
	if l.Postgres, err = NewPostgres(dir, ports[0]); err != nil {
		return nil, err
	}
	if err = l.Postgres.Start(); err != nil {
		return nil, err
	}

	temporalAddr := fmt.Sprintf("127.0.0.1:%d", ports[1])
	args := []string{"server", "start-dev", "--headless", "--ip", "127.0.0.1", "--port", fmt.Sprint(ports[1]),
		"--http-port", fmt.Sprint(ports[2]), "--metrics-port", fmt.Sprint(ports[3]),
		"--db-filename", filepath.Join(dir, "temporal.db"), "--log-level", "error",
		"--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=normal"}
	for _, sa := range contract.SearchAttributes() {
		args = append(args, "--search-attribute", sa)
	}
	l.Temporal = &Proc{Name: "temporal", Path: o.TemporalCLI, Args: args, Env: os.Environ(), Log: filepath.Join(dir, "temporal.log"), logf: o.Logf}
	if err = l.Temporal.Start(); err != nil {
		return nil, err
	}
	if err = waitTemporal(ctx, temporalAddr); err != nil {
		return nil, err
	}

	gatewayAddr := fmt.Sprintf("127.0.0.1:%d", ports[4])
	env := heraldEnv(map[string]string{
		"HERALD_DATABASE_URL":               l.Postgres.URL("herald"),
		"HERALD_TEMPORAL_ADDRESS":           temporalAddr,
		"HERALD_TASK_QUEUE":                 "chaos",
		"HERALD_LISTEN":                     gatewayAddr,
		"HERALD_ALLOW_PRIVATE_DESTINATIONS": "true",
		"HERALD_ATTEMPT_TIMEOUT":            o.AttemptTimeout.String(),
		"HERALD_CONNECT_TIMEOUT":            "1s",
		"HERALD_RETRY_INITIAL_INTERVAL":     "1s",
		"HERALD_RETRY_BACKOFF":              "2",
		"HERALD_RETRY_MAX_INTERVAL":         "8s",
		"HERALD_RETRY_MAX_ATTEMPTS":         "30",
		"HERALD_METRICS_LISTEN":             "127.0.0.1:0",
		"HERALD_SECRET_KEYS":                chaosSecretKeys,
		"HERALD_LOG_FORMAT":                 "json",
	})
	migrate := exec.CommandContext(ctx, o.Herald, "migrate")
	migrate.Env = env
	if out, err := migrate.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("herald migrate: %w\n%s", err, out)
	}
	l.Gateway = &Proc{Name: "gateway", Path: o.Herald, Args: []string{"serve"}, Env: env, Log: filepath.Join(dir, "gateway.log"), logf: o.Logf}
	l.Worker = &Proc{Name: "worker", Path: o.Herald, Args: []string{"worker"}, Env: env, Log: filepath.Join(dir, "worker.log"), logf: o.Logf}
	for _, p := range []*Proc{l.Gateway, l.Worker} {
		if err = p.Start(); err != nil {
			return nil, err
		}
	}
	if err = waitReady(ctx, "http://"+gatewayAddr); err != nil {
		return nil, err
	}
	l.Target = Target{
		GatewayURL: "http://" + gatewayAddr, DatabaseURL: l.Postgres.URL("herald"), TemporalAddress: temporalAddr, TaskQueue: "chaos",
		Margin: o.AttemptTimeout + 3*time.Second,
		Faults: []Fault{
			{Name: "worker SIGKILL", Inject: l.restart(l.Worker, time.Second)},
			{Name: "Temporal dev server SIGKILL", Inject: func(ctx context.Context) error {
				if err := l.restart(l.Temporal, time.Second)(ctx); err != nil {
					return err
				}
				return waitTemporal(ctx, temporalAddr)
			}},
			{Name: "Postgres crash (immediate stop)", Inject: func(context.Context) error {
				if err := l.Postgres.Crash(); err != nil {
					return err
				}
				time.Sleep(2 * time.Second)
				return l.Postgres.Start()
			}},
			{Name: "gateway SIGKILL", Inject: func(ctx context.Context) error {
				if err := l.restart(l.Gateway, time.Second)(ctx); err != nil {
					return err
				}
				return waitReady(ctx, "http://"+gatewayAddr)
			}},
			{Name: "worker SIGKILL again", Inject: l.restart(l.Worker, time.Second)},
		},
	}
	return l, nil
}

// restart SIGKILLs a process and starts it again after down.
func (l *Local) restart(p *Proc, down time.Duration) func(context.Context) error {
	return func(context.Context) error {
		p.Kill(syscall.SIGKILL)
		time.Sleep(down)
		return p.Start()
	}
}

// Restarts counts each process's exits nobody asked for.
func (l *Local) Restarts() map[string]int {
	out := map[string]int{}
	for _, p := range []*Proc{l.Temporal, l.Gateway, l.Worker} {
		if p != nil && p.Restarts() > 0 {
			out[p.Name] = p.Restarts()
		}
	}
	return out
}

// Close stops every part; the state stays for RemoveState (its logs explain
// a failed run).
func (l *Local) Close() {
	for _, p := range []*Proc{l.Worker, l.Gateway, l.Temporal} {
		if p != nil {
			p.Kill(syscall.SIGTERM)
		}
	}
	if l.Postgres != nil {
		_ = l.Postgres.Crash()
	}
}

// RemoveState deletes the run's directory.
func (l *Local) RemoveState() { _ = os.RemoveAll(l.Dir) }

// heraldEnv is this process's environment without HERALD_* settings, plus set.
// chaosSecretKeys seals the chaos run's integrations (a server refuses to
// start without a key ring).
var chaosSecretKeys = "chaos1:" + base64.StdEncoding.EncodeToString([]byte("chaos-run-secret-key-32-bytes-ok"))

func heraldEnv(set map[string]string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HERALD_") {
			env = append(env, kv)
		}
	}
	for k, v := range set {
		env = append(env, k+"="+v)
	}
	return env
}

func freePorts(n int) ([]int, error) {
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	ports := make([]int, n)
	for i := range ports {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		lns = append(lns, ln)
		ports[i] = ln.Addr().(*net.TCPAddr).Port
	}
	return ports, nil
}

func waitTemporal(ctx context.Context, addr string) error {
	tc, err := client.NewLazyClient(client.Options{HostPort: addr, Logger: tlog.NewStructuredLogger(discardLog())})
	if err != nil {
		return err
	}
	defer tc.Close()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		cctx, cancel := context.WithTimeout(ctx, time.Second)
		_, err := tc.CheckHealth(cctx, &client.CheckHealthRequest{})
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the Temporal dev server at %s did not come up: %w", addr, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func waitReady(ctx context.Context, url string) error {
	deadline := time.Now().Add(time.Minute)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/readyz", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the gateway at %s was not ready within a minute", url)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
