package e2e

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/test/testenv"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// heraldBinary builds cmd/herald once per test run.
func heraldBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "herald-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "herald")
		out, err := exec.Command("go", "build", "-o", binPath, "../../cmd/herald").CombinedOutput()
		if err != nil {
			buildErr = &buildError{out: string(out), err: err}
		}
	})
	if buildErr != nil {
		t.Fatalf("build herald: %v", buildErr)
	}
	return binPath
}

type buildError struct {
	out string
	err error
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + e.out }

// runHerald runs the built binary with a clean HERALD_* environment.
func runHerald(t *testing.T, env []string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := exec.Command(heraldBinary(t), args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HERALD_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.String(), e.String(), err
}

func mustHerald(t *testing.T, env []string, args ...string) string {
	t.Helper()
	out, errOut, err := runHerald(t, env, args...)
	if err != nil {
		t.Fatalf("herald %v: %v\n%s%s", args, err, out, errOut)
	}
	return out
}

func TestCLIQuickstart(t *testing.T) {
	s := testenv.NewStack(t)
	recv := testenv.NewReceiver(t)
	dbEnv := []string{"HERALD_DATABASE_URL=" + s.Config.DatabaseURL}

	var team struct{ ID string }
	if err := json.Unmarshal([]byte(mustHerald(t, dbEnv, "teams", "create", "acme", "-o", "json")), &team); err != nil || !strings.HasPrefix(team.ID, "team_") {
		t.Fatalf("teams create: %+v %v", team, err)
	}
	var key struct{ ID, Key string }
	out := mustHerald(t, dbEnv, "keys", "create", "--team", team.ID, "--scopes", "ingest,manage", "-o", "json")
	if err := json.Unmarshal([]byte(out), &key); err != nil || !strings.HasPrefix(key.Key, "hk_") {
		t.Fatalf("keys create: %s %v", out, err)
	}
	var stored int
	if err := s.Store.DB().QueryRow(`SELECT count(*) FROM api_keys a WHERE strpos(a::text, $1) > 0`, key.Key).Scan(&stored); err != nil || stored != 0 {
		t.Errorf("the plaintext key is stored (%d rows), %v", stored, err)
	}

	apiEnv := []string{"HERALD_URL=" + s.URL, "HERALD_API_KEY=" + key.Key}
	var integ struct{ ID, Secret string }
	out = mustHerald(t, apiEnv, "integrations", "create", "--name", "cli-hook", "--destination", recv.URL, "--events", "build:*", "--generate-secret", "-o", "json")
	if err := json.Unmarshal([]byte(out), &integ); err != nil || !strings.HasPrefix(integ.Secret, "whsec_") {
		t.Fatalf("integrations create: %s %v", out, err)
	}
	// A secret never goes on the command line: --secret is refused; a file,
	// stdin or the environment carry it.
	if _, errOut, err := runHerald(t, apiEnv, "integrations", "create", "--name", "argv-secret", "--destination", recv.URL, "--events", "billing:*", "--secret", "whsec_dGhpcy1pcy1hLXRlc3Qtc2VjcmV0LTMyYnl0ZXM="); err == nil || !strings.Contains(errOut, "process list") {
		t.Errorf("--secret on the command line: %v %s", err, errOut)
	}
	secretFile := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secretFile, []byte("file-secret-0123456789abcdef\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	mustHerald(t, apiEnv, "integrations", "create", "--name", "file-secret", "--destination", recv.URL, "--events", "billing:*", "--secret-file", secretFile)
	mustHerald(t, append(apiEnv, "HERALD_INTEGRATION_SECRET=env-secret-0123456789abcdef"), "integrations", "create", "--name", "env-secret", "--destination", recv.URL, "--events", "billing:*")
	stdinCmd := exec.Command(heraldBinary(t), "integrations", "create", "--name", "stdin-secret", "--destination", recv.URL, "--events", "billing:*", "--secret-file", "-")
	stdinCmd.Env = append(os.Environ(), apiEnv...)
	stdinCmd.Stdin = strings.NewReader("stdin-secret-0123456789abcdef\n")
	if out, err := stdinCmd.CombinedOutput(); err != nil {
		t.Fatalf("--secret-file -: %v %s", err, out)
	}
	for name, want := range map[string]string{"file-secret": "file-secret-0123456789abcdef", "env-secret": "env-secret-0123456789abcdef", "stdin-secret": "stdin-secret-0123456789abcdef"} {
		var n int
		if err := s.Store.DB().QueryRow(`SELECT count(*) FROM integrations WHERE name = $1 AND team_id = $2`, name, team.ID).Scan(&n); err != nil || n != 1 {
			t.Errorf("%s: %d integrations (%v)", name, n, err)
			continue
		}
		list, err := s.Store.ListIntegrations(context.Background(), team.ID, "", 50)
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range list {
			if in.Name == name && in.Secret != want {
				t.Errorf("%s: the secret given was not stored", name)
			}
		}
	}

	if list := mustHerald(t, apiEnv, "integrations", "list"); !strings.Contains(list, "cli-hook") || strings.Contains(list, integ.Secret) {
		t.Errorf("integrations list:\n%s", list)
	}

	dataFile := filepath.Join(t.TempDir(), "data.json")
	if err := os.WriteFile(dataFile, []byte(`{"project":{"id":"personal-blog"},"build":{"id":"b1"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	var sent struct{ ID, WorkflowID string }
	out = mustHerald(t, apiEnv, "events", "send", "build:start", "--id", "cli-1", "--data", "@"+dataFile, "-o", "json")
	if err := json.Unmarshal([]byte(out), &sent); err != nil || sent.WorkflowID != contract.EventWorkflowID(team.ID, "cli-1") {
		t.Fatalf("events send: %s %v", out, err)
	}
	s.AwaitWorkflow(t, sent.WorkflowID)

	var ev struct {
		Deliveries []struct{ ID, Status string }
	}
	out = mustHerald(t, apiEnv, "events", "get", "cli-1", "-o", "json")
	if err := json.Unmarshal([]byte(out), &ev); err != nil || len(ev.Deliveries) != 1 || ev.Deliveries[0].Status != "delivered" {
		t.Fatalf("events get: %s %v", out, err)
	}
	show := mustHerald(t, apiEnv, "deliveries", "show", ev.Deliveries[0].ID)
	for _, want := range []string{"status delivered", "attempt 1 (auto)", "POST " + recv.URL, "← HTTP 200", `"event":"build:start"`} {
		if !strings.Contains(show, want) {
			t.Errorf("deliveries show lacks %q:\n%s", want, show)
		}
	}
	if strings.Contains(show, integ.Secret) {
		t.Error("deliveries show prints the secret")
	}

	// An admin key manages keys through the API: list shows prefixes, revoke takes effect at once.
	var adminKey struct{ Key string }
	if err := json.Unmarshal([]byte(mustHerald(t, dbEnv, "keys", "create", "--team", team.ID, "--scopes", "admin", "-o", "json")), &adminKey); err != nil {
		t.Fatal(err)
	}
	adminEnv := []string{"HERALD_URL=" + s.URL, "HERALD_API_KEY=" + adminKey.Key}
	keysOut := mustHerald(t, adminEnv, "keys", "list")
	if !strings.Contains(keysOut, key.ID) || strings.Contains(keysOut, key.Key) {
		t.Errorf("keys list:\n%s", keysOut)
	}
	mustHerald(t, adminEnv, "keys", "revoke", key.ID)
	if _, errOut, err := runHerald(t, apiEnv, "integrations", "list"); err == nil || !strings.Contains(errOut, "401") {
		t.Errorf("revoked key still works: %v %s", err, errOut)
	}
	if teams := mustHerald(t, adminEnv, "teams", "list"); !strings.Contains(teams, team.ID) {
		t.Errorf("teams list:\n%s", teams)
	}

	// Errors are clear and exit non-zero.
	if _, errOut, err := runHerald(t, dbEnv, "keys", "create", "--team", "team_nope"); err == nil || !strings.Contains(errOut, `team "team_nope" does not exist`) {
		t.Errorf("keys create for a missing team: %v %s", err, errOut)
	}
	if _, errOut, err := runHerald(t, adminEnv, "events", "send", "Not A Type"); err == nil || !strings.Contains(errOut, "category:action") {
		t.Errorf("bad event type: %v %s", err, errOut)
	}
	if _, errOut, err := runHerald(t, []string{"HERALD_URL=" + s.URL}, "integrations", "list"); err == nil || !strings.Contains(errOut, "HERALD_API_KEY") {
		t.Errorf("no key: %v %s", err, errOut)
	}
}

func TestMigrateCreatesTheDatabase(t *testing.T) {
	url := testenv.NewDatabase(t) // created, then dropped here so migrate must create it
	name := url[strings.LastIndex(url, "/")+1:]
	if i := strings.Index(name, "?"); i >= 0 {
		name = name[:i]
	}
	admin, err := sql.Open("postgres", testenv.AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec("DROP DATABASE " + name); err != nil {
		t.Fatal(err)
	}
	out := mustHerald(t, []string{"HERALD_DATABASE_URL=" + url}, "migrate", "-o", "json")
	var res struct {
		CreatedDatabase bool
		Applied         []int
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || !res.CreatedDatabase || len(res.Applied) == 0 {
		t.Fatalf("migrate: %s %v", out, err)
	}
	out = mustHerald(t, []string{"HERALD_DATABASE_URL=" + url}, "migrate")
	if !strings.Contains(out, "up to date") {
		t.Errorf("second migrate: %s", out)
	}
}

// --url is the gateway on every client command (the destination is
// --destination), so a gateway given by flag works for the whole lifecycle.
func TestCLIIntegrationLifecycleWithTheGatewayFlag(t *testing.T) {
	s := testenv.NewStack(t)
	recv := testenv.NewReceiver(t)
	moved := testenv.NewReceiver(t)
	key := []string{"HERALD_API_KEY=" + s.Key} // no HERALD_URL: the flag must carry it
	run := func(v any, args ...string) {
		t.Helper()
		out := mustHerald(t, key, append(append([]string{}, args...), "--url", s.URL, "-o", "json")...)
		if v != nil {
			if err := json.Unmarshal([]byte(out), v); err != nil {
				t.Fatalf("herald %v: %v\n%s", args, err, out)
			}
		}
	}
	var in api.IntegrationView
	run(&in, "integrations", "create", "--name", "lifecycle", "--destination", recv.URL+"/hook", "--events", "build:*")
	if in.ID == "" || in.URL != recv.URL+"/hook" {
		t.Fatalf("create: %+v", in)
	}
	var up api.IntegrationView
	run(&up, "integrations", "update", in.ID, "--destination", moved.URL+"/new", "--name", "lifecycle-2")
	if up.Name != "lifecycle-2" || up.URL != moved.URL+"/new" {
		t.Errorf("update: %+v", up)
	}
	if stored, err := s.Store.GetIntegration(context.Background(), s.Team, in.ID); err != nil || stored.URL != moved.URL+"/new" {
		t.Errorf("stored destination %q (%v)", stored.URL, err)
	}
	var dis api.IntegrationView
	run(&dis, "integrations", "disable", in.ID, "--reason", "maintenance")
	if dis.Enabled || dis.Health.DisabledReason != "maintenance" {
		t.Errorf("disable: %+v", dis)
	}
	var en api.IntegrationView
	run(&en, "integrations", "enable", in.ID)
	if !en.Enabled {
		t.Errorf("enable: %+v", en)
	}
	var res contract.TestResult
	run(&res, "integrations", "test", in.ID)
	if !res.Delivered || len(moved.Requests()) != 1 || len(recv.Requests()) != 0 {
		t.Errorf("test: %+v; new destination %d requests, old %d", res, len(moved.Requests()), len(recv.Requests()))
	}
	var del struct {
		ID      string
		Deleted bool
	}
	run(&del, "integrations", "delete", in.ID)
	if !del.Deleted || del.ID != in.ID {
		t.Errorf("delete: %+v", del)
	}
	if _, err := s.Store.GetIntegration(context.Background(), s.Team, in.ID); err == nil {
		t.Error("the deleted integration is still there")
	}
}
