package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/heraldhq/herald/test/testenv"
)

// chromium finds the Debian Chromium the tests drive (no browser download).
func chromium(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("HERALD_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p != "" {
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	t.Fatal("Chromium is not installed: apt-get install chromium (CI installs it)")
	return ""
}

// browser starts headless Chromium for one test.
func browser(t *testing.T, width, height int) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true), chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(width, height),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	// The first run starts the browser, and must not carry a deadline: it
	// would stop the browser with it.
	if _, err := chromedp.Run(ctx, chromedp.Title()); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	tctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancel(); cancelAlloc() })
	return tctx
}

// artifacts is where screenshots go (ignored by git).
func artifacts(t *testing.T) string {
	dir := filepath.Join("testdata", "artifacts", "console")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(artifacts(t), name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestConsoleInABrowser(t *testing.T) {
	s := testenv.NewStack(t)
	recv := testenv.NewReceiver(t, testenv.Reply{Status: 400, Body: "payload rejected: missing field sha"})
	integ := s.CreateIntegration(t, map[string]any{"name": "ci-pipeline", "type": "webhook", "url": recv.URL + "/hook", "events": []string{"build:*"}})
	s.CreateIntegration(t, map[string]any{"name": "quiet-one", "type": "webhook", "url": recv.URL + "/other", "events": []string{"billing:*"}})
	res := s.AwaitWorkflow(t, s.PostEvent(t, map[string]any{"id": "console-ev-1", "event": "build:failure", "data": map[string]any{"project": map[string]any{"id": "web"}}}))
	deliveryID := res.Deliveries[0].DeliveryID
	ctx := browser(t, 1280, 900)
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		v, err := textOf(ctx, sel)
		must("read "+sel, err)
		return v
	}

	// Signing in is required.
	must("open the console", chromedp.Do(ctx, chromedp.Navigate(s.URL+"/console"), chromedp.WaitVisible(css(`input[name=key]`))))
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil || !strings.HasSuffix(loc, "/console/login") {
		t.Fatalf("not sent to sign in: %v %s", err, loc)
	}
	shot(t, ctx, "01-login")
	row := `tr[data-integration="` + integ.ID + `"]`
	must("sign in", chromedp.Do(ctx,
		chromedp.SendKeys(css(`input[name=key]`), s.Key),
		chromedp.Submit(css(`input[name=key]`)),
		chromedp.WaitVisible(css(row))))
	if h := text(row + ` [data-health]`); !strings.HasPrefix(h, "failing") {
		t.Errorf("health badge %q", h)
	}
	shot(t, ctx, "02-integrations")

	// Find the failed delivery, open it, see the response body.
	must("filter failed deliveries", chromedp.Do(ctx,
		chromedp.Click(css(row+` a`)),
		chromedp.WaitVisible(css(`select[name=status]`)),
		chromedp.SetValue(css(`select[name=status]`), "failed"),
		chromedp.Submit(css(`select[name=status]`)),
		chromedp.WaitVisible(css(`tr[data-delivery="`+deliveryID+`"]`))))
	shot(t, ctx, "03-failed-deliveries")
	must("open the delivery", chromedp.Do(ctx,
		chromedp.Click(css(`tr[data-delivery="`+deliveryID+`"] a`)),
		chromedp.WaitVisible(css(`[data-attempt="1"] .response-body`))))
	if b := text(`[data-attempt="1"] .response-body`); b != "payload rejected: missing field sha" {
		t.Errorf("response body %q", b)
	}
	shot(t, ctx, "04-delivery")

	// Resend: a new, manual attempt appears.
	must("resend", chromedp.Do(ctx, chromedp.Click(css(`button[value=resend]`)), chromedp.WaitVisible(css(`.flash`))))
	testenv.Await(t, "manual attempt", func() bool { return len(s.Delivery(t, deliveryID).AttemptLog) == 2 })
	must("reload", chromedp.Do(ctx, chromedp.Reload(), chromedp.WaitVisible(css(`[data-attempt="2"][data-trigger="manual"]`))))
	if st := text(`[data-status]`); st != "delivered" {
		t.Errorf("status after resend %q", st)
	}
	shot(t, ctx, "05-resent")

	// Disable, then enable.
	must("disable", chromedp.Do(ctx,
		chromedp.Navigate(s.URL+"/console"),
		chromedp.WaitVisible(css(row+` button[value=disable]`)),
		chromedp.Click(css(row+` button[value=disable]`)),
		chromedp.WaitVisible(css(row+` button[value=enable]`))))
	if h := text(row + ` [data-health]`); !strings.HasPrefix(h, "disabled") {
		t.Errorf("after disable %q", h)
	}
	shot(t, ctx, "06-disabled")
	must("enable", chromedp.Do(ctx,
		chromedp.Click(css(row+` button[value=enable]`)),
		chromedp.WaitVisible(css(row+` button[value=disable]`))))
	if h := text(row + ` [data-health]`); h != "healthy" {
		t.Errorf("after enable %q", h)
	}

	// The audit log shows what was just done here, by the console's key.
	must("audit log", chromedp.Do(ctx,
		chromedp.Click(css(`header a[href="/console/audit"]`)),
		chromedp.WaitVisible(css(`table[data-audit]`))))
	for _, action := range []string{"integration.enable", "integration.disable", "delivery.resend", "integration.create"} {
		if v := text(`tr[data-action="` + action + `"] td`); v == "" {
			t.Errorf("no %s row", action)
		}
	}
	if v := text(`tr[data-action="integration.disable"]`); !strings.Contains(v, "via console") || !strings.Contains(v, "disabled in the console") {
		t.Errorf("the console's disable row: %q", v)
	}
	must("audit log of one object", chromedp.Do(ctx,
		chromedp.SetValue(css(`input[name=action]`), "delivery.resend"),
		chromedp.Submit(css(`input[name=action]`)),
		chromedp.WaitVisible(css(`tr[data-action="delivery.resend"]`))))
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("tr[data-audit-entry]").length`)); err != nil || n != 1 {
		t.Errorf("filtered to one action: %d rows (%v)", n, err)
	}
	shot(t, ctx, "07-audit")

	// A forged form (no CSRF token) is refused.
	status, err := chromedp.Run(ctx, chromedp.Evaluate[string](`fetch("/console/integrations/`+integ.ID+`/disable", {method: "POST"}).then(r => String(r.status))`, chromedp.EvalAwaitPromise))
	if err != nil || status != "403" {
		t.Errorf("form without CSRF token: %v %s", err, status)
	}
}

// At 375 px the console needs no sideways scrolling.
func TestConsoleOnAPhone(t *testing.T) {
	s := testenv.NewStack(t)
	recv := testenv.NewReceiver(t)
	s.CreateIntegration(t, map[string]any{"name": "a-rather-long-integration", "type": "webhook", "url": recv.URL + "/a/very/long/path/indeed", "events": []string{"build:*", "deployment:*", "job-run:*"}, "projects": []string{"project-with-a-long-name"}})
	s.AwaitWorkflow(t, s.PostEvent(t, map[string]any{"id": "phone-1", "event": "build:start"}))
	ctx := browser(t, 375, 812)
	err := chromedp.Do(ctx,
		chromedp.EmulateViewport(375, 812),
		chromedp.Navigate(s.URL+"/console/login"),
		chromedp.WaitVisible(css(`input[name=key]`)),
		chromedp.SendKeys(css(`input[name=key]`), s.Key),
		chromedp.Submit(css(`input[name=key]`)),
		chromedp.WaitVisible(css(`table`)))
	if err != nil {
		t.Fatal(err)
	}
	overflow, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`))
	if err != nil || overflow {
		t.Errorf("integrations at 375 px: %v, overflow %v", err, overflow)
	}
	shot(t, ctx, "07-phone-integrations")
	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/console/integrations/int_missing"), chromedp.WaitVisible(css(`.empty`))); err != nil {
		t.Fatal(err)
	}
	if empty, err := textOf(ctx, `.empty`); err != nil || !strings.Contains(empty, "404") {
		t.Errorf("error page: %v %q", err, empty)
	}
	shot(t, ctx, "08-phone-error")
}

func css(sel string) chromedp.CSS { return chromedp.CSS(sel) }

// signIn opens the console and signs in with the stack's key, until the
// signed-in page shows.
func signIn(s *testenv.Stack) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Navigate(s.URL+"/console"),
		chromedp.WaitVisible(css(`input[name=key]`)),
		chromedp.SendKeys(css(`input[name=key]`), s.Key),
		chromedp.Submit(css(`input[name=key]`)),
		chromedp.WaitVisible(css(`form.search input[name=q]`)),
	)
}

func textOf(ctx context.Context, sel string) (string, error) {
	return chromedp.Run(ctx, chromedp.Text(css(sel)))
}
