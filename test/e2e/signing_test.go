package e2e

import (
	"context"
	"encoding/base64"
	"net/http"
	"os/exec"
	"strings"
	"testing"

	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/test/testenv"
)

// verifyScript checks one Standard Webhooks v1a signature with Node's own
// Ed25519 (not Go's, which signs): argv public key (whpk_…), id, timestamp,
// base64 body, signature (v1a,…). It prints "ok" or "bad".
const verifyScript = `
const crypto = require('crypto');
const [pub, id, ts, body64, sig] = process.argv.slice(1);
const raw = Buffer.from(pub.replace(/^whpk_/, ''), 'base64');
const key = crypto.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
const content = Buffer.concat([Buffer.from(id + '.' + ts + '.'), Buffer.from(body64, 'base64')]);
const ok = sig.startsWith('v1a,') && crypto.verify(null, content, key, Buffer.from(sig.slice(4), 'base64'));
console.log(ok ? 'ok' : 'bad');
`

func nodeVerifies(t *testing.T, pub string, r testenv.Received, sig string) bool {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("Node.js verifies the Ed25519 signatures independently: %v (.ci/run installs it)", err)
	}
	out, err := exec.Command(node, "-e", verifyScript, pub, r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp"),
		base64.StdEncoding.EncodeToString(r.Body), sig).CombinedOutput()
	if err != nil {
		t.Fatalf("node: %v: %s", err, out)
	}
	return strings.TrimSpace(string(out)) == "ok"
}

// signing: "ed25519" signs deliveries per Standard Webhooks' asymmetric
// scheme, verified here by Node's crypto; the view shows the public key and
// the private key is never shown, sent or stored in an attempt. A rotation
// signs with both keys during the grace.
func TestEd25519SignedDeliveriesVerifyIndependently(t *testing.T) {
	s := testenv.NewStack(t)
	recv := testenv.NewReceiver(t)
	v := s.CreateIntegration(t, map[string]any{"name": "signed", "type": "webhook", "url": recv.URL, "events": []string{"build:*"}, "signing": "ed25519"})
	if v.Signing != "ed25519" || !v.HasSecret || v.Secret != "" || !strings.HasPrefix(v.PublicKey, "whpk_") {
		t.Fatalf("created %+v: want ed25519 with a public key and no secret shown", v)
	}
	var stored string
	if err := s.Store.DB().QueryRowContext(context.Background(), `SELECT secret FROM integrations WHERE id = $1`, v.ID).Scan(&stored); err != nil || !strings.HasPrefix(stored, "hsk1:") {
		t.Fatalf("stored key %.6s (%v): want it sealed", stored, err)
	}
	in, err := s.Store.LoadIntegration(context.Background(), v.ID)
	key := in.Secret
	if err != nil || !strings.HasPrefix(key, "whsk_") {
		t.Fatalf("key %.6s (%v)", key, err)
	}

	s.AwaitWorkflow(t, s.PostEvent(t, map[string]any{"event": "build:start", "data": map[string]any{}}))
	r := recv.Requests()[0]
	sig := r.Header.Get("webhook-signature")
	if !nodeVerifies(t, v.PublicKey, r, sig) {
		t.Errorf("Node did not verify %q with %s", sig, v.PublicKey)
	}
	for name := range r.Header {
		if strings.HasSuffix(name, "-Token") {
			t.Errorf("header %s sent with an Ed25519 key", name)
		}
	}
	var leaked int
	if err := s.Store.DB().QueryRowContext(context.Background(), `SELECT count(*) FROM attempts WHERE strpos(request_headers::text || request_body, $1) > 0`,
		strings.TrimPrefix(key, "whsk_")).Scan(&leaked); err != nil || leaked != 0 {
		t.Errorf("%d attempts hold the private key (%v)", leaked, err)
	}
	if strings.Contains(s.Logs.String(), strings.TrimPrefix(key, "whsk_")) {
		t.Error("the private key is in the logs")
	}

	// Rotation to a new Ed25519 key: both sign until the grace ends.
	rot := s.Do(t, http.MethodPost, "/v1/integrations/"+v.ID+"/rotate-secret", s.Key, map[string]any{"signing": "ed25519"})
	var rotated struct {
		Integration api.IntegrationView
		PublicKey   string
		Secret      string
	}
	rot.JSON(t, &rotated)
	if rot.Status != http.StatusOK || rotated.Secret != "" || rotated.PublicKey == v.PublicKey || rotated.Integration.PreviousPublicKey != v.PublicKey {
		t.Fatalf("rotate: %d %s", rot.Status, rot.Body)
	}
	s.AwaitWorkflow(t, s.PostEvent(t, map[string]any{"event": "build:success", "data": map[string]any{}}))
	r = recv.Requests()[1]
	sigs := strings.Fields(r.Header.Get("webhook-signature"))
	if len(sigs) != 2 || !nodeVerifies(t, rotated.PublicKey, r, sigs[0]) || !nodeVerifies(t, v.PublicKey, r, sigs[1]) {
		t.Errorf("after rotation: signatures %v do not verify with the new and the old key", sigs)
	}
	// A tampered body does not verify.
	r.Body = append(r.Body, ' ')
	if nodeVerifies(t, rotated.PublicKey, r, sigs[0]) {
		t.Error("a tampered body verified")
	}
}

// herald integrations create --signing ed25519 makes an Ed25519 webhook and
// prints its public key, never its private key.
func TestCLICreatesAnEd25519Webhook(t *testing.T) {
	s := testenv.NewStack(t)
	env := []string{"HERALD_URL=" + s.URL, "HERALD_API_KEY=" + s.Key}
	out := mustHerald(t, env, "integrations", "create", "--name", "cli-signed", "--destination", testenv.NewReceiver(t).URL,
		"--events", "build:*", "--signing", "ed25519")
	if !strings.Contains(out, "ed25519") || !strings.Contains(out, "whpk_") || strings.Contains(out, "whsk_") {
		t.Errorf("create printed:\n%s", out)
	}
	if _, errOut, err := runHerald(t, env, "integrations", "create", "--name", "cli-bad", "--destination", "https://example.com/h",
		"--events", "*", "--signing", "rsa"); err == nil || !strings.Contains(errOut, "unknown signing") {
		t.Errorf("--signing rsa: %v %s", err, errOut)
	}
}

// Bad signing input is refused with a clear error, and nothing is stored.
func TestSigningBadInput(t *testing.T) {
	s := testenv.NewStack(t)
	hook := s.CreateIntegration(t, map[string]any{"name": "plain", "type": "webhook", "url": testenv.NewReceiver(t).URL, "events": []string{"*"}, "generateSecret": true})
	if hook.Signing != "hmac" || hook.Secret == "" || hook.PublicKey != "" {
		t.Fatalf("HMAC integration %+v", hook)
	}
	cases := []struct {
		name, method, path string
		body               map[string]any
		want               string
	}{
		{"unknown scheme", http.MethodPost, "/v1/integrations", map[string]any{"name": "bad-1", "type": "webhook", "url": "https://example.com/h", "events": []string{"*"}, "signing": "rsa"}, `unknown signing \"rsa\"`},
		{"a chat integration", http.MethodPost, "/v1/integrations", map[string]any{"name": "bad-2", "type": "slack", "url": "https://hooks.slack.com/services/T/B/x", "events": []string{"*"}, "signing": "ed25519"}, "are not signed"},
		{"an HMAC secret as an Ed25519 key", http.MethodPost, "/v1/integrations", map[string]any{"name": "bad-3", "type": "webhook", "url": "https://example.com/h", "events": []string{"*"}, "signing": "ed25519", "secret": "whsec_" + base64.StdEncoding.EncodeToString(make([]byte, 32))}, "not a ed25519 key"},
		{"a malformed key", http.MethodPost, "/v1/integrations", map[string]any{"name": "bad-4", "type": "webhook", "url": "https://example.com/h", "events": []string{"*"}, "secret": "whsk_" + base64.StdEncoding.EncodeToString(make([]byte, 7))}, "whsk_ key is 32 or 64 bytes"},
		{"a new scheme without a new key", http.MethodPatch, "/v1/integrations/" + hook.ID, map[string]any{"signing": "ed25519"}, "rotate-secret"},
	}
	for _, c := range cases {
		r := s.Do(t, c.method, c.path, s.Key, c.body)
		if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), c.want) {
			t.Errorf("%s: %d %s; want 400 saying %q", c.name, r.Status, r.Body, c.want)
		}
	}
	var n int
	if err := s.Store.DB().QueryRow(`SELECT count(*) FROM integrations WHERE team_id = $1`, s.Team).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d integrations stored, want the one valid (%v)", n, err)
	}
	if got := getIntegration(t, s, hook.ID); got.Signing != "hmac" || got.PublicKey != "" {
		t.Errorf("the refused change changed the integration: %+v", got)
	}
}
