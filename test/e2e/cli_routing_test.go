package e2e

import (
	"strings"
	"testing"

	"github.com/heraldhq/herald/test/fakes"
	"github.com/heraldhq/herald/test/testenv"
)

// The CLI sets a filter and a transform, previews the request, replays
// the past (following it to the end; the bar is drawn on a terminal), and
// prints the numbers.
func TestCLIRoutesPreviewsReplaysAndCounts(t *testing.T) {
	s := testenv.NewStack(t)
	s.AwaitWorkflow(t, s.PostEvent(t, buildOn("main", "evt-cli-main")))
	s.AwaitWorkflow(t, s.PostEvent(t, buildOn("dev", "evt-cli-dev")))
	recv := testenv.NewReceiver(t)
	env := []string{"HERALD_URL=" + s.URL, "HERALD_API_KEY=" + s.Key}
	mustHerald(t, env, "integrations", "create", "--name", "cli-routed", "--destination", recv.URL, "--events", "build:*",
		"--filter", `data.build.branch == "main"`, "--transform", `{"text": data.build.branch + " failed"}`)
	got := mustHerald(t, env, "integrations", "get", "cli-routed")
	if !strings.Contains(got, `data.build.branch == "main"`) || !strings.Contains(got, `{"text": data.build.branch + " failed"}`) {
		t.Errorf("get shows no filter or transform:\n%s", got)
	}
	out := mustHerald(t, env, "integrations", "preview", "cli-routed", "--event", "build:failure", "--data", `{"build":{"branch":"dev"}}`)
	if !strings.Contains(out, "not matched: the filter is false for this event") || !strings.Contains(out, `{"text":"dev failed"}`) {
		t.Errorf("preview:\n%s", out)
	}
	out, errOut, err := runHerald(t, env, "replay", "cli-routed", "--since", "1h")
	if err != nil || !strings.Contains(out, "done: 2 of 2 past events gone through, 1 given a delivery") {
		t.Fatalf("replay: %v\n%s%s", err, out, errOut)
	}
	testenv.Await(t, "the replayed event recorded", func() bool {
		var n int
		return s.Store.DB().QueryRow(`SELECT count(*) FROM attempts WHERE trigger = 'replay'`).Scan(&n) == nil && n == 1
	})
	if body := string(recv.Requests()[0].Body); body != `{"text":"main failed"}` {
		t.Errorf("replayed %s", body)
	}
	// A chat integration's template, as README's example sets it.
	slack := fakes.NewSlack(t)
	mustHerald(t, env, "integrations", "create", "--type", "slack", "--name", "cli-chat", "--destination", slack.URL("ok"), "--events", "build:*",
		"--template-title", "{{.data.build.branch}} failed", "--template-text", "<!subteam^S0ONCALL> {{.data.build.branch}}")
	if got := mustHerald(t, env, "integrations", "get", "cli-chat"); !strings.Contains(got, "<!subteam^S0ONCALL> {{.data.build.branch}}") {
		t.Errorf("get shows no template:\n%s", got)
	}
	out = mustHerald(t, env, "integrations", "stats", "cli-routed")
	if !strings.Contains(out, "last 24h: 1 attempts (delivered 1), success rate 100.0 %") {
		t.Errorf("stats:\n%s", out)
	}
}
