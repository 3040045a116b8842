package client_test

import (
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/heraldhq/herald/client"
	"github.com/heraldhq/herald/test/testenv"
)

// The package's example, run against a real gateway, worker, Postgres and
// Temporal dev server: its event is delivered to a webhook receiver, and its
// resend arrives as a second attempt.
func TestTheExampleAgainstAGateway(t *testing.T) {
	s := testenv.NewStack(t)
	recv := testenv.NewReceiver(t)
	s.CreateIntegration(t, map[string]any{"name": "builds", "type": "webhook", "url": recv.URL, "events": []string{"build:*"}})
	t.Setenv("HERALD_URL", s.URL)
	t.Setenv("HERALD_API_KEY", s.Key)
	out := stdoutOf(t, ExampleNew)
	want := "accepted build-42-failure, matched 1\ndelivery: delivered\nresend requested: true\n"
	if out != want {
		t.Fatalf("the example printed\n%s\nwant\n%s", out, want)
	}
	s.AwaitAttempt(t, "build-42-failure", 2) // the resend, recorded
}

// A refusal decodes as a *Problem that says why and where.
func TestARefusalIsAProblem(t *testing.T) {
	s := testenv.NewStack(t)
	c, err := client.New(s.URL, s.Key)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.PostEventWithResponse(context.Background(), nil, client.EventRequest{Event: client.Ptr("not a type")})
	if err != nil {
		t.Fatal(err)
	}
	p := res.ApplicationproblemJSON400
	if p == nil || p.Errors == nil || (*p.Errors)[0].Pointer != "/event" || !strings.Contains(p.Error(), "HTTP 400") {
		t.Fatalf("HTTP %d %s: %+v", res.StatusCode(), res.Body, p)
	}
	// The key goes with every request, and the client names itself: what
	// reached the wire, seen by the HTTP client under it.
	var seen []http.Header
	rec := client.WithHTTPClient(doerFunc(func(r *http.Request) (*http.Response, error) {
		seen = append(seen, r.Header.Clone())
		return http.DefaultClient.Do(r)
	}))
	c, err = client.New(s.URL, s.Key, rec)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListEventsWithResponse(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 1 || seen[0].Get("Authorization") != "Bearer "+s.Key || seen[0].Get("User-Agent") != client.UserAgent {
		t.Errorf("headers sent: %v", seen)
	}
}

type doerFunc func(*http.Request) (*http.Response, error)

func (f doerFunc) Do(r *http.Request) (*http.Response, error) { return f(r) }

// stdoutOf runs f and returns what it printed.
func stdoutOf(t *testing.T, f func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdout
	os.Stdout = w
	done := make(chan string)
	go func() {
		b, _ := io.ReadAll(r)
		done <- string(b)
	}()
	defer func() { os.Stdout = old }()
	f()
	w.Close()
	return <-done
}

// The TypeScript client (client/typescript), generated with npm tooling from
// the document this gateway serves, built, and run by Node against it: it
// posts an event, reads a refusal, lists the delivery and resends it.
func TestTheTypeScriptClientAgainstAGateway(t *testing.T) {
	s := testenv.NewStack(t)
	recv := testenv.NewReceiver(t)
	s.CreateIntegration(t, map[string]any{"name": "deploys", "type": "webhook", "url": recv.URL, "events": []string{"deployment:*"}})
	dir, err := filepath.Abs("typescript")
	if err != nil {
		t.Fatal(err)
	}
	run := func(env []string, name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir, cmd.Env = dir, append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	run(nil, "npm", "ci", "--no-audit", "--no-fund")
	run([]string{"HERALD_OPENAPI=" + s.URL + "/v1/openapi.json"}, "npm", "run", "build")
	cmd := exec.Command("node", "dist/check.js")
	cmd.Dir, cmd.Env = dir, append(os.Environ(), "HERALD_URL="+s.URL, "HERALD_API_KEY="+s.Key)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node dist/check.js: %v\n%s", err, out)
	}
	want := []string{
		`{"step":"posted","id":"deploy-7","matched":1}`,
		`{"step":"refused","status":400,"pointer":"/event"}`,
		`{"step":"listed","status":"delivered"}`,
		`{"step":"resent","same":true}`,
	}
	if got := strings.Split(strings.TrimSpace(string(out)), "\n"); !slices.Equal(got, want) {
		t.Fatalf("the TypeScript client printed\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	s.AwaitAttempt(t, "deploy-7", 2) // the resend, recorded
}

func TestMain(m *testing.M) {
	code := m.Run()
	testenv.StopDevServer()
	os.Exit(code)
}
