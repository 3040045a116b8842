package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/test/testenv"
)

// An integration's numbers agree with its attempts table, for a scripted
// mix of answers, from the open hours and from the roll-up of finished ones
// alike; the console draws them in Chromium, readable at 375 px.
func TestStatsAgreeWithTheAttempts(t *testing.T) {
	s := testenv.NewStack(t)
	recv := testenv.NewReceiver(t,
		testenv.Reply{Status: 200}, testenv.Reply{Status: 503}, testenv.Reply{Status: 200},
		testenv.Reply{Status: 400}, testenv.Reply{Status: 500}, testenv.Reply{Status: 200})
	integ := s.CreateIntegration(t, map[string]any{"name": "counted", "type": "webhook", "url": recv.URL, "events": []string{"build:*"},
		"retry": map[string]any{"maxAttempts": 1}, "disableAfter": 100})
	for i := range 6 {
		s.AwaitWorkflow(t, s.PostEvent(t, map[string]any{"id": fmt.Sprintf("n-%d", i), "event": "build:start", "data": map[string]any{}}))
	}
	s.AwaitSettled(t, integ.ID, 6)
	// Half the attempts move three hours back: a finished hour, rolled up
	// the first time it is asked for.
	if _, err := s.Store.DB().Exec(`UPDATE attempts SET started_at = started_at - interval '3 hours'
		WHERE integration_id = $1 AND delivery_id IN (SELECT id FROM deliveries WHERE event_id IN ('n-0', 'n-1', 'n-2'))`, integ.ID); err != nil {
		t.Fatal(err)
	}
	want := map[herald.Outcome]int64{}
	rows, err := s.Store.DB().Query(`SELECT outcome, count(*) FROM attempts WHERE integration_id = $1 GROUP BY outcome`, integ.ID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var o herald.Outcome
		var n int64
		if err := rows.Scan(&o, &n); err != nil {
			t.Fatal(err)
		}
		want[o] = n
	}
	rows.Close()
	if want[herald.OutcomeDelivered] != 3 || len(want) < 3 {
		t.Fatalf("the script made %v", want)
	}
	for round := range 2 { // the second reads the roll-up the first made
		var st api.IntegrationStats
		r := s.Do(t, http.MethodGet, "/v1/integrations/"+integ.ID+"/stats?window=24h", s.Key, nil)
		r.JSON(t, &st)
		if r.Status != http.StatusOK || st.Attempts != 6 || fmt.Sprint(st.Outcomes) != fmt.Sprint(want) {
			t.Fatalf("round %d: %d %s; want 6 attempts, %v", round, r.Status, r.Body, want)
		}
		var series, delivered int64
		for _, b := range st.Series {
			series, delivered = series+b.Attempts, delivered+b.Delivered
		}
		if len(st.Series) < 24 || series != 6 || delivered != 3 || st.SuccessRate == nil || *st.SuccessRate != 0.5 || st.LatencyMs.P50 == nil {
			t.Fatalf("round %d: series of %d buckets with %d attempts, %d delivered; rate %v", round, len(st.Series), series, delivered, st.SuccessRate)
		}
	}
	var rolled int
	if err := s.Store.DB().QueryRow(`SELECT count(*) FROM attempt_hour_stats WHERE integration_id = $1 AND outcome <> ''`, integ.ID).Scan(&rolled); err != nil || rolled == 0 {
		t.Errorf("no roll-up rows (%v)", err)
	}
	if r := s.Do(t, http.MethodGet, "/v1/integrations/"+integ.ID+"/stats?window=1y", s.Key, nil); r.Status != http.StatusBadRequest {
		t.Errorf("window 1y: %d", r.Status)
	}

	ctx := browser(t, 375, 800)
	if err := chromedp.Do(ctx,
		signIn(s),
		chromedp.Navigate(s.URL+"/console/integrations/"+integ.ID+"?window=7d"),
		chromedp.WaitVisible(css(`[data-stats] svg`))); err != nil {
		t.Fatal(err)
	}
	summary, err := textOf(ctx, `[data-stats-summary]`)
	if err != nil || !strings.Contains(summary, "6 attempts, 50.0 % delivered") {
		t.Errorf("summary %q (%v)", summary, err)
	}
	fits, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
		const svg = document.querySelector("[data-stats] svg").getBoundingClientRect();
		const bars = [...document.querySelectorAll("[data-stats] rect")].filter(r => r.getBoundingClientRect().height > 0);
		return svg.width > 250 && svg.right <= window.innerWidth && document.documentElement.scrollWidth <= window.innerWidth && bars.length >= 2;
	})()`))
	if err != nil || !fits {
		t.Errorf("at 375 px the chart does not fit or shows no bars (%v)", err)
	}
}

// The console's create form previews its settings on the team's newest
// event they subscribe to, sends nothing, and creates with the filter,
// transform and a replay of the last hour.
func TestConsolePreviewsAndReplays(t *testing.T) {
	s := testenv.NewStack(t)
	s.AwaitWorkflow(t, s.PostEvent(t, buildOn("main", "evt-console")))
	recv := testenv.NewReceiver(t)
	ctx := browser(t, 1280, 900)
	if err := chromedp.Do(ctx,
		signIn(s),
		chromedp.Navigate(s.URL+"/console/integrations/new"),
		chromedp.WaitVisible(css(`input[name=name]`)),
		chromedp.SendKeys(css(`input[name=name]`), "shaped"),
		chromedp.SendKeys(css(`input[name=url]`), recv.URL),
		chromedp.SetValue(css(`input[name=events]`), "build:*"),
		chromedp.SendKeys(css(`textarea[name=filter]`), `data.build.branch == "main"`),
		chromedp.SendKeys(css(`textarea[name=transform]`), `{"text": data.build.branch + " failed"}`),
		chromedp.Click(css(`button[value=preview]`)),
		chromedp.WaitVisible(css(`[data-preview-body]`))); err != nil {
		t.Fatal(err)
	}
	if body, err := textOf(ctx, `[data-preview-body]`); err != nil || body != `{"text":"main failed"}` {
		t.Errorf("preview body %q (%v)", body, err)
	}
	if matched, err := textOf(ctx, `[data-matched]`); err != nil || !strings.Contains(matched, "reaches it") {
		t.Errorf("preview says %q (%v)", matched, err)
	}
	if n := len(recv.Requests()); n != 0 {
		t.Errorf("the preview sent %d requests", n)
	}
	if err := chromedp.Do(ctx, chromedp.Click(css(`button[value=save]`)), chromedp.WaitVisible(css(`body`))); err != nil {
		t.Fatal(err)
	}
	var id string
	testenv.Await(t, "the integration made", func() bool {
		return s.Store.DB().QueryRow(`SELECT id FROM integrations WHERE name = 'shaped' AND filter <> '' AND transform <> ''`).Scan(&id) == nil
	})
	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/console/integrations/"+id), chromedp.WaitVisible(css(`[data-replay]`)),
		chromedp.Click(css(`[data-replay]`)), chromedp.WaitVisible(css(`[role=status], .flash`))); err != nil {
		t.Fatal(err)
	}
	testenv.Await(t, "the replayed event delivered", func() bool { return len(recv.Requests()) == 1 })
	if got := string(recv.Requests()[0].Body); got != `{"text":"main failed"}` {
		t.Errorf("the replay delivered %s", got)
	}
	// An event the filter turns away: its page says which integration and why.
	s.AwaitWorkflow(t, s.PostEvent(t, buildOn("dev", "evt-console-dev")))
	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/console/events/evt-console-dev"), chromedp.WaitVisible(css(`[data-filtered]`))); err != nil {
		t.Fatal(err)
	}
	if why, err := textOf(ctx, `[data-filtered]`); err != nil || !strings.Contains(why, "shaped: the filter is false for this event") {
		t.Errorf("the event's page says %q (%v)", why, err)
	}
}
