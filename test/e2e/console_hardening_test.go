package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/test/testenv"
)

// consoleClient is a browser without JavaScript: it keeps cookies by hand and
// does not follow redirects, so each answer can be read.
type consoleClient struct {
	t       *testing.T
	base    string
	cookies map[string]string
}

func (b *consoleClient) do(method, path string, form url.Values, header ...string) (*http.Response, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, b.base+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range b.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.MaxAge < 0 {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c.Value
		}
	}
	data, _ := io.ReadAll(resp.Body)
	return resp, string(data)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func formToken(t *testing.T, page string) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no csrf field in the page: %.300s", page)
	}
	return m[1]
}

func TestConsoleRefusesForgedAndInjectedRequests(t *testing.T) {
	s := testenv.NewStack(t)
	recv := testenv.NewReceiver(t)
	integ := s.CreateIntegration(t, map[string]any{"name": "guarded", "type": "webhook", "url": recv.URL, "events": []string{"*"}})
	b := &consoleClient{t: t, base: s.URL, cookies: map[string]string{}}

	// Login CSRF: a post without the form's token (another site's form) is refused.
	_, loginPage := b.do("GET", "/console/login", nil)
	token := formToken(t, loginPage)
	if r, _ := (&consoleClient{t: t, base: s.URL, cookies: map[string]string{}}).do("POST", "/console/login", url.Values{"key": {s.Key}, "csrf": {token}}); r.StatusCode != 403 {
		t.Errorf("login without the form's cookie: %d, want 403", r.StatusCode)
	}
	if r, _ := b.do("POST", "/console/login", url.Values{"key": {s.Key}, "csrf": {token}}, "Origin", "https://evil.example"); r.StatusCode != 403 {
		t.Errorf("login posted from another origin: %d, want 403", r.StatusCode)
	}
	if _, ok := b.cookies["herald_console"]; ok {
		t.Fatal("a refused login signed the browser in")
	}
	if r, _ := b.do("POST", "/console/login", url.Values{"key": {s.Key}, "csrf": {token}}, "Origin", s.URL); r.StatusCode != 303 || b.cookies["herald_console"] == "" {
		t.Fatalf("login from the console's own form: %d", r.StatusCode)
	}

	// The CSRF token counts only in the form body, and only from this origin.
	_, page := b.do("GET", "/console", nil)
	csrf := formToken(t, page)
	disable := "/console/integrations/" + integ.ID + "/disable"
	if r, _ := b.do("POST", disable+"?csrf="+url.QueryEscape(csrf), url.Values{}); r.StatusCode != 403 {
		t.Errorf("CSRF token in the query string: %d, want 403", r.StatusCode)
	}
	if r, _ := b.do("POST", disable, url.Values{"csrf": {csrf}}, "Origin", "https://evil.example"); r.StatusCode != 403 {
		t.Errorf("a valid token posted from another origin: %d, want 403", r.StatusCode)
	}
	if r, _ := b.do("POST", disable, url.Values{"csrf": {csrf}}, "Sec-Fetch-Site", "cross-site"); r.StatusCode != 403 {
		t.Errorf("a valid token posted cross-site (no Origin): %d, want 403", r.StatusCode)
	}
	if in, _ := s.Store.GetIntegration(context.Background(), s.Team, integ.ID); !in.Enabled {
		t.Fatal("a refused form disabled the integration")
	}
	r, _ := b.do("POST", disable, url.Values{"csrf": {csrf}}, "Origin", s.URL)
	if r.StatusCode != 303 || strings.Contains(r.Header.Get("Location"), "msg=") {
		t.Fatalf("disable from the console: %d to %q", r.StatusCode, r.Header.Get("Location"))
	}
	// The action's message shows once, from a cookie; text in ?msg= never shows.
	if _, page := b.do("GET", "/console", nil); !strings.Contains(page, "guarded disabled.") {
		t.Error("the action's flash message is missing")
	}
	if _, page := b.do("GET", "/console", nil); strings.Contains(page, "guarded disabled.") {
		t.Error("the flash message showed twice")
	}
	if _, page := b.do("GET", "/console?msg=Your+account+is+locked.+Call+555-0100", nil); strings.Contains(page, "555-0100") {
		t.Error("text from ?msg= is shown on the page")
	}
}

func TestConsolePagesIntegrationsAndShowsSetAsideEvents(t *testing.T) {
	s := testenv.NewStack(t)
	ctx := context.Background()
	const n = 205
	for i := range n {
		if _, err := s.Store.CreateIntegration(ctx, store.Integration{TeamID: s.Team, Name: fmt.Sprintf("integ-%03d", i), Type: "webhook",
			URL: "https://example.com/h", Events: []string{"*"}, Enabled: true}); err != nil {
			t.Fatal(err)
		}
	}
	// An event the outbox gave up on, as the dispatcher leaves it.
	if err := s.Store.EnqueueEvent(ctx, store.OutboxEvent{TeamID: s.Team, EventID: "evt-stuck-1", Input: json.RawMessage(`{}`), ReceivedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Store.DB().Exec(`UPDATE event_outbox SET set_aside_at = now(), tries = 5, last_error = 'search attribute too large' WHERE event_id = 'evt-stuck-1'`); err != nil {
		t.Fatal(err)
	}
	b := &consoleClient{t: t, base: s.URL, cookies: map[string]string{}}
	_, login := b.do("GET", "/console/login", nil)
	if r, _ := b.do("POST", "/console/login", url.Values{"key": {s.Key}, "csrf": {formToken(t, login)}}); r.StatusCode != 303 {
		t.Fatalf("login: %d", r.StatusCode)
	}
	rows := regexp.MustCompile(`data-integration="`)
	next := regexp.MustCompile(`href="(/console\?cursor=[^"]+)" data-next`)
	_, first := b.do("GET", "/console", nil)
	m := next.FindStringSubmatch(first)
	if got := len(rows.FindAllString(first, -1)); got != 200 || m == nil {
		t.Fatalf("first page: %d rows, next link %v", got, m)
	}
	_, second := b.do("GET", strings.ReplaceAll(m[1], "&amp;", "&"), nil)
	if got := len(rows.FindAllString(second, -1)); got != n-200 || next.MatchString(second) {
		t.Errorf("second page: %d rows (want %d) and next link %v", got, n-200, next.MatchString(second))
	}
	if !strings.Contains(first, `data-event="evt-stuck-1"`) || !strings.Contains(first, "search attribute too large") {
		t.Error("the set-aside event and its reason are not on the integrations page")
	}
}

// Keys that do not exist are rate limited per address before any lookup;
// a client with a valid key carries on.
func TestGarbageKeysAreRateLimited(t *testing.T) {
	s := testenv.NewStack(t)
	s.Do(t, "GET", "/v1/integrations", s.Key, nil) // the valid key is now known
	limited := 0
	for i := range 60 {
		r := s.Do(t, "GET", "/v1/integrations", fmt.Sprintf("hk_garbage%04d", i), nil)
		switch r.Status {
		case 401:
		case 429:
			limited++
			if r.Header.Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
		default:
			t.Fatalf("garbage key %d: %d %s", i, r.Status, r.Body)
		}
	}
	if limited == 0 {
		t.Error("60 unknown keys in a row were never rate limited")
	}
	if r := s.Do(t, "GET", "/v1/integrations", s.Key, nil); r.Status != 200 {
		t.Errorf("the valid key after the flood: %d", r.Status)
	}
}

// The console is under the signed-in key's rate limit like the API.
func TestConsoleIsRateLimited(t *testing.T) {
	s := testenv.NewStack(t, func(c *config.Config) { c.RateLimit, c.RateBurst = 1, 3 })
	b := &consoleClient{t: t, base: s.URL, cookies: map[string]string{}}
	_, login := b.do("GET", "/console/login", nil)
	if r, _ := b.do("POST", "/console/login", url.Values{"key": {s.Key}, "csrf": {formToken(t, login)}}); r.StatusCode != 303 {
		t.Fatalf("login: %d", r.StatusCode)
	}
	limited := false
	for range 10 {
		if r, _ := b.do("GET", "/console", nil); r.StatusCode == http.StatusTooManyRequests {
			limited = r.Header.Get("Retry-After") != ""
			break
		}
	}
	if !limited {
		t.Error("10 console pages at once under a rate of 1/s (burst 3) were never answered 429 with Retry-After")
	}
}

// Signing in to the console, failing to, and signing out are audited:
// with the key that did it (never the key itself) and where from.
func TestConsoleSignInsAreAudited(t *testing.T) {
	s := testenv.NewStack(t)
	_, ingestOnly := testenv.TeamWithKey(t, s.Store, s.Team, "ingest")
	b := &consoleClient{t: t, base: s.URL, cookies: map[string]string{}}
	login := func(key string) int {
		_, page := b.do("GET", "/console/login", nil)
		r, _ := b.do("POST", "/console/login", url.Values{"key": {key}, "csrf": {formToken(t, page)}})
		return r.StatusCode
	}
	if st := login("hk_not-a-key-of-anyone"); st != http.StatusUnauthorized {
		t.Fatalf("an unknown key: %d", st)
	}
	if st := login(ingestOnly); st != http.StatusUnauthorized {
		t.Fatalf("a key without manage: %d", st)
	}
	if st := login(s.Key); st != http.StatusSeeOther {
		t.Fatalf("sign in: %d", st)
	}
	_, page := b.do("GET", "/console", nil)
	if r, _ := b.do("POST", "/console/logout", url.Values{"csrf": {formToken(t, page)}}, "Origin", s.URL); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign out: %d", r.StatusCode)
	}
	entries, err := s.Store.ListAudit(context.Background(), store.AuditFilter{TeamID: s.Team, Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		if strings.HasPrefix(string(e.Action), "console.") {
			var sum map[string]any
			_ = json.Unmarshal(e.Summary, &sum)
			got = append(got, fmt.Sprintf("%s via %s %v", e.Action, e.Via, sum["reason"]))
			if strings.Contains(string(e.Summary), "hk_") {
				t.Errorf("%s records a key: %s", e.Action, e.Summary)
			}
		}
	}
	want := []string{"console.sign-out via console <nil>", "console.sign-in via console <nil>", "console.sign-in-failed via console no manage scope"}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Fatalf("the team's console entries, newest first:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var anon int
	if err := s.Store.DB().QueryRow(`SELECT count(*) FROM audit_log WHERE team_id IS NULL AND action = 'console.sign-in-failed'
		AND summary->>'reason' = 'unknown or revoked key'`).Scan(&anon); err != nil || anon != 1 {
		t.Fatalf("the unknown key's failed sign-in: %d entries (%v)", anon, err)
	}
}
