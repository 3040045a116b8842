package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/test/fakes"
	"github.com/heraldhq/herald/test/testenv"
)

// A destination is a credential: only the response that set it shows it
// whole; every read afterwards shows it masked.
func TestIntegrationURLIsMaskedWhenReadBack(t *testing.T) {
	s := testenv.NewStack(t)
	token := "T0AAAA/B0BBBB/xoxbSECRETtoken123"
	secretURL := "https://hooks.slack.com/services/" + token
	created := s.CreateIntegration(t, map[string]any{"name": "masked", "type": "slack", "url": secretURL, "events": []string{"none:ever"}})
	if created.URL != secretURL {
		t.Errorf("the create response shows %q, want the URL whole", created.URL)
	}
	reads := map[string]string{
		"get":  "/v1/integrations/" + created.ID,
		"list": "/v1/integrations",
	}
	for name, path := range reads {
		r := s.Do(t, http.MethodGet, path, s.Key, nil)
		if r.Status != 200 || strings.Contains(string(r.Body), "SECRETtoken") || !strings.Contains(string(r.Body), "hooks.slack.com/services/") {
			t.Errorf("%s: %d %s", name, r.Status, r.Body)
		}
	}
}

// PATCH of the destination and of the secret: stored, shown once, and used
// by the next attempt.
func TestPatchDestinationAndSecret(t *testing.T) {
	s := testenv.NewStack(t)
	old := testenv.NewReceiver(t)
	moved := testenv.NewReceiver(t)
	in := s.CreateIntegration(t, map[string]any{"name": "patched", "type": "webhook", "url": old.URL + "/a", "events": []string{"build:*"}, "generateSecret": true})

	r := s.Do(t, http.MethodPatch, "/v1/integrations/"+in.ID, s.Key, map[string]any{"url": moved.URL + "/b"})
	var v api.IntegrationView
	r.JSON(t, &v)
	if r.Status != 200 || v.URL != moved.URL+"/b" || v.Secret != "" {
		t.Fatalf("patch url: %d %s", r.Status, r.Body)
	}
	newSecret := "whsec_" + "c2VjcmV0LWZvci10aGUtcGF0Y2gtdGVzdC0zMmJ5dGVz"
	if r := s.Do(t, http.MethodPatch, "/v1/integrations/"+in.ID, s.Key, map[string]any{"secret": newSecret}); r.Status != 200 || strings.Contains(string(r.Body), newSecret) {
		t.Fatalf("patch secret: %d %s", r.Status, r.Body)
	}
	if got := s.Do(t, http.MethodGet, "/v1/integrations/"+in.ID, s.Key, nil); strings.Contains(string(got.Body), newSecret) || !strings.Contains(string(got.Body), `"hasSecret":true`) {
		t.Errorf("read back after the secret changed: %s", got.Body)
	}
	stored, err := s.Store.GetIntegration(context.Background(), s.Team, in.ID)
	if err != nil || stored.URL != moved.URL+"/b" || stored.Secret != newSecret {
		t.Fatalf("stored %q / secret changed %v (%v)", stored.URL, stored.Secret == newSecret, err)
	}
	s.AwaitWorkflow(t, s.PostEvent(t, map[string]any{"event": "build:start"}))
	if len(old.Requests()) != 0 || len(moved.Requests()) != 1 {
		t.Fatalf("old destination %d requests, new %d", len(old.Requests()), len(moved.Requests()))
	}
	got := moved.Requests()[0]
	wh, _ := standardwebhooks.NewWebhook(newSecret)
	if err := wh.Verify(got.Body, got.Header); err != nil {
		t.Errorf("the next attempt is not signed with the new secret: %v", err)
	}
	// A bad secret or a bad destination changes nothing.
	for _, body := range []map[string]any{{"secret": "whsec_not base64!"}, {"url": "ftp://example.com/x"}} {
		if r := s.Do(t, http.MethodPatch, "/v1/integrations/"+in.ID, s.Key, body); r.Status != 400 {
			t.Errorf("patch %v: %d %s", body, r.Status, r.Body)
		}
	}
	if after, _ := s.Store.GetIntegration(context.Background(), s.Team, in.ID); after.URL != stored.URL || after.Secret != stored.Secret {
		t.Error("a refused patch changed the integration")
	}
}

// A new destination is a fresh start: failure counters cleared, an automatic
// disable lifted (a manual one kept), and a chat channel's confirmation sent
// to the new destination with its result in the response.
func TestNewDestinationIsAFreshStart(t *testing.T) {
	s := testenv.NewStack(t)
	slack := fakes.NewSlack(t)
	in := createChat(t, s, "slack", "moving", slack.URL("ok"), map[string]any{"events": []string{"build:*"}})
	ctx := context.Background()

	// Disabled by Herald: a new URL enables it again and confirms there.
	if _, _, err := s.Store.DisableIntegration(ctx, in.ID, "5 consecutive failed deliveries", contract.DisabledByHerald); err != nil {
		t.Fatal(err)
	}
	before := len(slack.Accepted())
	r := s.Do(t, http.MethodPatch, "/v1/integrations/"+in.ID, s.Key, map[string]any{"url": slack.URL("ok-new")})
	var v api.IntegrationView
	r.JSON(t, &v)
	if r.Status != 200 || !v.Enabled || v.Health.Status != herald.HealthHealthy || v.Confirmation == nil || !v.Confirmation.Delivered {
		t.Fatalf("new URL after an automatic disable: %d %s", r.Status, r.Body)
	}
	if len(slack.Accepted()) != before+1 {
		t.Errorf("the new destination got %d confirmation messages, want 1", len(slack.Accepted())-before)
	}

	// Failing but enabled: the counters go back to zero.
	if _, err := s.Store.DB().Exec(`UPDATE integrations SET failed_requests = 7, consecutive_failures = 3, first_failed_at = now() WHERE id = $1`, in.ID); err != nil {
		t.Fatal(err)
	}
	r = s.Do(t, http.MethodPatch, "/v1/integrations/"+in.ID, s.Key, map[string]any{"url": slack.URL("ok-third")})
	r.JSON(t, &v)
	if r.Status != 200 || v.Health.Status != herald.HealthHealthy || v.Health.FailedRequests != 0 || v.Health.ConsecutiveFailures != 0 {
		t.Errorf("new URL of a failing integration: %d %s", r.Status, r.Body)
	}

	// Disabled by a person: it stays off.
	if r := s.Do(t, http.MethodPost, "/v1/integrations/"+in.ID+"/disable", s.Key, map[string]any{"reason": "holiday"}); r.Status != 200 {
		t.Fatalf("disable: %d %s", r.Status, r.Body)
	}
	r = s.Do(t, http.MethodPatch, "/v1/integrations/"+in.ID, s.Key, map[string]any{"url": slack.URL("ok-fourth")})
	r.JSON(t, &v)
	if r.Status != 200 || v.Enabled || v.Health.DisabledReason != "holiday" {
		t.Errorf("new URL of a manually disabled integration: %d %s", r.Status, r.Body)
	}
	// The same URL again changes nothing and sends nothing.
	n := len(slack.Accepted())
	if r := s.Do(t, http.MethodPatch, "/v1/integrations/"+in.ID, s.Key, map[string]any{"url": slack.URL("ok-fourth")}); r.Status != 200 || len(slack.Accepted()) != n {
		t.Errorf("the same URL again: %d, %d more messages", r.Status, len(slack.Accepted())-n)
	}
}
