package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/internal/redact"
	"github.com/heraldhq/herald/test/fakes"
	"github.com/heraldhq/herald/test/testenv"
)

func createChat(t *testing.T, s *testenv.Stack, typ, name, url string, extra map[string]any) api.IntegrationView {
	t.Helper()
	body := map[string]any{"name": name, "type": typ, "url": url, "events": []string{"*"},
		"retry": map[string]any{"initialInterval": "1s", "maxInterval": "2s"}}
	for k, v := range extra {
		body[k] = v
	}
	return s.CreateIntegration(t, body)
}

func seedEvent(t *testing.T, s *testenv.Stack, id string) contract.EventResult {
	t.Helper()
	var body map[string]any
	if err := json.Unmarshal([]byte(seedBuildStart), &body); err != nil {
		t.Fatal(err)
	}
	body["id"] = id
	return s.AwaitWorkflow(t, s.PostEvent(t, body))
}

func TestSlackEndToEnd(t *testing.T) {
	s := testenv.NewStack(t)
	slack := fakes.NewSlack(t)

	ok := createChat(t, s, "slack", "slack-ok", slack.URL("ok"), nil)
	if ok.Confirmation == nil || !ok.Confirmation.Delivered {
		t.Fatalf("confirmation: %+v", ok.Confirmation)
	}
	res := seedEvent(t, s, "slack-1")
	if res.Status != contract.StatusDelivered {
		t.Fatalf("result %+v (rejected: %v)", res, slack.Rejected())
	}
	got := slack.Accepted()
	if len(got) != 2 || !strings.Contains(string(got[1]), "Build started · Website") || !strings.Contains(string(got[0]), "Herald is connected") {
		t.Errorf("accepted %s", got)
	}

	// 429 with Retry-After: 1 is retried after that second, not dropped.
	limited := createChat(t, s, "slack", "slack-limited", slack.URL("limited"), map[string]any{"enabled": false})
	if limited.Confirmation != nil {
		t.Errorf("a disabled integration got a confirmation")
	}
	if r := s.Do(t, http.MethodPost, "/v1/integrations/"+limited.ID+"/enable", s.Key, nil); r.Status != 200 {
		t.Fatal(r.Status)
	}
	s.Do(t, http.MethodPatch, "/v1/integrations/"+ok.ID, s.Key, map[string]any{"events": []string{"nothing:ever"}})
	res = seedEvent(t, s, "slack-2")
	d := s.Delivery(t, res.Deliveries[0].DeliveryID)
	if d.Status != herald.DeliveryDelivered || len(d.AttemptLog) != 2 || d.AttemptLog[0].RetryAfterMS == nil || *d.AttemptLog[0].RetryAfterMS != 1000 {
		t.Fatalf("rate-limited delivery %+v", d)
	}
	if gap := d.AttemptLog[1].StartedAt.Sub(d.AttemptLog[0].StartedAt); gap < 900*time.Millisecond {
		t.Errorf("retried after %s, before Slack's Retry-After", gap)
	}

	// channel_not_found: gone, the integration is disabled at once.
	gone := createChat(t, s, "slack", "slack-gone", slack.URL("channel_not_found"), nil)
	if gone.Confirmation == nil || gone.Confirmation.Delivered || gone.Confirmation.Outcome != herald.OutcomeGone {
		t.Errorf("confirmation to a missing channel: %+v", gone.Confirmation)
	}
	s.Do(t, http.MethodPatch, "/v1/integrations/"+limited.ID, s.Key, map[string]any{"events": []string{"nothing:ever"}})
	res = seedEvent(t, s, "slack-3")
	d = s.Delivery(t, res.Deliveries[0].DeliveryID)
	if d.Status != herald.DeliveryFailed || d.Attempts != 1 || !strings.Contains(d.Reason, "channel_not_found") {
		t.Errorf("gone delivery %+v", d)
	}
	testenv.Await(t, "slack-gone disabled", func() bool {
		return (&integrationChecks{Stack: s, id: gone.ID}).get(t).Health.Status == herald.HealthDisabled
	})
	if len(slack.Rejected()) != 0 {
		t.Errorf("fake Slack rejected %v", slack.Rejected())
	}
}

func TestDiscordEndToEnd(t *testing.T) {
	s := testenv.NewStack(t)
	discord := fakes.NewDiscord(t)
	ok := createChat(t, s, "discord", "discord-ok", discord.URL("ok"), nil)
	if ok.Confirmation == nil || !ok.Confirmation.Delivered {
		t.Fatalf("confirmation: %+v", ok.Confirmation)
	}
	res := seedEvent(t, s, "discord-1")
	d := s.Delivery(t, res.Deliveries[0].DeliveryID)
	// 200 with the message (not 204) shows ?wait=true was sent.
	if d.Status != herald.DeliveryDelivered || d.AttemptLog[0].Response.Status != 200 {
		t.Fatalf("delivery %+v", d)
	}
	// The attempt keeps the URL masked (the webhook URL is the credential),
	// its query included.
	if atts, err := s.Store.Attempts(context.Background(), d.ID); err != nil || !strings.HasSuffix(atts[0].RequestURL, "?"+redact.Mask) ||
		strings.Contains(atts[0].RequestURL, "1234567890") {
		t.Errorf("request URL %q: want it masked with a query (%v)", atts[0].RequestURL, err)
	}
	var msg struct {
		Embeds []struct {
			Title string
			Color int
		}
		AllowedMentions struct{ Parse []string } `json:"allowed_mentions"`
	}
	acc := discord.Accepted()
	if err := json.Unmarshal(acc[len(acc)-1], &msg); err != nil || msg.Embeds[0].Title != "Build started · Website" || msg.AllowedMentions.Parse == nil {
		t.Errorf("message %s", acc[len(acc)-1])
	}

	s.Do(t, http.MethodPatch, "/v1/integrations/"+ok.ID, s.Key, map[string]any{"events": []string{"nothing:ever"}})
	limited := createChat(t, s, "discord", "discord-limited", discord.URL("limited"), map[string]any{"enabled": false})
	s.Do(t, http.MethodPost, "/v1/integrations/"+limited.ID+"/enable", s.Key, nil)
	res = seedEvent(t, s, "discord-2")
	d = s.Delivery(t, res.Deliveries[0].DeliveryID)
	if d.Status != herald.DeliveryDelivered || len(d.AttemptLog) != 2 || d.AttemptLog[0].RetryAfterMS == nil || *d.AttemptLog[0].RetryAfterMS != 1500 {
		t.Fatalf("rate-limited delivery %+v", d)
	}

	// A deleted webhook (404, code 10015) is not tried again: disabled at once.
	s.Do(t, http.MethodPatch, "/v1/integrations/"+limited.ID, s.Key, map[string]any{"events": []string{"nothing:ever"}})
	deleted := createChat(t, s, "discord", "discord-deleted", discord.URL("deleted"), map[string]any{"enabled": false})
	s.Do(t, http.MethodPost, "/v1/integrations/"+deleted.ID+"/enable", s.Key, nil)
	res = seedEvent(t, s, "discord-3")
	d = s.Delivery(t, res.Deliveries[0].DeliveryID)
	if d.Status != herald.DeliveryFailed || d.Attempts != 1 || !strings.Contains(d.Reason, "10015") {
		t.Errorf("deleted webhook delivery %+v", d)
	}
	testenv.Await(t, "discord-deleted disabled", func() bool {
		return (&integrationChecks{Stack: s, id: deleted.ID}).get(t).Health.Status == herald.HealthDisabled
	})
	if len(discord.Rejected()) != 0 {
		t.Errorf("fake Discord rejected %v", discord.Rejected())
	}
}

func TestTeamsEndToEnd(t *testing.T) {
	s := testenv.NewStack(t)
	teams := fakes.NewTeams(t)
	wf := createChat(t, s, "teams", "teams-workflows", teams.WorkflowsURL("ok"), nil)
	legacy := createChat(t, s, "teams", "teams-connector", teams.ConnectorURL("ok"), nil)
	if !wf.Confirmation.Delivered || !legacy.Confirmation.Delivered {
		t.Fatalf("confirmations %+v %+v (rejected %v)", wf.Confirmation, legacy.Confirmation, teams.Rejected())
	}
	res := seedEvent(t, s, "teams-1")
	if res.Status != contract.StatusDelivered {
		t.Fatalf("result %+v", res)
	}
	byIntegration := map[string]api.DeliveryView{}
	for _, o := range res.Deliveries {
		byIntegration[o.IntegrationID] = s.Delivery(t, o.DeliveryID)
	}
	if a := byIntegration[wf.ID].AttemptLog[0]; a.Response.Status != 202 || !strings.Contains(a.Request.Body, "AdaptiveCard") {
		t.Errorf("workflows attempt %+v", a)
	}
	if a := byIntegration[legacy.ID].AttemptLog[0]; a.Response.Status != 200 || a.Response.Body != "1" || !strings.Contains(a.Request.Body, "MessageCard") {
		t.Errorf("connector attempt %+v", a)
	}
	// The format can be forced per integration.
	forced := createChat(t, s, "teams", "teams-forced", teams.ConnectorURL("ok"), map[string]any{"format": "adaptive-card"})
	if forced.Format != "adaptive-card" || !forced.Confirmation.Delivered {
		t.Errorf("forced format %+v", forced)
	}
	if acc := teams.Accepted(); !strings.Contains(string(acc[len(acc)-1]), "AdaptiveCard") {
		t.Errorf("forced format sent %s", acc[len(acc)-1])
	}

	// A legacy connector's "200 with a 429 inside" is throttling: waited out, not a failure.
	for _, id := range []string{wf.ID, legacy.ID, forced.ID} {
		s.Do(t, http.MethodPatch, "/v1/integrations/"+id, s.Key, map[string]any{"events": []string{"nothing:ever"}})
	}
	throttled := createChat(t, s, "teams", "teams-throttled", teams.ConnectorURL("throttled"), map[string]any{"enabled": false})
	s.Do(t, http.MethodPost, "/v1/integrations/"+throttled.ID+"/enable", s.Key, nil)
	res = seedEvent(t, s, "teams-2")
	d := s.Delivery(t, res.Deliveries[0].DeliveryID)
	if d.Status != herald.DeliveryDelivered || len(d.AttemptLog) != 2 || d.AttemptLog[0].Outcome != herald.OutcomeThrottled {
		t.Errorf("throttled delivery %+v", d)
	}
	if len(teams.Rejected()) != 0 {
		t.Errorf("fake Teams rejected %v", teams.Rejected())
	}
}

func TestIntegrationTestNotification(t *testing.T) {
	s := testenv.NewStack(t)
	slack := fakes.NewSlack(t)
	recv := testenv.NewReceiver(t)
	okSlack := createChat(t, s, "slack", "slack-test", slack.URL("ok"), nil)
	hook := s.CreateIntegration(t, map[string]any{"name": "hook-test", "type": "webhook", "url": recv.URL, "events": []string{"*"}})
	for _, id := range []string{okSlack.ID, hook.ID} {
		r := s.Do(t, http.MethodPost, "/v1/integrations/"+id+"/test", s.Key, nil)
		var res contract.TestResult
		r.JSON(t, &res)
		if r.Status != 200 || !res.Delivered {
			t.Errorf("test %s: %d %s", id, r.Status, r.Body)
		}
	}
	if n := len(recv.Requests()); n != 1 || recv.Requests()[0].Header.Get("X-Northflank-Notification-Integration-Event-Type") != "integration:test" {
		t.Errorf("webhook test request: %d", n)
	}
	archived := createChat(t, s, "slack", "slack-archived", slack.URL("channel_is_archived"), nil)
	out, errOut, err := runHerald(t, []string{"HERALD_URL=" + s.URL, "HERALD_API_KEY=" + s.Key}, "integrations", "test", archived.ID)
	if err == nil || !strings.Contains(out, "channel_is_archived") {
		t.Errorf("herald integrations test on an archived channel: %v %q %q", err, out, errOut)
	}
}

// Slack's words for a webhook that is gone disable the integration at once,
// with no retry; a 200 that does not say ok is not counted as delivered.
func TestSlackAnswersAreReadByTheirWord(t *testing.T) {
	s := testenv.NewStack(t, fastRetry)
	slack := fakes.NewSlack(t)
	for _, word := range []string{"invalid_token", "team_disabled", "no_team"} {
		in := createChat(t, s, "slack", "slack-"+strings.ReplaceAll(word, "_", "-"), slack.URL(word), nil)
		if in.Confirmation == nil || in.Confirmation.Outcome != herald.OutcomeGone {
			t.Errorf("%s: confirmation %+v, want gone", word, in.Confirmation)
		}
		// One attempt at most (none when the disable came first), never a retry.
		res := seedEvent(t, s, "gone-"+word)
		for _, o := range res.Deliveries {
			if o.IntegrationID != in.ID {
				continue
			}
			d := s.Delivery(t, o.DeliveryID)
			failedOnce := d.Status == herald.DeliveryFailed && d.Attempts == 1 && strings.Contains(d.Reason, word)
			if !failedOnce && !(d.Status == herald.DeliverySkipped && d.Attempts == 0) {
				t.Errorf("%s: delivery %+v, want failed after one attempt (or skipped, disabled already)", word, d)
			}
		}
		testenv.Await(t, word+" disabled", func() bool {
			return (&integrationChecks{Stack: s, id: in.ID}).get(t).Health.Status == herald.HealthDisabled
		})
		s.Do(t, http.MethodDelete, "/v1/integrations/"+in.ID, s.Key, nil)
	}
	notOK := createChat(t, s, "slack", "slack-not-ok", slack.URL("not_ok"), nil)
	res := seedEvent(t, s, "not-ok-1")
	for _, o := range res.Deliveries {
		if o.IntegrationID != notOK.ID {
			continue
		}
		if d := s.Delivery(t, o.DeliveryID); d.Status == herald.DeliveryDelivered || !strings.Contains(d.Reason, "not ok") {
			t.Errorf("a 200 that is not ok: %+v", d)
		}
	}
}
