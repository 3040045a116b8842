package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/temporalclient"
	"github.com/heraldhq/herald/test/testenv"
)

// SIGTERM on a worker stops polling, lets the attempt in flight finish and
// record itself, and exits 0.
func TestWorkerShutsDownGracefully(t *testing.T) {
	st, dbURL := testenv.NewStoreURL(t)
	ctx := context.Background()
	team, _ := testenv.Team(t, st)
	var arrived atomic.Int32
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived.Add(1)
		time.Sleep(3 * time.Second)
		w.WriteHeader(http.StatusOK)
	}))
	defer slow.Close()
	if _, err := st.CreateIntegration(ctx, store.Integration{TeamID: team, Name: "slow", Type: herald.IntegrationWebhook,
		URL: slow.URL, Events: []string{"*"}, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	queue := workerQueue(t)
	cmd, logs := startWorker(t, dbURL, queue)
	startEvent(t, team, queue, "in-flight")
	testenv.Await(t, "the attempt in flight", func() bool { return arrived.Load() == 1 })
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var exit *exec.ExitError
		if errors.As(err, &exit) || err != nil {
			t.Fatalf("worker exited with %v:\n%s", err, logs.String())
		}
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("the worker did not stop within 30 s:\n%s", logs.String())
	}
	refs, err := st.DeliveryRefs(ctx, team, "in-flight")
	if err != nil || len(refs) != 1 || refs[0].Status != herald.DeliveryDelivered || refs[0].AttemptCount != 1 {
		t.Errorf("the in-flight attempt was not finished and recorded: %+v %v\n%s", refs, err, logs.String())
	}
}

func workerQueue(t *testing.T) string {
	return "worker-" + strings.ReplaceAll(t.Name(), "/", "-") + "-" + time.Now().Format("150405.000")
}

// startWorker runs the built `herald worker` on queue, with extra HERALD_* settings.
func startWorker(t *testing.T, dbURL, queue string, env ...string) (*exec.Cmd, *testenv.SyncBuffer) {
	t.Helper()
	cmd := exec.Command(heraldBinary(t), "worker")
	cmd.Env = append(os.Environ(), "HERALD_DATABASE_URL="+dbURL, "HERALD_TEMPORAL_ADDRESS="+testenv.DevServer(t).FrontendHostPort(),
		"HERALD_TASK_QUEUE="+queue, "HERALD_ALLOW_PRIVATE_DESTINATIONS=true", "HERALD_METRICS_LISTEN=",
		"HERALD_SECRET_KEYS="+testenv.TestSecretKeys)
	cmd.Env = append(cmd.Env, env...)
	logs := &testenv.SyncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd, logs
}

// startEvent starts an event workflow on queue directly through Temporal.
func startEvent(t *testing.T, team, queue, id string) {
	t.Helper()
	ctx := context.Background()
	cfg := config.Defaults()
	cfg.TemporalAddress = testenv.DevServer(t).FrontendHostPort()
	tc, err := temporalclient.Dial(ctx, &cfg, discard(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	if _, err := contract.StartEvent(ctx, tc, queue, contract.DispatchQueued, contract.EventInput{TeamID: team, EventID: id, Type: "build:start",
		Data: json.RawMessage(`{}`), ReceivedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
}

// An attempt lost with its worker (SIGKILL in the middle of the request) is
// made again by another worker once its worker stops answering, not after
// the whole start-to-close timeout: here the attempt timeout is 10 minutes,
// and the test gives up after testenv.AwaitWithin (2 minutes).
func TestAttemptLostWithItsWorkerIsRetriedElsewhere(t *testing.T) {
	st, dbURL := testenv.NewStoreURL(t)
	ctx := context.Background()
	team, _ := testenv.Team(t, st)
	var arrived atomic.Int32
	released := make(chan struct{})
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if arrived.Add(1) == 1 {
			select { // the first request hangs until its worker dies
			case <-r.Context().Done():
			case <-released:
			}
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer hanging.Close()
	defer close(released)
	if _, err := st.CreateIntegration(ctx, store.Integration{TeamID: team, Name: "hangs once", Type: herald.IntegrationWebhook,
		URL: hanging.URL, Events: []string{"*"}, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	queue := workerQueue(t)
	first, _ := startWorker(t, dbURL, queue, "HERALD_ATTEMPT_TIMEOUT=10m")
	startEvent(t, team, queue, "lost-attempt")
	testenv.Await(t, "the first attempt to reach the receiver", func() bool { return arrived.Load() == 1 })
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	_, logs := startWorker(t, dbURL, queue, "HERALD_ATTEMPT_TIMEOUT=10m")
	testenv.Await(t, "the lost attempt to be made again", func() bool { return arrived.Load() == 2 })
	t.Logf("the lost attempt was made again %s after its worker was killed", time.Since(killed).Round(100*time.Millisecond))
	testenv.Await(t, "the delivery to be recorded", func() bool {
		refs, err := st.DeliveryRefs(ctx, team, "lost-attempt")
		return err == nil && len(refs) == 1 && refs[0].Status == herald.DeliveryDelivered
	})
	refs, _ := st.DeliveryRefs(ctx, team, "lost-attempt")
	if refs[0].AttemptCount != 1 {
		t.Errorf("the lost attempt and its retry are one attempt, recorded once: %+v\n%s", refs[0], logs.String())
	}
}
