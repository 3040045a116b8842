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
	"github.com/heraldhq/herald/config"
	"github.com/heraldhq/herald/contract"
	"github.com/heraldhq/herald/internal/testenv"
	"github.com/heraldhq/herald/schema"
	"github.com/heraldhq/herald/store"
)

// SIGTERM on a worker stops polling, lets the attempt in flight finish and
// record itself, and exits 0.
func TestWorkerShutsDownGracefully(t *testing.T) {
	dev := testenv.DevServer(t)
	dbURL := testenv.NewDatabase(t)
	ctx := context.Background()
	st, err := store.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := schema.Migrate(ctx, st.DB()); err != nil {
		t.Fatal(err)
	}
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
	queue := "shutdown-" + strings.ReplaceAll(t.Name(), "/", "-") + "-" + time.Now().Format("150405.000")
	cmd := exec.Command(heraldBinary(t), "worker")
	cmd.Env = append(os.Environ(), "HERALD_DATABASE_URL="+dbURL, "HERALD_TEMPORAL_ADDRESS="+dev.FrontendHostPort(),
		"HERALD_TASK_QUEUE="+queue, "HERALD_ALLOW_PRIVATE_DESTINATIONS=true", "HERALD_METRICS_LISTEN=")
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	cfg := config.Defaults()
	cfg.TemporalAddress = dev.FrontendHostPort()
	tc, err := contract.Dial(ctx, &cfg, discard(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	if _, err := contract.StartEvent(ctx, tc, queue, contract.EventInput{TeamID: team, EventID: "in-flight", Type: "build:start",
		Data: json.RawMessage(`{}`), ReceivedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "the attempt in flight", func() bool { return arrived.Load() == 1 })
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
