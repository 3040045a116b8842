package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/test/testenv"
)

// The README's quickstart runs as written — pasted twice into the same
// shell — against a running Herald: only its addresses are this test's
// (the gateway's, the receiver's port, the binary's path). The first run
// makes a team, a key, two integrations and a delivered event; the second,
// with the first run's key still exported, makes a second team on the local
// database (saying so, and warning of the name), its key and integrations,
// and delivers its own copy of the event.
func TestREADMEQuickstartAsWritten(t *testing.T) {
	if _, err := exec.LookPath("jq"); err != nil {
		t.Fatal("the quickstart uses jq: install it (.ci/run does)")
	}
	s := testenv.NewStack(t)
	port := freePort(t)

	block := readmeBlock(t, "## Five-minute quickstart")
	for _, must := range []string{"http://127.0.0.1:8080", "bin/herald", "9000"} {
		if !strings.Contains(block, must) {
			t.Fatalf("the quickstart no longer mentions %s: update this test", must)
		}
	}
	block = strings.NewReplacer("http://127.0.0.1:8080", s.URL, "bin/herald", heraldBinary(t),
		`("127.0.0.1", 9000)`, `("127.0.0.1", `+port+`)`, "127.0.0.1:9000", "127.0.0.1:"+port).Replace(block)
	// Run it twice in one shell; stop at the first failing step; end the
	// receiver the first run left in the background.
	script := "set -eo pipefail\n" + block + "\nsleep 0.5\n" + block + "\nkill $(jobs -p) 2>/dev/null || true\n"
	// The CLI's default gateway is the quickstart's 127.0.0.1:8080: here, the test's.
	stdout, stderr := runREADMEScript(t, "the quickstart", script, "HERALD_URL="+s.URL, "HERALD_DATABASE_URL="+s.Config.DatabaseURL,
		"HERALD_SECRET_KEYS="+testenv.TestSecretKeys)
	ctx := t.Context()

	teams, err := s.Store.TeamsNamed(ctx, "acme")
	if err != nil || len(teams) != 2 {
		t.Fatalf("teams named acme: %v %v", teams, err)
	}
	for _, team := range teams {
		integs, err := s.Store.ListIntegrations(ctx, team, "", 10)
		if err != nil || len(integs) != 2 {
			t.Fatalf("team %s: %d integrations %v", team, len(integs), err)
		}
		var ds []store.Delivery
		testenv.Await(t, "the seed's build delivered to both integrations of "+team, func() bool {
			ds, err = s.Store.EventDeliveries(ctx, team, "build-social-hour-1312")
			return err == nil && len(ds) == 2 && ds[0].Status == herald.DeliveryDelivered && ds[1].Status == herald.DeliveryDelivered
		})
	}
	out, errOut := stdout, stderr
	for _, want := range []string{"done on the local database instead", `another team is named "acme" already`} {
		if !strings.Contains(errOut, want) {
			t.Errorf("the second run's stderr lacks %q:\n%s", want, errOut)
		}
	}
	// The receiver printed the seed's body as Herald sent it (compact), and
	// step 5 showed the delivery's request body: both runs, so 4 times. (The
	// 202s and the event ids name "build-social-hour-1312" spaced or not:
	// they cannot make this count.)
	if n := strings.Count(out, `{"id":"social-hour-1312"`); n < 4 {
		t.Errorf("the build's body appears %d times in the receiver's and the deliveries' output, want 4:\n%s", n, out)
	}
	if !strings.Contains(out, "attempt 1") && !strings.Contains(out, `"attemptNo": 1`) {
		t.Errorf("step 5 shows no attempt:\n%s", out)
	}
}

// readmeBlock is the first sh block after the README's heading.
func readmeBlock(t *testing.T, heading string) string {
	t.Helper()
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(readme), "\n"+heading+"\n")
	if !ok {
		t.Fatalf("the README has no %q", heading)
	}
	m := regexp.MustCompile("(?s)```sh\n(.*?)```").FindStringSubmatch(after)
	if m == nil {
		t.Fatalf("%q has no sh block", heading)
	}
	return m[1]
}

// The README's "Try failure handling in two minutes" runs as written against
// a running Herald, with the quickstart's key exported: only the receiver's
// port, its switch file and the binary's path are this test's. The receiver
// breaks, two events fail twice each, the integration is disabled (and says
// its notice reached no one); fixed, enabled with --resend, both events are
// delivered by a manual attempt.
func TestREADMEFailureHandlingAsWritten(t *testing.T) {
	s := testenv.NewStack(t)
	port := freePort(t)
	down := filepath.Join(t.TempDir(), "herald-down")

	block := readmeBlock(t, "## Try failure handling in two minutes")
	for _, must := range []string{"9001", "bin/herald", "/tmp/herald-down", "--wait-for disabled", "--resend"} {
		if !strings.Contains(block, must) {
			t.Fatalf("the recipe no longer mentions %s: update this test", must)
		}
	}
	block = strings.NewReplacer("bin/herald", heraldBinary(t), "/tmp/herald-down", down,
		`("127.0.0.1", 9001)`, `("127.0.0.1", `+port+`)`, "127.0.0.1:9001", "127.0.0.1:"+port).Replace(block)
	// The receiver stays up until both manual attempts are recorded (a busy
	// machine may take longer than the recipe's two seconds); the test then
	// asserts the states below.
	settle := heraldBinary(t) + ` deliveries list --integration flaky -o json | jq '[.data[] | select(.status == "delivered")] | length'`
	script := "set -eo pipefail\n" + block +
		"\nfor i in $(seq 600); do [ \"$(" + settle + ")\" = 2 ] && break; sleep 0.2; done\nkill $(jobs -p) 2>/dev/null || true\n"
	stdout, _ := runREADMEScript(t, "the recipe", script, "HERALD_URL="+s.URL, "HERALD_API_KEY="+s.Key)
	ctx := t.Context()
	out := stdout
	for _, want := range []string{"disabled", "the disable notice reached no integration", "flaky-1", "flaky-2"} {
		if !strings.Contains(out, want) {
			t.Errorf("the recipe's output lacks %q:\n%s", want, out)
		}
	}

	integs, err := s.Store.ListIntegrations(ctx, s.Team, "", 10)
	if err != nil || len(integs) != 1 || integs[0].Name != "flaky" {
		t.Fatalf("the team's integrations: %v %v", integs, err)
	}
	testenv.Await(t, "flaky enabled with no failures since", func() bool {
		i, err := s.Store.GetIntegration(ctx, s.Team, integs[0].ID)
		return err == nil && i.Enabled && i.ConsecutiveFailures == 0
	})
	for _, id := range []string{"flaky-1", "flaky-2"} {
		var ds []store.Delivery
		testenv.Await(t, id+" delivered by the resend", func() bool {
			ds, err = s.Store.EventDeliveries(ctx, s.Team, id)
			return err == nil && len(ds) == 1 && ds[0].Status == herald.DeliveryDelivered
		})
		atts, err := s.Store.Attempts(ctx, ds[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		last := atts[len(atts)-1]
		if len(atts) != 3 || last.Trigger != herald.TriggerManual || last.Outcome != herald.OutcomeDelivered {
			t.Errorf("%s: %d attempts, last %s %s; want 2 failed and a manual delivery", id, len(atts), last.Trigger, last.Outcome)
		}
	}
}

// runREADMEScript runs a script made of the README's blocks in bash, in a
// process group of its own with env (and PATH, and a HOME of its own), and
// fails the test if it fails. Whatever it left in the background is killed.
func runREADMEScript(t *testing.T, what, script string, env ...string) (stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", script)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	var o, e strings.Builder
	cmd.Stdout, cmd.Stderr = &o, &e
	// A receiver in the background holds the output open: once bash has
	// ended, stop reading after a moment.
	cmd.WaitDelay = 3 * time.Second
	err := cmd.Run()
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	if err != nil {
		t.Fatalf("%s failed: %v\nstdout:\n%s\nstderr:\n%s", what, err, o.String(), e.String())
	}
	return o.String(), e.String()
}
