package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/heraldhq/herald/internal/api"
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
