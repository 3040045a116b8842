package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/test/testenv"
)

// The three typos of a newcomer's first hour are accepted (they might be
// types still to come) with a warning naming the closest known pattern,
// through the API and the CLI; the team's own types count as known; a
// pattern that is not a pattern stays a 400 pointing at it.
func TestPatternTyposAreNamed(t *testing.T) {
	s := testenv.NewStack(t)
	recv := testenv.NewReceiver(t)
	typos := map[string]string{"biuld:*": `did you mean "build:*"`, "build:failed": `did you mean "build:failure"`, "deploy:*": `did you mean "deployment:*"`}

	var created api.IntegrationView
	r := s.Do(t, "POST", "/v1/integrations", s.Key, map[string]any{"name": "typos", "type": "webhook", "url": recv.URL,
		"events": []string{"biuld:*", "build:failed", "deploy:*", "job-run:failure"}})
	if r.Status != 201 {
		t.Fatalf("create with typos: %d %s", r.Status, r.Body)
	}
	r.JSON(t, &created)
	warnings := strings.Join(created.Warnings, "\n")
	for typo, want := range typos {
		if !strings.Contains(warnings, typo) || !strings.Contains(warnings, want) {
			t.Errorf("the API's warnings do not say %q of %s:\n%s", want, typo, warnings)
		}
	}
	if strings.Contains(warnings, "job-run:failure") {
		t.Errorf("a known type was warned of:\n%s", warnings)
	}

	r = s.Do(t, "POST", "/v1/event-types", s.Key, map[string]any{"name": "quota:exceeded", "schema": map[string]any{"type": "object"}})
	if r.Status != 201 {
		t.Fatalf("register quota:exceeded: %d %s", r.Status, r.Body)
	}
	env := []string{"HERALD_URL=" + s.URL, "HERALD_API_KEY=" + s.Key}
	for typo, want := range typos {
		name := "cli-" + strings.NewReplacer(":", "-", "*", "all").Replace(typo)
		_, errOut := mustHeraldSplit(t, env, "integrations", "create", "--name", name, "--destination", recv.URL, "--events", typo)
		if !strings.Contains(errOut, want) {
			t.Errorf("herald integrations create --events %s: stderr lacks %q:\n%s", typo, want, errOut)
		}
	}
	_, errOut := mustHeraldSplit(t, env, "integrations", "update", "typos", "--events", "quota:*,quota:exceded")
	if !strings.Contains(errOut, `"quota:exceded"`) || !strings.Contains(errOut, `did you mean "quota:exceeded"`) || strings.Contains(errOut, `"quota:*"`) {
		t.Errorf("update with the team's own type and a typo of it: stderr\n%s", errOut)
	}

	r = s.Do(t, "POST", "/v1/integrations", s.Key, map[string]any{"name": "syntax", "type": "webhook", "url": recv.URL, "events": []string{"build:*", "build::"}})
	var p api.Problem
	r.JSON(t, &p)
	if r.Status != 400 || len(p.Errors) != 1 || p.Errors[0].Pointer != "/events/1" {
		t.Errorf("a pattern with a syntax error: %d %s", r.Status, r.Body)
	}
}

// mustHeraldSplit runs the CLI, fails the test if it fails, and returns its
// standard output and error apart.
func mustHeraldSplit(t *testing.T, env []string, args ...string) (string, string) {
	t.Helper()
	out, errOut, err := runHerald(t, env, args...)
	if err != nil {
		t.Fatalf("herald %v: %v\n%s%s", args, err, out, errOut)
	}
	return out, errOut
}

// deployment:* takes the platform's long name for a deployment's status,
// and herald events send says how many integrations an event matched and
// whether it was a duplicate.
func TestDeploymentsAndWhatMatched(t *testing.T) {
	s := testenv.NewStack(t)
	recv := testenv.NewReceiver(t)
	s.CreateIntegration(t, map[string]any{"name": "deploys", "type": "webhook", "url": recv.URL, "events": []string{"deployment:*"}})
	env := []string{"HERALD_URL=" + s.URL, "HERALD_API_KEY=" + s.Key}

	out, errOut := mustHeraldSplit(t, env, "events", "send", "service:deployment:status-update", "--id", "deploy-1",
		"--data", `{"service":{"id":"web"},"project":{"id":"p"}}`)
	if !regexp.MustCompile(`(?m)^EVENT\s+MATCHED\s+DUPLICATE\s+WORKFLOW\n(?-m)deploy-1\s+1\s+no\s+event/`).MatchString(out) {
		t.Errorf("events send's table:\n%s%s", out, errOut)
	}
	testenv.Await(t, "the deployment status delivered to deployment:*", func() bool { return len(recv.Requests()) == 1 })

	out, errOut = mustHeraldSplit(t, env, "events", "send", "service:deployment:status-update", "--id", "deploy-1",
		"--data", `{"service":{"id":"web"},"project":{"id":"p"}}`)
	if !regexp.MustCompile(`deploy-1\s+1\s+yes\s+event/`).MatchString(out) || !strings.Contains(errOut, "received before") {
		t.Errorf("a repeated id: %s%s", out, errOut)
	}
	out, errOut = mustHeraldSplit(t, env, "events", "send", "build:start", "--id", "build-1", "--data", seedBuildData(t))
	if !regexp.MustCompile(`build-1\s+0\s+no\s+event/`).MatchString(out) || !strings.Contains(errOut, "no integration subscribes") {
		t.Errorf("an event no one subscribes to: %s%s", out, errOut)
	}
}

// A chat integration whose receiver refuses connections is created, and its
// failed confirmation is a failed request like any other: the integration
// is failing with the error, the attempt is in its log with its trigger,
// and the CLI says so prominently and exits 3.
func TestAFailedConfirmationIsAFailure(t *testing.T) {
	s := testenv.NewStack(t)
	closed := closedPort(t)

	r := s.Do(t, "POST", "/v1/integrations", s.Key, map[string]any{"name": "refused", "type": "slack", "url": closed + "/api", "events": []string{"build:*"}})
	var v api.IntegrationView
	r.JSON(t, &v)
	if r.Status != 201 || v.Confirmation == nil || v.Confirmation.Delivered {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	if v.Health.Status != herald.HealthFailing || v.Health.FailedRequests != 1 {
		t.Errorf("after a failed confirmation the integration is %s with %d failed requests", v.Health.Status, v.Health.FailedRequests)
	}
	d := s.Delivery(t, v.Confirmation.DeliveryID)
	if d.IntegrationID != v.ID || len(d.AttemptLog) != 1 || d.AttemptLog[0].Trigger != herald.TriggerConfirmation || d.AttemptLog[0].Error == "" {
		t.Errorf("the confirmation's delivery: %+v", d)
	}
	var page api.Page[api.DeliveryView]
	s.Do(t, "GET", "/v1/deliveries?integration="+v.ID, s.Key, nil).JSON(t, &page)
	if len(page.Data) != 1 || page.Data[0].ID != d.ID {
		t.Errorf("the integration's deliveries lack its confirmation: %+v", page.Data)
	}

	env := []string{"HERALD_URL=" + s.URL, "HERALD_API_KEY=" + s.Key}
	out, errOut, err := runHerald(t, env, "integrations", "create", "--name", "refused-cli", "--type", "slack", "--destination", closed+"/api", "--events", "build:*")
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 3 {
		t.Fatalf("create with a refused confirmation: %v, want exit status 3\n%s%s", err, out, errOut)
	}
	for _, want := range []string{"was NOT delivered", "was created and kept", "herald integrations test int_", "herald deliveries show dlv_"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if !strings.Contains(out, "failing") {
		t.Errorf("the created integration is not shown failing:\n%s", out)
	}
}

// closedPort is a loopback URL nothing listens on.
func closedPort(t *testing.T) string {
	return "http://127.0.0.1:" + freePort(t)
}

// freePort is a loopback port nothing listens on now (the system's pick).
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
}

// Body mistakes are named: a missing field says it is required, a known
// mistake says what was meant, and every 400 about the body points at the
// field or at the body (""); the CLI prints what the pointers add.
func TestBodyMistakesAreNamed(t *testing.T) {
	s := testenv.NewStack(t)
	for _, c := range []struct {
		path, body, pointer string
		says                []string
	}{
		{"/v1/events", `{"type":"build:failure","data":{}}`, "/type", []string{`"event" is required`, `the body has "type"`, `did you mean "event"?`}},
		{"/v1/events", `{"event":"build:failure","payload":{}}`, "/payload", []string{`unknown field "payload"`, `did you mean "data"?`}},
		{"/v1/events", `{"data":{}}`, "/event", []string{`"event" is required`}},
		{"/v1/events", `{"event":"build:failure","id":"has space"}`, "/id", []string{"must be 1 to 128 characters"}},
		{"/v1/events", `{"event":"build:failure"} {}`, "", []string{"after the first JSON value"}},
		{"/v1/events", ``, "", []string{"body is empty"}},
		{"/v1/events", `{"event":`, "", []string{"malformed JSON"}},
		{"/v1/integrations", `{"name":"x","type":"webhook","url":"http://127.0.0.1:1/","event":["build:*"]}`, "/event", []string{`did you mean "events"?`}},
		{"/v1/integrations", `{"name":"both-secrets","type":"webhook","url":"http://127.0.0.1:1/","events":["build:*"],"secret":"s3cr3t-s3cr3t-s3cr3t","generateSecret":true}`, "/generateSecret", []string{"not both"}},
	} {
		r := s.Do(t, "POST", c.path, s.Key, c.body)
		var p api.Problem
		if err := json.Unmarshal(r.Body, &p); err != nil || r.Status != 400 {
			t.Errorf("%s %s: %d %s", c.path, c.body, r.Status, r.Body)
			continue
		}
		if len(p.Errors) == 0 || p.Errors[0].Pointer != c.pointer {
			t.Errorf("%s %s: errors %+v, want the pointer %q", c.path, c.body, p.Errors, c.pointer)
		}
		for _, want := range c.says {
			if !strings.Contains(p.Detail, want) {
				t.Errorf("%s %s: %q does not say %q", c.path, c.body, p.Detail, want)
			}
		}
	}

	// The CLI: a flag's value refused by the gateway, and data that does not
	// match its type's schema, each with what the answer points at.
	env := []string{"HERALD_URL=" + s.URL, "HERALD_API_KEY=" + s.Key}
	_, errOut, err := runHerald(t, env, "events", "send", "build:start", "--id", "has space")
	if err == nil || !strings.Contains(errOut, "must be 1 to 128 characters") {
		t.Errorf("events send --id 'has space': %v %s", err, errOut)
	}
	mustHerald(t, env, "event-types", "validate", "on")
	_, errOut, err = runHerald(t, env, "events", "send", "build:start", "--id", "bad-build", "--data", `{"build":{"id":"b1","concluded":"no"}}`)
	if err == nil || !strings.Contains(errOut, "/data/build/concluded") {
		t.Errorf("events send with data that does not match: %v %s", err, errOut)
	}
}

// seedBuildData is the data of the seed's build:start example.
func seedBuildData(t *testing.T) string {
	t.Helper()
	var body struct{ Data json.RawMessage }
	if err := json.Unmarshal([]byte(seedBuildStart), &body); err != nil {
		t.Fatal(err)
	}
	return string(body.Data)
}

// consolePage is a console page's HTML, read with a session of the stack's
// key (made on the database, as a sign-in would).
func consolePage(t *testing.T, s *testenv.Stack, path string) string {
	t.Helper()
	key, err := s.Store.Authenticate(t.Context(), s.Key)
	if err != nil {
		t.Fatal(err)
	}
	session, err := s.Store.CreateSession(t.Context(), key, "test", time.Hour, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, s.URL+path, nil)
	req.AddCookie(&http.Cookie{Name: "herald_console", Value: session})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", path, resp.StatusCode, err)
	}
	return string(body)
}

// A disable whose notice reaches no integration says so — in the API, the
// integration's console page, the notice's event page and the CLI — and
// once the receiver is fixed and the integration enabled, resend --failed
// takes the delivery skipped while it was disabled as well as the failed one.
func TestANoticeToNoOneIsSaidAndResendTakesTheSkipped(t *testing.T) {
	s := testenv.NewStack(t)
	recv := testenv.NewReceiver(t)
	recv.SetDefault(testenv.Reply{Status: 500, Body: "broken"})
	integ := s.CreateIntegration(t, map[string]any{"name": "lonely", "type": "webhook", "url": recv.URL, "events": []string{"build:*"},
		"disableAfter": 1, "retry": map[string]any{"maxAttempts": 1}})
	env := []string{"HERALD_URL=" + s.URL, "HERALD_API_KEY=" + s.Key}
	const said = "the disable notice reached no integration: subscribe one to integration:* to hear of the next"

	failed := s.AwaitWorkflow(t, s.PostEvent(t, map[string]any{"id": "b-1", "event": "build:failure"})).Deliveries[0].DeliveryID
	var v api.IntegrationView
	testenv.Await(t, "lonely disabled", func() bool {
		s.Do(t, http.MethodGet, "/v1/integrations/"+integ.ID, s.Key, nil).JSON(t, &v)
		return v.Health.Status == herald.HealthDisabled
	})
	if v.Health.DisableNotice != said {
		t.Errorf("the API's disable notice %q, want %q", v.Health.DisableNotice, said)
	}
	if out := mustHerald(t, env, "integrations", "get", "lonely"); !strings.Contains(out, said) {
		t.Errorf("herald integrations get lacks the notice:\n%s", out)
	}
	if page := consolePage(t, s, "/console/integrations/"+integ.ID); !strings.Contains(page, said) {
		t.Errorf("the integration's console page lacks the notice")
	}
	var notices api.Page[api.EventView]
	testenv.Await(t, "the integration:disabled event recorded", func() bool {
		s.Do(t, http.MethodGet, "/v1/events?type=integration:disabled", s.Key, nil).JSON(t, &notices)
		return len(notices.Data) == 1
	})
	if page := consolePage(t, s, "/console/events/"+notices.Data[0].ID); !strings.Contains(page, "The disable notice reached no integration") {
		t.Errorf("the notice's event page does not say it reached no one")
	}

	skipped := s.AwaitWorkflow(t, s.PostEvent(t, map[string]any{"id": "b-2", "event": "build:failure"})).Deliveries[0]
	if skipped.Status != herald.DeliverySkipped {
		t.Fatalf("while disabled: %+v", skipped)
	}
	recv.SetDefault(testenv.Reply{Status: 200, Body: "fixed"})
	mustHerald(t, env, "integrations", "enable", "lonely")
	out := mustHerald(t, env, "resend", "--integration", "lonely", "--failed", "--since", "1h")
	for _, id := range []string{failed, skipped.DeliveryID} {
		testenv.Await(t, id+" delivered by the resend", func() bool { return s.Delivery(t, id).Status == herald.DeliveryDelivered })
	}
	if !strings.Contains(out, "2") {
		t.Errorf("the bulk resend's output does not count 2:\n%s", out)
	}
}

// A retry policy changed while a delivery waits applies from its next
// attempt on: the first attempt is held at the receiver while the budget
// drops from 10 attempts to 2, so the second attempt is the last.
func TestAPolicyChangeReachesTheWaitingDelivery(t *testing.T) {
	s := testenv.NewStack(t)
	arrived, release := make(chan struct{}, 1), make(chan struct{})
	var calls atomic.Int32
	held := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			arrived <- struct{}{}
			<-release
		}
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(held.Close)
	var once sync.Once
	releaseIt := func() { once.Do(func() { close(release) }) }
	t.Cleanup(releaseIt)
	integ := s.CreateIntegration(t, map[string]any{"name": "replanned", "type": "webhook", "url": held.URL, "events": []string{"build:*"},
		"retry": map[string]any{"maxAttempts": 10, "initialInterval": "1s", "maxInterval": "1s"}})

	s.PostEvent(t, map[string]any{"id": "r-1", "event": "build:failure"})
	select {
	case <-arrived:
	case <-time.After(2 * time.Minute):
		t.Fatal("the first attempt never reached the receiver")
	}
	out := mustHerald(t, []string{"HERALD_URL=" + s.URL, "HERALD_API_KEY=" + s.Key}, "integrations", "update", integ.ID, "--max-attempts", "2")
	if !strings.Contains(out, "2 attempts, first after 1s, at most 1s apart") {
		t.Errorf("the update did not keep the intervals it did not name:\n%s", out)
	}
	releaseIt()
	ds, err := s.Store.EventDeliveries(t.Context(), s.Team, "r-1")
	if err != nil || len(ds) != 1 {
		t.Fatalf("r-1's deliveries: %v %v", ds, err)
	}
	id := ds[0].ID
	s.AwaitStatus(t, id, herald.DeliveryFailed)
	if d := s.Delivery(t, id); len(d.AttemptLog) != 2 {
		t.Errorf("%d attempts after the budget dropped to 2 during the first", len(d.AttemptLog))
	}
}

// The small things of the first hour: create offers nothing to remove,
// deliveries show says when the next attempt is, and the audit table keeps
// its columns whatever the summaries hold.
func TestTheSmallThings(t *testing.T) {
	s := testenv.NewStack(t)
	env := []string{"HERALD_URL=" + s.URL, "HERALD_API_KEY=" + s.Key}
	create, update := mustHerald(t, env, "integrations", "create", "--help"), mustHerald(t, env, "integrations", "update", "--help")
	for _, flag := range []string{"--no-headers", "--no-client-cert", "--no-oauth"} {
		if strings.Contains(create, flag) || !strings.Contains(update, flag) {
			t.Errorf("%s: offered on create, or not on update", flag)
		}
	}

	recv := testenv.NewReceiver(t)
	recv.SetDefault(testenv.Reply{Status: 503, Body: "later"})
	integ := s.CreateIntegration(t, map[string]any{"name": "later", "type": "webhook", "url": recv.URL, "events": []string{"build:*"},
		"retry": map[string]any{"initialInterval": "1h"}})
	s.PostEvent(t, map[string]any{"id": "later-1", "event": "build:start"})
	att := s.AwaitAttempt(t, "later-1", 1)
	if out := mustHerald(t, env, "deliveries", "show", att.DeliveryID); !regexp.MustCompile(`next attempt in \d+[mh]`).MatchString(out) {
		t.Errorf("deliveries show:\n%s", out)
	}

	mustHerald(t, env, "integrations", "update", integ.ID, "--name", "later-still", "--events", "build:*,deployment:*,job-run:failure,backup:*,integration:*")
	mustHerald(t, env, "integrations", "update", integ.ID, "--rate", "2/1s", "--burst", "3", "--max-attempts", "4")
	out := mustHerald(t, env, "audit")
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) < 4 {
		t.Fatalf("audit:\n%s", out)
	}
	header := []rune(lines[0])
	for _, col := range []string{"ACTION", "OBJECT", "ACTOR", "VIA", "SUMMARY"} {
		at := len([]rune(lines[0][:strings.Index(lines[0], col)]))
		for _, l := range lines[1:] {
			if r := []rune(l); len(r) <= at || r[at-1] != ' ' || r[at] == ' ' && col != "VIA" {
				t.Errorf("column %s (at %d of %q) is not aligned in\n%s", col, at, string(header), l)
			}
		}
	}
}
