package e2e

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/test/testenv"
)

// A real TLS server that requires a client certificate from its CA accepts
// Herald's attempt, made with the integration's certificate and trusting
// only the integration's CA bundle; it refuses a certificate of another CA
// and a client without one.
func TestMutualTLSWebhook(t *testing.T) {
	s := testenv.NewStack(t)
	serverCA, clientCA, strangerCA := testenv.NewCA(t, "receiver CA"), testenv.NewCA(t, "herald clients CA"), testenv.NewCA(t, "stranger CA")
	srv := serverCA.Issue(t, "receiver", true)
	recv := testenv.NewTLSReceiver(t, &tls.Config{
		Certificates: []tls.Certificate{srv.Pair},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    clientCA.Pool(),
	})
	good := clientCA.Issue(t, "herald-good", false)
	bad := strangerCA.Issue(t, "herald-stranger", false)

	trusted := s.CreateIntegration(t, map[string]any{"name": "mtls-trusted", "type": "webhook", "url": recv.URL + "/trusted",
		"events": []string{"build:*"}, "tls": map[string]any{"cert": good.CertPEM, "key": good.KeyPEM, "ca": serverCA.CertPEM},
		"retry": map[string]any{"maxAttempts": 1}})
	s.CreateIntegration(t, map[string]any{"name": "mtls-stranger", "type": "webhook", "url": recv.URL + "/stranger",
		"events": []string{"build:*"}, "tls": map[string]any{"cert": bad.CertPEM, "key": bad.KeyPEM, "ca": serverCA.CertPEM},
		"retry": map[string]any{"maxAttempts": 1}})
	if trusted.TLS == nil || trusted.TLS.Subject != "CN=herald-good" || !trusted.TLS.HasCA || trusted.TLS.Fingerprint == "" {
		t.Fatalf("the view describes the certificate: %+v", trusted.TLS)
	}
	view := s.Do(t, "GET", "/v1/integrations/"+trusted.ID, s.Key, nil)
	if strings.Contains(string(view.Body), "PRIVATE KEY") || strings.Contains(string(view.Body), "BEGIN CERTIFICATE") {
		t.Fatalf("the view shows PEM: %s", view.Body)
	}

	res := s.AwaitWorkflow(t, s.PostEvent(t, map[string]any{"event": "build:start", "data": map[string]any{}}))
	byIntegration := map[string]contract.DeliveryEnd{}
	for _, d := range res.Deliveries {
		byIntegration[d.IntegrationID] = d
	}
	if d := byIntegration[trusted.ID]; d.Status != herald.DeliveryDelivered {
		t.Fatalf("with its client certificate: %+v", d)
	}
	reqs := recv.Requests()
	if len(reqs) != 1 || reqs[0].Path != "/trusted" || reqs[0].ClientCert != "herald-good" {
		t.Fatalf("the receiver got %+v", reqs)
	}
	for id, d := range byIntegration {
		if id == trusted.ID {
			continue
		}
		if d.Status != herald.DeliveryFailed {
			t.Fatalf("a certificate of another CA: %+v", d)
		}
		att := s.Delivery(t, d.DeliveryID).AttemptLog
		if len(att) != 1 || att[0].Response != nil || !strings.Contains(att[0].Error, "tls") {
			t.Fatalf("its attempt: %+v", att)
		}
	}
	// Without a certificate the server refuses the handshake.
	plain := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: serverCA.Pool()}}}
	if resp, err := plain.Post(recv.URL+"/anonymous", "application/json", strings.NewReader("{}")); err == nil {
		resp.Body.Close()
		t.Fatalf("a client without a certificate got %d", resp.StatusCode)
	}
	if n := len(recv.Requests()); n != 1 {
		t.Fatalf("%d requests reached the handler", n)
	}
}

// tokenServer is an OAuth 2.0 token endpoint (client credentials) that
// counts its requests and issues tok-1, tok-2, …
type tokenServer struct {
	*httptest.Server
	requests atomic.Int32
	// hold, when set, is called with the request's number before it is answered.
	hold  func(n int32)
	mu    sync.Mutex
	valid map[string]bool
}

func newTokenServer(t *testing.T, clientID, clientSecret string) *tokenServer {
	ts := &tokenServer{valid: map[string]bool{}}
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, secret, ok := r.BasicAuth()
		if err := r.ParseForm(); err != nil || !ok || id != clientID || secret != clientSecret ||
			r.PostForm.Get("grant_type") != "client_credentials" || r.PostForm.Get("scope") != "notify:write events" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":"invalid_client"}`))
			return
		}
		n := ts.requests.Add(1)
		if ts.hold != nil {
			ts.hold(n)
		}
		tok := fmt.Sprintf("tok-%d", n)
		ts.mu.Lock()
		ts.valid[tok] = true
		ts.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": 3600})
	}))
	t.Cleanup(ts.Close)
	return ts
}

func (ts *tokenServer) revoke(tok string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	delete(ts.valid, tok)
}

func (ts *tokenServer) check(header string) bool {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	tok, ok := strings.CutPrefix(header, "Bearer ")
	return ok && ts.valid[tok]
}

// An attempt's deadline covers its token and its requests. The receiver
// refuses the cached token slowly (401 after 1.2 s), the token endpoint
// answers slowly (2.5 s): the new token would come after the attempt's 3 s.
// No request goes with it, and no other execution of the attempt asks for a
// token again (before, the second request went at 3.7 s, and the attempt,
// which outlived its local activity, was made again as an activity). Every
// request carries webhook-id, though the integration does not sign.
func TestOAuthRefreshKeepsTheAttemptsDeadline(t *testing.T) {
	const attempt = 3 * time.Second
	s := testenv.NewStack(t, func(c *config.Config) { c.AttemptTimeout = attempt; c.Retry.InitialInterval = time.Hour })
	tokens := newTokenServer(t, "herald-client", "client-secret-9f8e7d")
	tokens.hold = func(n int32) {
		if n == 2 {
			time.Sleep(attempt * 5 / 6)
		}
	}
	var mu sync.Mutex
	var got []http.Header
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Header.Clone())
		n := len(got)
		mu.Unlock()
		if n == 2 {
			time.Sleep(attempt * 2 / 5)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(recv.Close)
	s.CreateIntegration(t, map[string]any{"name": "slow-oauth", "type": "webhook", "url": recv.URL, "events": []string{"*"},
		"oauth2": map[string]any{"tokenUrl": tokens.URL, "clientId": "herald-client", "clientSecret": "client-secret-9f8e7d",
			"scopes": []string{"notify:write", "events"}}})
	if res := s.AwaitWorkflow(t, s.PostEvent(t, map[string]any{"id": "first", "event": "build:start"})); res.Status != contract.StatusDelivered {
		t.Fatalf("the first event: %+v", res)
	}
	s.PostEvent(t, map[string]any{"id": "second", "event": "build:start"})
	second := s.AwaitAttempt(t, "second", 1)
	if second.Outcome != herald.OutcomeRetry {
		t.Errorf("the second event's attempt: %s %q, want a retry", second.Outcome, second.Reason)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 || tokens.requests.Load() > 2 {
		t.Fatalf("the receiver got %d requests and the token endpoint %d; want 2 and at most 2", len(got), tokens.requests.Load())
	}
	for i, h := range got {
		if h.Get("Authorization") == "Bearer tok-2" {
			t.Errorf("request %d went with the token that came after the deadline", i+1)
		}
		if h.Get("webhook-id") == "" || h.Get("webhook-signature") != "" {
			t.Errorf("request %d: webhook-id %q, signature %q; want an id and no signature", i+1, h.Get("webhook-id"), h.Get("webhook-signature"))
		}
	}
	if ds, err := s.Store.EventDeliveries(t.Context(), s.Team, "second"); err != nil || got[1].Get("webhook-id") != ds[0].ID {
		t.Errorf("webhook-id %q is not the delivery's id (%v)", got[1].Get("webhook-id"), err)
	}
}

// OAuth 2.0 client credentials: 30 events at once to one endpoint make one
// token request; when the endpoint stops taking that token (a 401), Herald
// asks for one new token and sends again within the same attempt. Custom
// headers arrive with every request, and neither they nor the token are
// stored with the attempts.
func TestOAuth2AndCustomHeaders(t *testing.T) {
	s := testenv.NewStack(t)
	tokens := newTokenServer(t, "herald-client", "client-secret-9f8e7d")
	defer func() {
		if t.Failed() {
			t.Log(s.Logs.String()[max(0, len(s.Logs.String())-20000):])
		}
	}()
	var seen sync.Map // token → count
	var mu sync.Mutex
	var unauthorized int
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Api-Key") != "custom-header-secret-4411" || r.Header.Get("X-Tenant") != "acme" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		if !tokens.check(r.Header.Get("Authorization")) {
			mu.Lock()
			unauthorized++
			mu.Unlock()
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		n, _ := seen.LoadOrStore(r.Header.Get("Authorization"), new(atomic.Int32))
		n.(*atomic.Int32).Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(recv.Close)

	in := s.CreateIntegration(t, map[string]any{"name": "oauth-hook", "type": "webhook", "url": recv.URL + "/hook", "events": []string{"build:*"},
		"generateSecret": true,
		"headers":        map[string]string{"X-Api-Key": "custom-header-secret-4411", "X-Tenant": "acme"},
		"oauth2": map[string]any{"tokenUrl": tokens.URL + "/oauth/token", "clientId": "herald-client", "clientSecret": "client-secret-9f8e7d",
			"scopes": []string{"notify:write", "events"}}})
	if in.OAuth2 == nil || in.OAuth2.ClientID != "herald-client" || !in.OAuth2.HasClientSecret || in.Headers["X-Api-Key"] == "custom-header-secret-4411" {
		t.Fatalf("the view: %+v %+v", in.OAuth2, in.Headers)
	}

	var wfs []string
	var wg sync.WaitGroup
	var wmu sync.Mutex
	for i := range 30 {
		wg.Go(func() {
			wf := s.PostEvent(t, map[string]any{"id": fmt.Sprintf("oauth-%d", i), "event": "build:start", "data": map[string]any{}})
			wmu.Lock()
			wfs = append(wfs, wf)
			wmu.Unlock()
		})
	}
	wg.Wait()
	for _, wf := range wfs {
		if res := s.AwaitWorkflow(t, wf); res.Status != contract.StatusDelivered {
			t.Fatalf("%s: %+v", wf, res)
		}
	}
	if n := tokens.requests.Load(); n != 1 {
		t.Fatalf("%d token requests for 30 events at once, want 1", n)
	}

	// The endpoint stops taking tok-1: one more token, the same attempt.
	tokens.revoke("tok-1")
	res := s.AwaitWorkflow(t, s.PostEvent(t, map[string]any{"id": "oauth-after-revoke", "event": "build:start", "data": map[string]any{}}))
	if res.Status != contract.StatusDelivered {
		t.Fatalf("after the revocation: %+v", res)
	}
	if n := tokens.requests.Load(); n != 2 {
		t.Fatalf("%d token requests after a 401, want 2", n)
	}
	if unauthorized != 1 {
		t.Fatalf("%d requests with the revoked token, want 1", unauthorized)
	}
	d := s.Delivery(t, res.Deliveries[0].DeliveryID)
	if d.Attempts != 1 || len(d.AttemptLog) != 1 || d.AttemptLog[0].Response == nil || d.AttemptLog[0].Response.Status != http.StatusNoContent {
		t.Fatalf("the delivery after the refresh: %+v", d)
	}
	h := d.AttemptLog[0].Request.Headers
	for _, name := range []string{"Authorization", "X-Api-Key"} {
		if v := strings.Join(h[name], ""); v == "" || strings.Contains(v, "tok-") || strings.Contains(v, "custom-header-secret") {
			t.Fatalf("the stored %s header: %q", name, v)
		}
	}
	if strings.Join(h["X-Tenant"], "") == "acme" {
		t.Fatal("a custom header value is stored in the clear")
	}
	if c, _ := seen.Load("Bearer tok-2"); c == nil || c.(*atomic.Int32).Load() != 1 {
		t.Fatal("the new token did not carry the retried request")
	}
	for _, secret := range []string{"client-secret-9f8e7d", "custom-header-secret-4411", "tok-1", "tok-2"} {
		if strings.Contains(s.Logs.String(), secret) {
			t.Errorf("the logs hold %q", secret)
		}
	}

	// A client the token endpoint refuses: a failed delivery that says so,
	// not a retry storm.
	refused := s.CreateIntegration(t, map[string]any{"name": "oauth-refused", "type": "webhook", "url": recv.URL + "/hook", "events": []string{"job-run:*"},
		"oauth2": map[string]any{"tokenUrl": tokens.URL + "/oauth/token", "clientId": "herald-client", "clientSecret": "wrong"}})
	res = s.AwaitWorkflow(t, s.PostEvent(t, map[string]any{"event": "job-run:start", "data": map[string]any{}}))
	if len(res.Deliveries) != 1 || res.Deliveries[0].IntegrationID != refused.ID || res.Deliveries[0].Status != herald.DeliveryFailed ||
		!strings.Contains(res.Deliveries[0].Reason, "invalid_client") {
		t.Fatalf("refused by the token endpoint: %+v", res.Deliveries)
	}
}

// Bad endpoint authentication is refused with a clear problem, and nothing
// is stored.
func TestEndpointAuthBadInput(t *testing.T) {
	s := testenv.NewStackResolving(t, nil, func(c *config.Config) { c.AllowPrivateDestinations = "127.0.0.2/32" })
	ca := testenv.NewCA(t, "ca")
	one, two := ca.Issue(t, "one", false), ca.Issue(t, "two", false)
	base := func(extra map[string]any) map[string]any {
		b := map[string]any{"name": "bad-auth", "type": "webhook", "url": "http://127.0.0.2:9/hook", "events": []string{"*"}}
		for k, v := range extra {
			b[k] = v
		}
		return b
	}
	oauth := func(url string) map[string]any {
		return map[string]any{"tokenUrl": url, "clientId": "id", "clientSecret": "secret"}
	}
	for name, c := range map[string]struct {
		body map[string]any
		want string
	}{
		"a certificate that does not match its key": {base(map[string]any{"tls": map[string]any{"cert": one.CertPEM, "key": two.KeyPEM}}), "tls.cert"},
		"a key without a certificate":               {base(map[string]any{"tls": map[string]any{"key": one.KeyPEM}}), `needs both`},
		"a CA bundle with no certificate":           {base(map[string]any{"tls": map[string]any{"cert": one.CertPEM, "key": one.KeyPEM, "ca": "junk"}}), "tls.ca"},
		"a header Herald signs with":                {base(map[string]any{"headers": map[string]string{"webhook-signature": "v1,x"}}), "reserved"},
		"a seed header":                             {base(map[string]any{"headers": map[string]string{"X-Northflank-Notification-Integration-Token": "x"}}), "reserved"},
		"Content-Type":                              {base(map[string]any{"headers": map[string]string{"content-type": "text/plain"}}), "reserved"},
		"Authorization beside OAuth":                {base(map[string]any{"headers": map[string]string{"Authorization": "Basic x"}, "oauth2": oauth("https://auth.example.com/token")}), "reserved"},
		// Spelled with underscores, which CGI, WSGI and Rack servers fold into the same variable.
		"webhook_signature":                   {base(map[string]any{"headers": map[string]string{"webhook_signature": "v1,x"}}), "reserved"},
		"the seed's token with underscores":   {base(map[string]any{"headers": map[string]string{"X_Northflank_Notification_Integration_Token": "x"}}), "reserved"},
		"Content_Length":                      {base(map[string]any{"headers": map[string]string{"Content_Length": "1"}}), "reserved"},
		"Transfer_Encoding":                   {base(map[string]any{"headers": map[string]string{"Transfer_Encoding": "chunked"}}), "reserved"},
		"a header and its underscore twin":    {base(map[string]any{"headers": map[string]string{"X-Api-Key": "a", "X_Api_Key": "b"}}), "the same header"},
		"Forwarded":                           {base(map[string]any{"headers": map[string]string{"Forwarded": "for=10.0.0.1"}}), "reserved"},
		"X-Forwarded-For":                     {base(map[string]any{"headers": map[string]string{"X-Forwarded-For": "10.0.0.1"}}), "reserved"},
		"X_Forwarded_Proto":                   {base(map[string]any{"headers": map[string]string{"X_Forwarded_Proto": "https"}}), "reserved"},
		"X-Real-Ip":                           {base(map[string]any{"headers": map[string]string{"X-Real-Ip": "10.0.0.1"}}), "reserved"},
		"Baggage":                             {base(map[string]any{"headers": map[string]string{"Baggage": "role=admin"}}), "reserved"},
		"Traceparent":                         {base(map[string]any{"headers": map[string]string{"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}}), "reserved"},
		"a header name with a space":          {base(map[string]any{"headers": map[string]string{"X Bad": "x"}}), "not a valid header name"},
		"a header value with a line break":    {base(map[string]any{"headers": map[string]string{"X-Ok": "a\r\nInjected: 1"}}), "headers.X-Ok"},
		"a token URL the guard refuses":       {base(map[string]any{"oauth2": oauth("http://127.0.0.1:9/token")}), "oauth2.tokenUrl"},
		"a token URL to the metadata service": {base(map[string]any{"oauth2": oauth("http://169.254.169.254/token")}), "oauth2.tokenUrl"},
		"a token URL that is not http":        {base(map[string]any{"oauth2": oauth("ftp://auth.example.com/token")}), "oauth2.tokenUrl"},
		"no client secret":                    {base(map[string]any{"oauth2": map[string]any{"tokenUrl": "https://auth.example.com/token", "clientId": "id"}}), "oauth2.clientSecret"},
		"headers on a Slack integration":      {map[string]any{"name": "bad-slack", "type": "slack", "url": "https://hooks.slack.com/services/T0/B0/x", "events": []string{"*"}, "headers": map[string]string{"X-A": "b"}}, "webhook integrations only"},
	} {
		r := s.Do(t, "POST", "/v1/integrations", s.Key, c.body)
		if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), c.want) {
			t.Errorf("%s: %d %s (want 400 naming %q)", name, r.Status, r.Body, c.want)
		}
	}
	var n int
	if err := s.Store.DB().QueryRow(`SELECT count(*) FROM integrations`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d integrations stored (%v)", n, err)
	}
	// The same on a change: the integration keeps what it had.
	ok := s.CreateIntegration(t, base(map[string]any{"headers": map[string]string{"X-Api-Key": "kept"}}))
	r := s.Do(t, "PATCH", "/v1/integrations/"+ok.ID, s.Key, map[string]any{"headers": map[string]string{"Host": "evil"}})
	if r.Status != http.StatusBadRequest {
		t.Fatalf("patch with a reserved header: %d %s", r.Status, r.Body)
	}
	got, err := s.Store.LoadIntegration(t.Context(), ok.ID)
	if err != nil || got.Auth.Headers["X-Api-Key"] != "kept" || len(got.Auth.Headers) != 1 {
		t.Fatalf("after a refused patch: %+v %v", got.Auth, err)
	}
	// {} removes.
	r = s.Do(t, "PATCH", "/v1/integrations/"+ok.ID, s.Key, map[string]any{"headers": map[string]string{}})
	if r.Status != http.StatusOK {
		t.Fatalf("remove headers: %d %s", r.Status, r.Body)
	}
	if got, _ := s.Store.LoadIntegration(t.Context(), ok.ID); !got.Auth.Empty() {
		t.Fatalf("headers left: %+v", got.Auth)
	}
}

// The CLI sets endpoint authentication from files (never a secret on the
// command line), shows what identifies it, and removes it.
func TestCLISetsEndpointAuth(t *testing.T) {
	s := testenv.NewStack(t)
	env := []string{"HERALD_URL=" + s.URL, "HERALD_API_KEY=" + s.Key}
	dir := t.TempDir()
	client := testenv.NewCA(t, "cli CA").Issue(t, "cli-client", false)
	files := map[string]string{"cert.pem": client.CertPEM, "key.pem": client.KeyPEM, "headers.json": `{"X-Api-Key": "from-a-file"}`, "oauth-secret": "cli-oauth-secret\n"}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	out := mustHerald(t, env, "integrations", "create", "--name", "cli-auth", "--destination", testenv.NewReceiver(t).URL, "--events", "build:*",
		"--client-cert", filepath.Join(dir, "cert.pem"), "--client-key", filepath.Join(dir, "key.pem"),
		"--headers-file", filepath.Join(dir, "headers.json"),
		"--oauth-token-url", "https://auth.example.com/token", "--oauth-client-id", "cli-id", "--oauth-client-secret-file", filepath.Join(dir, "oauth-secret"),
		"--oauth-scopes", "a,b", "-o", "json")
	var v struct {
		ID      string
		Headers map[string]string
		TLS     struct{ Subject string }
		OAuth2  struct {
			ClientID string
			Scopes   []string
		}
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if v.TLS.Subject != "CN=cli-client" || v.OAuth2.ClientID != "cli-id" || len(v.OAuth2.Scopes) != 2 || len(v.Headers) != 1 ||
		strings.Contains(out, "from-a-file") || strings.Contains(out, "cli-oauth-secret") || strings.Contains(out, "PRIVATE KEY") {
		t.Fatalf("created: %s", out)
	}
	got, err := s.Store.LoadIntegration(t.Context(), v.ID)
	if err != nil || got.Auth.OAuth2.ClientSecret != "cli-oauth-secret" || got.Auth.Headers["X-Api-Key"] != "from-a-file" {
		t.Fatalf("stored: %+v %v", got.Auth, err)
	}
	mustHerald(t, env, "integrations", "update", v.ID, "--no-headers", "--no-client-cert", "--no-oauth")
	if got, _ := s.Store.LoadIntegration(t.Context(), v.ID); !got.Auth.Empty() {
		t.Fatalf("after removing: %+v", got.Auth)
	}
	if _, errOut, err := runHerald(t, env, "integrations", "update", v.ID, "--client-cert", filepath.Join(dir, "cert.pem")); err == nil || !strings.Contains(errOut, "go together") {
		t.Fatalf("a certificate without its key: %v %s", err, errOut)
	}
}
