package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/test/fakes"
	"github.com/heraldhq/herald/test/testenv"
)

// An operator's day in Chromium: find an event by the build id a person
// knows, see its three deliveries on three integrations, open the failed
// one, resend it and watch the new attempt arrive without reloading;
// create a Slack integration from the console against the fake Slack and
// see its confirmation; edit its events; and find, in the failures view, a
// delivery of another integration that is retrying. Nothing clips on a
// 375 px phone.
func TestOperatorsDayInABrowser(t *testing.T) {
	s := testenv.NewStack(t)
	ok := testenv.NewReceiver(t)
	broken := testenv.NewReceiver(t)
	broken.SetDefault(testenv.Reply{Status: http.StatusBadRequest, Body: `{"error":"unknown field sha"}`})
	flaky := testenv.NewReceiver(t)
	flaky.SetDefault(testenv.Reply{Status: http.StatusServiceUnavailable, Body: "down for maintenance"})
	slack := fakes.NewSlack(t)
	for _, name := range []string{"ci-primary", "ci-mirror"} {
		s.CreateIntegration(t, map[string]any{"name": name, "type": "webhook", "url": ok.URL + "/" + name, "events": []string{"build:*"}})
	}
	brokenHook := s.CreateIntegration(t, map[string]any{"name": "ci-legacy", "type": "webhook", "url": broken.URL, "events": []string{"build:*"}})
	jobs := s.CreateIntegration(t, map[string]any{"name": "job-alerts", "type": "webhook", "url": flaky.URL, "events": []string{"job-run:*"},
		"retry": map[string]any{"initialInterval": "1h"}})
	res := s.AwaitWorkflow(t, s.PostEvent(t, map[string]any{"id": "evt-build-1312", "event": "build:failure",
		"data": map[string]any{"build": map[string]any{"id": "social-hour-1312"}, "project": map[string]any{"id": "blog"}}}))
	var failedID string
	for _, d := range res.Deliveries {
		if d.IntegrationID == brokenHook.ID {
			failedID = d.DeliveryID
		}
	}
	s.PostEvent(t, map[string]any{"id": "evt-job-7", "event": "job-run:failure"})
	s.AwaitWorkflow(t, s.PostEvent(t, map[string]any{"id": "evt-odd-1", "event": "mystery-box:opened"}))
	testenv.Await(t, "the job's delivery retrying", func() bool {
		ds, err := s.Store.EventDeliveries(t.Context(), s.Team, "evt-job-7")
		return err == nil && len(ds) == 1 && ds[0].Status == "retrying"
	})

	ctx := browser(t, 1280, 900)
	must := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		v, err := textOf(ctx, sel)
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return v
	}
	must("sign in",
		signIn(s))
	if team := text(`[data-team]`); !strings.HasPrefix(team, "team-") {
		t.Errorf("the header names the team %q, not its name", team)
	}

	// Find the event by its build's id: one match opens its page.
	must("search by the build id",
		chromedp.SendKeys(css(`form.search input[name=q]`), "social-hour-1312"),
		chromedp.Submit(css(`form.search input[name=q]`)),
		chromedp.WaitVisible(css(`table[data-deliveries]`)))
	if id := text(`[data-event-id]`); id != "evt-build-1312" {
		t.Fatalf("the search opened %q", id)
	}
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("tr[data-delivery]").length`))
	if err != nil || rows != 3 {
		t.Fatalf("%d deliveries on the event page (%v), want 3", rows, err)
	}
	if st := text(`tr[data-delivery="` + failedID + `"] [data-status]`); st != "failed" {
		t.Fatalf("the legacy hook's delivery is %q", st)
	}
	shot(t, ctx, "day-01-event")

	// Open the failed one: the event type, the final attempt, pretty JSON.
	must("open the failed delivery",
		chromedp.Click(css(`tr[data-delivery="`+failedID+`"] a`)),
		chromedp.WaitVisible(css(`[data-attempt="1"][data-final]`)))
	if typ := text(`[data-event-type]`); typ != "build:failure" {
		t.Errorf("event type %q", typ)
	}
	if label := text(`[data-attempt="1"] [data-outcome]`); !strings.HasPrefix(label, "final") {
		t.Errorf("the last attempt of a failed delivery says %q", label)
	}
	if body := text(`[data-attempt="1"] .response-body`); !strings.Contains(body, "{\n  \"error\"") {
		t.Errorf("the JSON answer is not indented: %q", body)
	}
	// The receiver is fixed; resend, and the page shows attempt 2 by itself.
	broken.SetDefault(testenv.Reply{Status: http.StatusOK, Body: "ok"})
	must("resend and see it land without a reload",
		chromedp.Click(css(`button[value=resend]`)),
		chromedp.WaitVisible(css(`[data-attempt="2"][data-trigger="manual"]`)))
	if st := text(`[data-status]`); st != "delivered" {
		t.Errorf("after the resend the delivery is %q", st)
	}
	first, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("[data-attempt]").dataset.attempt`))
	if err != nil || first != "2" {
		t.Errorf("the newest attempt is not first: %q %v", first, err)
	}
	shot(t, ctx, "day-02-resent")
	// The event's page leads to both runs in the Web UI: the original and
	// the resend-only one the resend started after it had closed.
	must("the event's runs",
		chromedp.Navigate(s.URL+"/console/events/evt-build-1312"),
		chromedp.WaitVisible(css(`[data-run="original"]`)),
		chromedp.WaitVisible(css(`[data-run="resend"]`)))

	// Resend on a disabled integration offers to enable it first.
	var primaryDelivery string
	for _, d := range res.Deliveries {
		if d.IntegrationID != brokenHook.ID {
			primaryDelivery = d.DeliveryID
			if r := s.Do(t, "POST", "/v1/integrations/"+d.IntegrationID+"/disable", s.Key, map[string]any{"reason": "maintenance"}); r.Status != http.StatusOK {
				t.Fatalf("disable: %d %s", r.Status, r.Body)
			}
			break
		}
	}
	must("enable and resend",
		chromedp.Navigate(s.URL+"/console/deliveries/"+primaryDelivery),
		chromedp.WaitVisible(css(`[data-disabled]`)),
		chromedp.Click(css(`button[value=enable-resend]`)),
		chromedp.WaitVisible(css(`[data-attempt="2"][data-trigger="manual"]`)))

	// A Slack integration, made in the console, confirms itself.
	must("create a Slack integration",
		chromedp.Navigate(s.URL+"/console"),
		chromedp.Click(css(`a[data-new]`)),
		chromedp.WaitVisible(css(`select[name=type]`)),
		chromedp.SendKeys(css(`input[name=name]`), "team-slack"),
		chromedp.SetValue(css(`select[name=type]`), "slack"),
		chromedp.SendKeys(css(`input[name=url]`), slack.URL("ok")),
		chromedp.SetValue(css(`input[name=events]`), "build:*"),
		chromedp.Click(css(`button[value=save]`)),
		chromedp.WaitVisible(css(`[data-shown-once]`)))
	if c := text(`[data-confirmation]`); !strings.Contains(c, "delivered") || strings.Contains(c, "not delivered") {
		t.Errorf("the confirmation: %q", c)
	}
	shot(t, ctx, "day-03-slack-created")
	must("edit its events",
		chromedp.Click(css(`a[data-open]`)),
		chromedp.WaitVisible(css(`a[data-edit]`)),
		chromedp.Click(css(`a[data-edit]`)),
		chromedp.WaitVisible(css(`input[name=events]`)),
		chromedp.SetValue(css(`input[name=events]`), "build:*, deployment:*"),
		chromedp.Click(css(`button[value=save]`)),
		chromedp.WaitVisible(css(`[data-config] [data-events]`)))
	if ev := text(`[data-config] [data-events]`); ev != "build:*, deployment:*" {
		t.Errorf("events after the edit: %q", ev)
	}
	// A refused form comes back with what was typed and why.
	must("a refused edit",
		chromedp.Click(css(`a[data-edit]`)),
		chromedp.WaitVisible(css(`input[name=events]`)),
		chromedp.SetValue(css(`input[name=events]`), "Not A Type"),
		chromedp.Click(css(`button[value=save]`)),
		chromedp.WaitVisible(css(`[data-problem]`)))
	if p := text(`[data-problem]`); !strings.Contains(p, "events") {
		t.Errorf("the refusal says %q", p)
	}

	// The events list names the type of a category Herald does not know.
	must("events", chromedp.Navigate(s.URL+"/console/events"), chromedp.WaitVisible(css(`[data-unknown-types]`)))
	if u := text(`[data-unknown-types]`); !strings.Contains(u, "mystery-box:opened") || strings.Contains(u, "build:failure") {
		t.Errorf("unknown types listed: %q", u)
	}
	if o := text(`tr[data-event="evt-odd-1"] [data-outcome]`); o != "none" {
		t.Errorf("an event nobody subscribes to: outcome %q", o)
	}

	// The failures view has the other integration's retrying delivery.
	must("failures",
		chromedp.Navigate(s.URL+"/console/failures"),
		chromedp.WaitVisible(css(`table[data-failures]`)))
	if st := text(`tr[data-integration="` + jobs.ID + `"] [data-status]`); st != "retrying" {
		t.Errorf("the job hook's delivery in the failures view: %q", st)
	}
	must("failures of one integration",
		chromedp.Navigate(s.URL+"/console/failures?integration="+brokenHook.ID),
		chromedp.WaitVisible(css(`h1`)))
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("tr[data-delivery]").length`)); n != 0 {
		t.Errorf("the fixed hook still has %d failures listed", n)
	}
	shot(t, ctx, "day-04-failures")

	// On a phone, no page is wider than the screen.
	phone := browser(t, 375, 812)
	if err := chromedp.Do(phone, chromedp.EmulateViewport(375, 812), chromedp.Navigate(s.URL+"/console/login"), chromedp.WaitVisible(css(`input[name=key]`)),
		chromedp.SendKeys(css(`input[name=key]`), s.Key), chromedp.Submit(css(`input[name=key]`)), chromedp.WaitVisible(css(`[data-team]`))); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/console", "/console/events", "/console/events/evt-build-1312", "/console/deliveries/" + failedID,
		"/console/failures", "/console/integrations/" + brokenHook.ID, "/console/integrations/new", "/console/audit"} {
		if err := chromedp.Do(phone, chromedp.Navigate(s.URL+path), chromedp.WaitVisible(css(`h1`))); err != nil {
			t.Fatalf("%s on a phone: %v", path, err)
		}
		width, err := chromedp.Run(phone, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
		if err != nil || width > 375 {
			t.Errorf("%s on a phone is %d px wide (%v)", path, width, err)
			shot(t, phone, "day-overflow-"+strings.ReplaceAll(strings.Trim(path, "/"), "/", "-"))
		}
	}
	shot(t, phone, "day-05-phone-delivery")
}

// A delivery's page answers first: for each attempt what came back (status,
// body), and the request it answered folded away. Three attempts to Slack
// fit 1,600 px at 1,280 px wide (each attempt's pretty-printed Block Kit
// request made it 5,216 px), and the last one says what happened.
func TestDeliveryPageShowsTheAnswerFirst(t *testing.T) {
	s := testenv.NewStack(t)
	slack := fakes.NewSlack(t)
	createChat(t, s, "slack", "slack-down", slack.URL("rollup_error"), map[string]any{"events": []string{"build:*"},
		"retry": map[string]any{"maxAttempts": 3, "initialInterval": "1s", "maxInterval": "1s"}})
	res := s.AwaitWorkflow(t, s.PostEvent(t, map[string]any{"id": "three-tries", "event": "build:failure",
		"data": map[string]any{"build": map[string]any{"id": "b-77", "branch": "main"}, "project": map[string]any{"id": "shop", "name": "Shop"}}}))
	id := res.Deliveries[0].DeliveryID
	s.AwaitStatus(t, id, herald.DeliveryFailed)

	ctx := browser(t, 1280, 900)
	if err := chromedp.Do(ctx,
		signIn(s),
		chromedp.Navigate(s.URL+"/console/deliveries/"+id),
		chromedp.WaitVisible(css(`[data-attempt="3"]`))); err != nil {
		t.Fatal(err)
	}
	height, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollHeight`))
	if err != nil || height > 1600 {
		t.Errorf("the page is %d px tall (%v), want at most 1600", height, err)
	}
	above, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`[...document.querySelectorAll("[data-attempt]")].every(a =>
		a.querySelector("[data-answer]").getBoundingClientRect().top < a.querySelector("[data-request]").getBoundingClientRect().top &&
		!a.querySelector("[data-request]").open)`))
	if err != nil || !above {
		t.Errorf("an attempt shows its request before its answer, or open (%v)", err)
	}
	if label, err := textOf(ctx, `[data-attempt="3"] [data-outcome]`); err != nil || label != "final: failed, no attempts left" {
		t.Errorf("the last attempt's label %q (%v)", label, err)
	}
	if answer, err := textOf(ctx, `[data-attempt="3"] [data-answer]`); err != nil || !strings.Contains(answer, "HTTP 500") || !strings.Contains(answer, "rollup_error") {
		t.Errorf("the last attempt's answer %q (%v)", answer, err)
	}
}
