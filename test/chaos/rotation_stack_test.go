package chaos

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/store"
)

// stackProc is a Herald process of the running stack, as its pid file and
// /proc tell it: enough to start it again the same way.
type stackProc struct {
	name, pidFile string
	pid           int
	args, env     []string
	dir           string
}

func readStackProc(t *testing.T, state, name string) stackProc {
	t.Helper()
	p := stackProc{name: name, pidFile: filepath.Join(state, name+".pid")}
	data, err := os.ReadFile(p.pidFile)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if p.pid, err = strconv.Atoi(strings.TrimSpace(string(data))); err != nil {
		t.Fatal(err)
	}
	proc := fmt.Sprintf("/proc/%d", p.pid)
	cmdline, err := os.ReadFile(proc + "/cmdline")
	if err != nil {
		t.Fatalf("%s (pid %d) is not running: %v", name, p.pid, err)
	}
	p.args = strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
	environ, err := os.ReadFile(proc + "/environ")
	if err != nil {
		t.Fatal(err)
	}
	p.env = strings.Split(strings.TrimRight(string(environ), "\x00"), "\x00")
	if p.dir, err = os.Readlink(proc + "/cwd"); err != nil {
		t.Fatal(err)
	}
	return p
}

func (p stackProc) getenv(key string) string {
	for _, kv := range p.env {
		if k, v, _ := strings.Cut(kv, "="); k == key {
			return v
		}
	}
	return ""
}

// restart stops the process gracefully and starts it again with the same
// command line and environment, but for set; its pid file follows.
func (p stackProc) restart(t *testing.T, set map[string]string) {
	t.Helper()
	_ = syscall.Kill(p.pid, syscall.SIGTERM)
	deadline := time.Now().Add(45 * time.Second)
	for syscall.Kill(p.pid, 0) == nil && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if syscall.Kill(p.pid, 0) == nil {
		t.Fatalf("%s did not stop on SIGTERM", p.name)
	}
	env := []string{}
	for _, kv := range p.env {
		if k, _, _ := strings.Cut(kv, "="); set[k] == "" {
			env = append(env, kv)
		}
	}
	for k, v := range set {
		env = append(env, k+"="+v)
	}
	log, err := os.OpenFile(filepath.Join(filepath.Dir(p.pidFile), p.name+".log"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	bin := p.args[0]
	if !filepath.IsAbs(bin) {
		bin = filepath.Join(p.dir, bin)
	}
	cmd := exec.Command(bin, p.args[1:]...)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = p.dir, env, log, log
	// Its own session: it outlives this test, for make stack-down to stop.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s again: %v", p.name, err)
	}
	if err := os.WriteFile(p.pidFile, []byte(strconv.Itoa(cmd.Process.Pid)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Process.Release()
}

// Key-ring rotation on the production-shaped stack while deliveries run:
// a new key is put first in every process's ring by restarting each in
// turn (the worker, then the gateway with its worker), `herald secrets
// rotate` re-seals every row under it, events are posted throughout, every
// delivery arrives signed with its integration's secret, and no row is left
// under the old key.
func TestSecretRotationStack(t *testing.T) {
	gateway := os.Getenv("HERALD_STACK_URL")
	if gateway == "" {
		t.Skip("needs the running stack: make stack-test")
	}
	root, _ := filepath.Abs(filepath.Join("..", ".."))
	state := filepath.Join(root, ".data", "stack")
	procs := []stackProc{readStackProc(t, state, "worker1"), readStackProc(t, state, "gateway")}
	oldRing := procs[1].getenv("HERALD_SECRET_KEYS")
	if oldRing == "" {
		t.Fatal("the stack's gateway has no HERALD_SECRET_KEYS")
	}
	oldKey, _, _ := strings.Cut(oldRing, ":")
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	newKey := fmt.Sprintf("krot%d", time.Now().Unix())
	newRing := newKey + ":" + base64.StdEncoding.EncodeToString(raw) + "," + oldRing
	dbURL := os.Getenv("HERALD_DATABASE_URL")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	st, err := store.Open(ctx, dbURL, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	team, err := st.CreateTeam(ctx, fmt.Sprintf("rotation-%d", time.Now().UnixNano()))
	if err != nil {
		t.Fatal(err)
	}
	_, key, err := st.CreateKey(ctx, team.ID, "rotation", []herald.Scope{herald.ScopeIngest, herald.ScopeManage})
	if err != nil {
		t.Fatal(err)
	}

	// A receiver that verifies every request with its integration's secret.
	var mu sync.Mutex
	secrets := map[string]*standardwebhooks.Webhook{}
	seen := map[string]bool{}
	var bad []string
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		wh := secrets[r.URL.Path]
		if wh == nil || wh.Verify(body, r.Header) != nil {
			bad = append(bad, r.URL.Path+" "+r.Header.Get("webhook-id"))
		}
		seen[r.Header.Get("webhook-id")] = true
		w.WriteHeader(http.StatusNoContent)
	}))
	defer recv.Close()
	const integrations = 10
	for i := range integrations {
		path := fmt.Sprintf("/rot/%d", i)
		body, _ := json.Marshal(map[string]any{"name": fmt.Sprintf("rotation-%d", i), "type": "webhook", "url": recv.URL + path,
			"events": []string{"build:*"}, "generateSecret": true})
		r, err := apiCall(ctx, gateway, key, http.MethodPost, "/v1/integrations", body)
		if err != nil || r.status != http.StatusCreated {
			t.Fatalf("create integration: %v %d %s", err, r.status, r.body)
		}
		var v struct{ Secret string }
		_ = json.Unmarshal(r.body, &v)
		wh, err := standardwebhooks.NewWebhook(v.Secret)
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		secrets[path] = wh
		mu.Unlock()
	}

	// Events all the while: a refused connection (a process restarting) is
	// tried again with the same id, which Herald deduplicates.
	stop := make(chan struct{})
	var posted []string
	var posting sync.WaitGroup
	posting.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
			id := fmt.Sprintf("rot-%s-%05d", team.ID, i)
			body := []byte(fmt.Sprintf(`{"id":%q,"event":"build:start","data":{}}`, id))
			for try := 0; try < 300; try++ {
				if r, err := apiCall(ctx, gateway, key, http.MethodPost, "/v1/events", body); err == nil && r.status == http.StatusAccepted {
					posted = append(posted, id)
					break
				}
				time.Sleep(200 * time.Millisecond)
			}
		}
	})
	time.Sleep(2 * time.Second)
	for _, p := range procs {
		t.Logf("restarting %s with the new key first in its ring", p.name)
		p.restart(t, map[string]string{"HERALD_SECRET_KEYS": newRing})
	}
	if err := waitReady(ctx, gateway); err != nil {
		t.Fatalf("the gateway after its restart: %v", err)
	}
	rotate := exec.CommandContext(ctx, filepath.Join(root, "bin", "herald"), "secrets", "rotate", "-o", "json")
	rotate.Env = append(os.Environ(), "HERALD_DATABASE_URL="+dbURL, "HERALD_SECRET_KEYS="+newRing)
	out, err := rotate.Output()
	if err != nil {
		t.Fatalf("herald secrets rotate: %v %s", err, out)
	}
	var report struct {
		Resealed  int
		KeysInUse []string
	}
	if err := json.Unmarshal(out, &report); err != nil || len(report.KeysInUse) != 1 || report.KeysInUse[0] != newKey || report.Resealed < integrations {
		t.Fatalf("rotate reported %s (%v)", out, err)
	}
	time.Sleep(2 * time.Second)
	close(stop)
	posting.Wait()
	want := len(posted) * integrations
	deadline := time.Now().Add(3 * time.Minute)
	for {
		mu.Lock()
		got := len(seen)
		mu.Unlock()
		if got >= want || time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	t.Logf("%d events posted across the rotation, %d deliveries arrived of %d, %d rows re-sealed", len(posted), len(seen), want, report.Resealed)
	if len(posted) < 20 || len(seen) != want {
		t.Errorf("%d deliveries arrived of %d (%d events)", len(seen), want, len(posted))
	}
	if len(bad) > 0 {
		t.Errorf("%d requests did not verify with their integration's secret, e.g. %v", len(bad), bad[:min(len(bad), 5)])
	}
	var underOld int
	if err := st.DB().QueryRowContext(ctx, `SELECT count(*) FROM integrations WHERE url LIKE $1 OR secret LIKE $1 OR previous_secret LIKE $1 OR auth LIKE $1`,
		"hsk1:"+oldKey+":%").Scan(&underOld); err != nil || underOld != 0 {
		t.Errorf("%d rows still under the old key %s (%v)", underOld, oldKey, err)
	}
}

type apiAnswer struct {
	status int
	body   []byte
}

func apiCall(ctx context.Context, gateway, key, method, path string, body []byte) (apiAnswer, error) {
	req, err := http.NewRequestWithContext(ctx, method, gateway+path, bytes.NewReader(body))
	if err != nil {
		return apiAnswer{}, err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return apiAnswer{}, err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return apiAnswer{resp.StatusCode, data}, nil
}
