package e2e

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/test/fakes"
	"github.com/heraldhq/herald/test/testenv"
)

// fakeSlackOAuth answers oauth.v2.access like Slack: codes map to the
// incoming webhook they grant; anything else is invalid_code.
type fakeSlackOAuth struct {
	*httptest.Server
	mu     sync.Mutex
	grants map[string][2]string // code → {webhook URL, channel}
	seen   []url.Values
}

func newFakeSlackOAuth(t *testing.T, clientID, clientSecret string) *fakeSlackOAuth {
	f := &fakeSlackOAuth{grants: map[string][2]string{}}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path != "/api/oauth.v2.access" || r.Method != http.MethodPost {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		if err := r.ParseForm(); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.seen = append(f.seen, r.PostForm)
		grant, ok := f.grants[r.PostForm.Get("code")]
		f.mu.Unlock()
		id, secret, basic := r.BasicAuth()
		switch {
		case !basic || id != clientID || secret != clientSecret:
			_ = json.NewEncoder(w).Encode(map[string]any{"ok": false, "error": "invalid_client_id"})
		case !ok:
			_ = json.NewEncoder(w).Encode(map[string]any{"ok": false, "error": "invalid_code"})
		default:
			_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "app_id": "A1",
				"team":             map[string]any{"id": "T1", "name": "Acme"},
				"incoming_webhook": map[string]any{"url": grant[0], "channel": grant[1], "channel_id": "C1"}})
		}
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeSlackOAuth) grant(code, webhookURL, channel string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.grants[code] = [2]string{webhookURL, channel}
}

// noRedirect reads a redirect instead of following it.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func TestAddToSlack(t *testing.T) {
	oauth := newFakeSlackOAuth(t, "cid-123", "csecret-456")
	slack := fakes.NewSlack(t)
	s := testenv.NewStack(t, func(c *config.Config) {
		c.SlackClientID, c.SlackClientSecret, c.SlackBaseURL = "cid-123", "csecret-456", oauth.URL
		c.PublicURL, c.StateSecret = "https://herald.example.com", "state-key-for-tests"
	})

	// The browser's cookie from the latest install, sent back on callbacks.
	var cookie string
	install := func(query string) (*url.URL, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, s.URL+"/v1/slack/install?"+query, nil)
		req.Header.Set("Authorization", "Bearer "+s.Key)
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusFound {
			t.Fatalf("install: %d", resp.StatusCode)
		}
		cookie = ""
		for _, c := range resp.Cookies() {
			if c.Name == "herald_slack_install" && c.HttpOnly && c.Path == "/v1/slack" && c.SameSite == http.SameSiteLaxMode {
				cookie = c.Name + "=" + c.Value
			}
		}
		if cookie == "" {
			t.Fatalf("install set no HttpOnly, SameSite=Lax browser cookie: %v", resp.Header["Set-Cookie"])
		}
		u, err := url.Parse(resp.Header.Get("Location"))
		if err != nil {
			t.Fatal(err)
		}
		return u, u.Query().Get("state")
	}
	authorize, state := install("name=deploys&events=build:*,deployment:*")
	q := authorize.Query()
	if authorize.Host != strings.TrimPrefix(oauth.URL, "http://") || authorize.Path != "/oauth/v2/authorize" ||
		q.Get("client_id") != "cid-123" || q.Get("scope") != "incoming-webhook" ||
		q.Get("redirect_uri") != "https://herald.example.com/v1/slack/oauth/callback" || state == "" {
		t.Fatalf("authorize URL %s", authorize)
	}

	callback := func(query url.Values) testenv.Response {
		return s.Do(t, http.MethodGet, "/v1/slack/oauth/callback?"+query.Encode(), "", nil, "Cookie", cookie)
	}
	oauth.grant("code-1", slack.URL("ok"), "#deploys")
	r := callback(url.Values{"code": {"code-1"}, "state": {state}})
	var created api.IntegrationView
	r.JSON(t, &created)
	if r.Status != http.StatusCreated || created.Type != "slack" || created.Name != "deploys" || created.Channel != "#deploys" ||
		strings.Join(created.Events, ",") != "build:*,deployment:*" || created.Confirmation == nil || !created.Confirmation.Delivered {
		t.Fatalf("callback: %d %s", r.Status, r.Body)
	}
	if len(slack.Accepted()) != 1 {
		t.Errorf("the new channel got %d messages, want the confirmation", len(slack.Accepted()))
	}
	if got := oauth.seen[0].Get("redirect_uri"); got != "https://herald.example.com/v1/slack/oauth/callback" {
		t.Errorf("code exchanged with redirect_uri %q", got)
	}

	// Reinstall: the same integration now posts to the newly chosen channel.
	_, state2 := install("integration=" + created.ID)
	oauth.grant("code-2", slack.URL("ok-ops"), "#ops")
	r = callback(url.Values{"code": {"code-2"}, "state": {state2}})
	var reinstalled api.IntegrationView
	r.JSON(t, &reinstalled)
	if r.Status != http.StatusOK || reinstalled.ID != created.ID || reinstalled.Channel != "#ops" {
		t.Fatalf("reinstall: %d %s", r.Status, r.Body)
	}
	// A reinstall is a fresh start: the new channel gets the confirmation.
	if reinstalled.Confirmation == nil || !reinstalled.Confirmation.Delivered || len(slack.Accepted()) != 2 {
		t.Errorf("reinstall confirmation %+v, %d messages in all", reinstalled.Confirmation, len(slack.Accepted()))
	}
	if in, err := s.Store.GetIntegration(context.Background(), s.Team, created.ID); err != nil || !strings.HasSuffix(in.URL, "/ok-ops") {
		t.Errorf("reinstalled URL %q, %v", in.URL, err)
	}

	// Forged, tampered and expired state are refused; nothing is created.
	sign := func(payload map[string]any) string {
		b, _ := json.Marshal(payload)
		p := base64.RawURLEncoding.EncodeToString(b)
		mac := hmac.New(sha256.New, []byte("state-key-for-tests"))
		mac.Write([]byte(p))
		return p + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
	}
	forgedMac := hmac.New(sha256.New, []byte("not-the-key"))
	forgedPayload := base64.RawURLEncoding.EncodeToString([]byte(`{"t":"` + s.Team + `","n":"evil","e":["*"],"x":9999999999}`))
	forgedMac.Write([]byte(forgedPayload))
	bad := map[string]string{
		"forged":   forgedPayload + "." + base64.RawURLEncoding.EncodeToString(forgedMac.Sum(nil)),
		"tampered": strings.Replace(state, state[:10], strings.Repeat("A", 10), 1),
		"expired":  sign(map[string]any{"t": s.Team, "n": "late", "e": []string{"*"}, "x": time.Now().Add(-time.Minute).Unix(), "r": "n"}),
		"garbage":  "not-a-state",
	}
	oauth.grant("code-3", slack.URL("ok"), "#x")
	for name, st := range bad {
		r := callback(url.Values{"code": {"code-3"}, "state": {st}})
		if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "invalid or has expired") {
			t.Errorf("%s state: %d %s", name, r.Status, r.Body)
		}
	}
	// A correctly signed state that Herald never issued has no row: refused.
	fresh := sign(map[string]any{"t": s.Team, "n": "fresh-one", "e": []string{"*"}, "x": time.Now().Add(time.Minute).Unix(), "r": "n"})
	if r := callback(url.Values{"code": {"code-3"}, "state": {fresh}}); r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "already used") {
		t.Errorf("signed but never issued state: %d %s", r.Status, r.Body)
	}

	// Errors from Slack are shown clearly.
	if r := callback(url.Values{"error": {"access_denied"}, "state": {state}}); r.Status != 400 || !strings.Contains(string(r.Body), "access_denied") {
		t.Errorf("access_denied: %d %s", r.Status, r.Body)
	}
	_, state3 := install("name=another")
	if r := callback(url.Values{"code": {"stale-code"}, "state": {state3}}); r.Status != http.StatusBadGateway || !strings.Contains(string(r.Body), "invalid_code") {
		t.Errorf("invalid code: %d %s", r.Status, r.Body)
	}
	var n int
	if err := s.Store.DB().QueryRow(`SELECT count(*) FROM integrations WHERE type = 'slack'`).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d slack integrations, want 1 (%v)", n, err)
	}
}

// A state works once, and only in the browser that started the install; the
// install's parameters are checked like the API's.
func TestSlackStateIsSingleUseAndBoundToTheBrowser(t *testing.T) {
	oauth := newFakeSlackOAuth(t, "cid", "csecret")
	slack := fakes.NewSlack(t)
	s := testenv.NewStack(t, func(c *config.Config) {
		c.SlackClientID, c.SlackClientSecret, c.SlackBaseURL, c.StateSecret = "cid", "csecret", oauth.URL, "k"
	})
	oauth.grant("code-a", slack.URL("a"), "#a")
	oauth.grant("code-b", slack.URL("b"), "#b")
	begin := func(path, key string, header ...string) (state, cookie string, r *http.Response) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, s.URL+path, nil)
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if loc, err := url.Parse(resp.Header.Get("Location")); err == nil {
			state = loc.Query().Get("state")
		}
		for _, c := range resp.Cookies() {
			if c.Name == "herald_slack_install" && c.MaxAge > 0 {
				cookie = c.Name + "=" + c.Value
			}
		}
		return state, cookie, resp
	}
	callback := func(code, state, cookie string) testenv.Response {
		return s.Do(t, http.MethodGet, "/v1/slack/oauth/callback?"+url.Values{"code": {code}, "state": {state}}.Encode(), "", nil, "Cookie", cookie)
	}

	state, cookie, _ := begin("/v1/slack/install?name=once", s.Key)
	if r := callback("code-a", state, "herald_slack_install=someone-else"); r.Status != 400 || !strings.Contains(string(r.Body), "another browser") {
		t.Errorf("another browser's callback: %d %s", r.Status, r.Body)
	}
	if r := callback("code-a", state, ""); r.Status != 400 || !strings.Contains(string(r.Body), "another browser") {
		t.Errorf("callback without the cookie: %d %s", r.Status, r.Body)
	}
	if r := callback("code-a", state, cookie); r.Status != http.StatusCreated {
		t.Fatalf("the starting browser's callback: %d %s", r.Status, r.Body)
	}
	// Replayed with a second code, even from the same browser: refused, and
	// Slack is not asked to exchange it.
	exchanges := len(oauth.seen)
	if r := callback("code-b", state, cookie); r.Status != 400 || !strings.Contains(string(r.Body), "already used") {
		t.Errorf("replayed state: %d %s", r.Status, r.Body)
	}
	if len(oauth.seen) != exchanges {
		t.Error("a replayed state still exchanged its code with Slack")
	}

	// A link made for the CLI binds the first browser that opens it.
	r := s.Do(t, http.MethodGet, "/v1/slack/install?redirect=false&name=cli-made", s.Key, nil)
	var link struct{ URL string }
	r.JSON(t, &link)
	u, err := url.Parse(link.URL)
	if err != nil || u.Path != "/v1/slack/begin" {
		t.Fatalf("API install link %q (%v): %s", link.URL, err, r.Body)
	}
	first, firstCookie, resp := begin(u.RequestURI(), "")
	if resp.StatusCode != http.StatusFound || first == "" || firstCookie == "" {
		t.Fatalf("first browser opening the link: %d state %q cookie %q", resp.StatusCode, first, firstCookie)
	}
	if _, _, resp := begin(u.RequestURI(), ""); resp.StatusCode != 400 {
		t.Errorf("second browser opening the same link: %d, want 400", resp.StatusCode)
	}
	if r := callback("code-b", first, firstCookie); r.Status != http.StatusCreated {
		t.Errorf("CLI-made link finished in its browser: %d %s", r.Status, r.Body)
	}

	// Parameters: the API's rules, 400 for each, nothing stored.
	for _, q := range []string{"projects=", "projects=" + strings.Repeat("p", 300), "projects=a,%00", "name=%00bad", "name=a%0D%0Ab", "name=%FF%FE"} {
		if r := s.Do(t, http.MethodGet, "/v1/slack/install?redirect=false&"+q, s.Key, nil); r.Status != 400 {
			t.Errorf("install with %s: %d %s", q, r.Status, r.Body)
		}
	}
	var n int
	if err := s.Store.DB().QueryRow(`SELECT count(*) FROM integrations WHERE type = 'slack'`).Scan(&n); err != nil || n != 2 {
		t.Errorf("%d slack integrations, want 2 (%v)", n, err)
	}
}

func TestAddToSlackNeedsConfiguration(t *testing.T) {
	s := testenv.NewStack(t)
	r := s.Do(t, http.MethodGet, "/v1/slack/install", s.Key, nil)
	if r.Status != http.StatusNotFound || !strings.Contains(string(r.Body), "HERALD_SLACK_CLIENT_ID") {
		t.Errorf("unconfigured install: %d %s", r.Status, r.Body)
	}
}
