package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/channels"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/internal/keyring"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/test/fakes"
	"github.com/heraldhq/herald/test/testenv"
)

// Webhook secrets, previous secrets, Ed25519 keys and every destination URL
// (a chat webhook URL is the credential) are sealed at rest: after
// integrations of every type have been made, rotated and delivered to, a
// pg_dump of the database holds none of them, as raw bytes, base64 or hex.
func TestSecretsAreSealedAtRest(t *testing.T) {
	s := testenv.NewStack(t)
	ctx := context.Background()
	recv := testenv.NewReceiver(t)
	slack, discord, teams := fakes.NewSlack(t), fakes.NewDiscord(t), fakes.NewTeams(t)

	hmacHook := s.CreateIntegration(t, map[string]any{"name": "sealed-hmac", "type": "webhook", "url": recv.URL + "/hook?token=receiver-token-abc123", "events": []string{"build:*"}, "generateSecret": true})
	ownSecret := "my-own-webhook-secret-0123456789"
	ownHook := s.CreateIntegration(t, map[string]any{"name": "sealed-own", "type": "webhook", "url": recv.URL + "/own", "events": []string{"build:*"}, "secret": ownSecret})
	edHook := s.CreateIntegration(t, map[string]any{"name": "sealed-ed25519", "type": "webhook", "url": recv.URL + "/ed", "events": []string{"build:*"}, "signing": "ed25519"})
	// Endpoint authentication: a custom header, a client key (mutual TLS)
	// and an OAuth client secret (the token endpoint is never reached: its
	// events never match).
	client := testenv.NewCA(t, "sealed CA").Issue(t, "sealed-client", false)
	authHook := s.CreateIntegration(t, map[string]any{"name": "sealed-auth", "type": "webhook", "url": recv.URL + "/auth", "events": []string{"backup:*"},
		"headers": map[string]string{"X-Api-Key": "custom-header-value-5150"},
		"tls":     map[string]any{"cert": client.CertPEM, "key": client.KeyPEM},
		"oauth2":  map[string]any{"tokenUrl": recv.URL + "/token", "clientId": "sealed-client-id", "clientSecret": "oauth-client-secret-8086"}})
	if authHook.TLS == nil || authHook.OAuth2 == nil || len(authHook.Headers) != 1 {
		t.Fatalf("endpoint authentication: %+v", authHook)
	}
	chats := []string{slack.URL("ok"), discord.URL("ok"), teams.WorkflowsURL("ok")}
	for i, typ := range []string{"slack", "discord", "teams"} {
		createChat(t, s, typ, "sealed-"+typ, chats[i], map[string]any{"events": []string{"build:*"}})
	}
	// Edits seal what they change as creation does: a new URL, secret,
	// headers and OAuth client secret, and a chat's new URL.
	editedURL, editedSecret := recv.URL+"/edited?token=edited-receiver-token-7e7e", "edited-webhook-secret-4242424242"
	for id, patch := range map[string]map[string]any{
		ownHook.ID: {"url": editedURL, "secret": editedSecret},
		authHook.ID: {"headers": map[string]string{"X-Api-Key": "edited-header-value-6060"},
			"oauth2": map[string]any{"tokenUrl": recv.URL + "/token", "clientId": "sealed-client-id", "clientSecret": "edited-oauth-secret-7070"}},
	} {
		if r := s.Do(t, "PATCH", "/v1/integrations/"+id, s.Key, patch); r.Status != 200 {
			t.Fatalf("edit %s: %d %s", id, r.Status, r.Body)
		}
	}
	editedChat := slack.URL("edited")
	var slackID string
	if err := s.Store.DB().QueryRow(`SELECT id FROM integrations WHERE name = 'sealed-slack'`).Scan(&slackID); err != nil {
		t.Fatal(err)
	}
	if r := s.Do(t, "PATCH", "/v1/integrations/"+slackID, s.Key, map[string]any{"url": editedChat}); r.Status != 200 {
		t.Fatalf("edit the Slack URL: %d %s", r.Status, r.Body)
	}
	// A rotation leaves the old secret as the previous one.
	rot := s.Do(t, "POST", "/v1/integrations/"+hmacHook.ID+"/rotate-secret", s.Key, nil)
	var rotated struct{ Secret string }
	rot.JSON(t, &rotated)
	s.AwaitWorkflow(t, s.PostEvent(t, map[string]any{"event": "build:success", "data": map[string]any{}}))

	values := map[string]string{"first HMAC secret": hmacHook.Secret, "rotated HMAC secret": rotated.Secret, "own secret": ownSecret,
		"receiver URL with a token": hmacHook.URL, "the receiver's token": "receiver-token-abc123", "own hook URL": ownHook.URL}
	ed, err := s.Store.LoadIntegration(ctx, edHook.ID)
	if err != nil || !strings.HasPrefix(ed.Secret, "whsk_") {
		t.Fatalf("ed25519 key: %v", err)
	}
	values["Ed25519 key"] = ed.Secret
	values["custom header value"] = "custom-header-value-5150"
	values["OAuth client secret"] = "oauth-client-secret-8086"
	values["edited URL"], values["edited URL's token"], values["edited secret"] = editedURL, "edited-receiver-token-7e7e", editedSecret
	values["edited header value"], values["edited OAuth client secret"] = "edited-header-value-6060", "edited-oauth-secret-7070"
	values["edited chat URL"] = editedChat
	// The client key's DER, as its PEM carries it (its longest base64 line).
	keyLines := strings.Split(strings.TrimSpace(client.KeyPEM), "\n")
	values["client key"] = keyLines[1]
	values["client key PEM"] = client.KeyPEM
	for i, u := range chats {
		values["chat URL "+string(rune('1'+i))] = u
		pu, _ := url.Parse(u)
		values["chat URL path "+string(rune('1'+i))] = pu.Path
	}

	dump, err := exec.Command("pg_dump", "--no-owner", "--data-only", s.Config.DatabaseURL).Output()
	if err != nil {
		t.Fatalf("pg_dump: %v", err)
	}
	if !bytes.Contains(dump, []byte(hmacHook.ID)) || !bytes.Contains(dump, []byte("hsk1:t1:")) {
		t.Fatal("the dump lacks the integrations: it proves nothing")
	}
	for name, v := range values {
		if v == "" {
			t.Fatalf("%s is empty", name)
		}
		for enc, form := range map[string]string{"raw": v, "base64": base64.StdEncoding.EncodeToString([]byte(v)), "hex": hex.EncodeToString([]byte(v))} {
			if bytes.Contains(dump, []byte(form)) {
				t.Errorf("the dump holds the %s %s", name, enc)
			}
		}
	}
	// The key material itself of whsec_/whsk_ secrets, decoded.
	for _, sec := range []string{hmacHook.Secret, rotated.Secret, ed.Secret} {
		raw, _ := base64.StdEncoding.DecodeString(sec[strings.Index(sec, "_")+1:])
		if bytes.Contains(dump, []byte(hex.EncodeToString(raw))) || bytes.Contains(dump, raw) {
			t.Error("the dump holds a secret's key bytes")
		}
	}
}

// A key ring rotation while deliveries run: rows sealed under the old key t1
// (by a process that held only it) are re-sealed under the new key by
// `herald secrets rotate` while events keep coming, every delivery still
// signs with the integration's secret, and afterwards no row is under t1.
func TestSecretKeyRotationWhileDelivering(t *testing.T) {
	newRing := "t2:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0x7a}, 32)) + "," + testenv.TestSecretKeys
	s := testenv.NewStack(t, func(c *config.Config) { c.SecretKeys = newRing })
	ctx := context.Background()
	recv := testenv.NewReceiver(t)

	// What the previous build, holding only t1, sealed.
	old, err := store.Open(ctx, s.Config.DatabaseURL, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	t1, _ := keyring.Parse(testenv.TestSecretKeys, "secret key")
	old.UseSecretKeys(t1)
	const secret = "whsec_" + "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
	var ids []string
	for i := range 30 {
		in, err := old.CreateIntegration(ctx, store.Integration{TeamID: s.Team, Name: fmt.Sprintf("rot-%02d", i), Type: herald.IntegrationWebhook,
			URL: fmt.Sprintf("%s/rot/%d", recv.URL, i), Secret: secret, Events: []string{"build:*"}, Enabled: true,
			Auth: channels.EndpointAuth{Headers: map[string]string{"X-Rotation": "sealed-too"}}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, in.ID)
	}
	if inUse, _ := s.Store.SecretKeysInUse(ctx); len(inUse) != 1 || inUse[0] != "t1" {
		t.Fatalf("keys in use before: %v", inUse)
	}

	// Events keep coming while the rows are re-sealed.
	var wg sync.WaitGroup
	var wfs []string
	var mu sync.Mutex
	stop := make(chan struct{})
	wg.Go(func() {
		// A steady stream, not a flood: the point is deliveries during the
		// rotation, not the machine's ceiling.
		tick := time.NewTicker(25 * time.Millisecond)
		defer tick.Stop()
		for i := 0; i < 200; i++ {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			wf := s.PostEvent(t, map[string]any{"id": fmt.Sprintf("rot-ev-%d", i), "event": "build:start", "data": map[string]any{}})
			mu.Lock()
			wfs = append(wfs, wf)
			mu.Unlock()
		}
	})
	env := []string{"HERALD_DATABASE_URL=" + s.Config.DatabaseURL, "HERALD_SECRET_KEYS=" + newRing}
	out := mustHerald(t, env, "secrets", "rotate", "-o", "json")
	close(stop)
	wg.Wait()
	var report struct {
		Resealed  int
		KeysInUse []string
	}
	if err := json.Unmarshal([]byte(out), &report); err != nil || report.Resealed < 30 || len(report.KeysInUse) != 1 || report.KeysInUse[0] != "t2" {
		t.Fatalf("rotate: %s (%v)", out, err)
	}
	for _, wf := range wfs {
		if res := s.AwaitWorkflow(t, wf); res.Status != contract.StatusDelivered {
			t.Errorf("%s: %+v", wf, res)
		}
	}
	if len(wfs) == 0 {
		t.Fatal("no event was posted during the rotation")
	}
	wh, _ := standardwebhooks.NewWebhook(secret)
	reqs := recv.Requests()
	// Every delivery arrived (a request may come twice when a worker is slow
	// to record it: receivers dedupe on webhook-id).
	distinct := map[string]bool{}
	for _, r := range reqs {
		distinct[r.Header.Get("webhook-id")] = true
	}
	if len(distinct) != 30*len(wfs) {
		t.Errorf("%d deliveries (%d requests) for %d events × 30 integrations", len(distinct), len(reqs), len(wfs))
	}
	for _, r := range reqs {
		if r.Header.Get("X-Rotation") != "sealed-too" {
			t.Errorf("a delivery during the rotation lacks its custom header")
			break
		}
		if err := wh.Verify(r.Body, r.Header); err != nil {
			t.Errorf("a delivery during the rotation does not verify: %v", err)
			break
		}
	}
	var underT1 int
	if err := s.Store.DB().QueryRow(`SELECT count(*) FROM integrations WHERE url LIKE 'hsk1:t1:%' OR secret LIKE 'hsk1:t1:%' OR previous_secret LIKE 'hsk1:t1:%' OR auth LIKE 'hsk1:t1:%'`).Scan(&underT1); err != nil || underT1 != 0 {
		t.Errorf("%d rows still under t1 (%v)", underT1, err)
	}
	// A process that holds only t1 now cannot open them, and says why.
	if _, err := old.LoadIntegration(ctx, ids[0]); err == nil || !strings.Contains(err.Error(), `"t2"`) {
		t.Errorf("reading a t2 row with only t1: %v", err)
	}
}

// A server refuses to start when integrations are sealed under keys it does
// not hold, naming them; a malformed ring is refused; nothing is served.
func TestStartNeedsTheSecretKeysInUse(t *testing.T) {
	s := testenv.NewStack(t)
	s.CreateIntegration(t, map[string]any{"name": "sealed", "type": "webhook", "url": "https://example.com/h", "events": []string{"*"}, "generateSecret": true})
	other := "t9:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32))
	base := []string{"HERALD_DATABASE_URL=" + s.Config.DatabaseURL, "HERALD_TEMPORAL_ADDRESS=" + s.Config.TemporalAddress,
		"HERALD_LISTEN=127.0.0.1:0", "HERALD_METRICS_LISTEN=127.0.0.1:0"}
	for name, c := range map[string]struct{ keys, want string }{
		"no keys":         {"", "secret keys t1 that HERALD_SECRET_KEYS does not hold"},
		"another key":     {other, "secret keys t1 that HERALD_SECRET_KEYS does not hold"},
		"a malformed key": {"t1:not-base64", `secret key "t1": not base64`},
		"a short key":     {"t1:" + base64.StdEncoding.EncodeToString([]byte("short")), "5 bytes, want 32"},
	} {
		env := append(append([]string{}, base...), "HERALD_SECRET_KEYS="+c.keys)
		for _, cmd := range []string{"serve", "worker"} {
			_, errOut, err := runHerald(t, env, cmd)
			if err == nil || !strings.Contains(errOut, c.want) {
				t.Errorf("%s, herald %s: %v\n%s\nwant an error saying %q", name, cmd, err, errOut, c.want)
			}
		}
	}
}

// Secure by default: a server without a key ring refuses to start, saying
// how to make one; HERALD_ALLOW_PLAINTEXT_SECRETS=true says plaintext is
// intended, and then it starts.
func TestServeRefusesPlaintextSecretsByDefault(t *testing.T) {
	_, dbURL := testenv.NewStoreURL(t)
	base := []string{"HERALD_DATABASE_URL=" + dbURL, "HERALD_TEMPORAL_ADDRESS=" + testenv.DevServer(t).FrontendHostPort(),
		"HERALD_LISTEN=127.0.0.1:0", "HERALD_METRICS_LISTEN=127.0.0.1:0", "HERALD_TASK_QUEUE=plaintext-" + time.Now().Format("150405.000")}
	for _, cmd := range []string{"serve", "worker", "dev"} {
		_, errOut, err := runHerald(t, base, cmd)
		if err == nil || !strings.Contains(errOut, "HERALD_SECRET_KEYS is not set") || !strings.Contains(errOut, "herald secrets new-key") ||
			!strings.Contains(errOut, "HERALD_ALLOW_PLAINTEXT_SECRETS=true") {
			t.Errorf("herald %s without a key ring: %v\n%s", cmd, err, errOut)
		}
	}
	serve := exec.Command(heraldBinary(t), "serve")
	serve.Env = append(append(os.Environ(), base...), "HERALD_ALLOW_PLAINTEXT_SECRETS=true", "HERALD_LOG_FORMAT=json")
	logs := &testenv.SyncBuffer{}
	serve.Stdout, serve.Stderr = logs, logs
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- serve.Wait() }()
	t.Cleanup(func() { _ = serve.Process.Kill(); <-exited })
	defer func() {
		if t.Failed() {
			t.Logf("herald serve said:\n%s", logs.String())
		}
	}()
	testenv.Await(t, "herald serve to listen with plaintext allowed", func() bool {
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("herald serve exited: %v", err)
		default:
		}
		return strings.Contains(logs.String(), "gateway listening")
	})
	if !strings.Contains(logs.String(), "stored in plaintext") {
		t.Errorf("no warning that secrets are stored in plaintext:\n%s", logs.String())
	}
}
