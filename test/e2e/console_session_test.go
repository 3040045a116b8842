package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/heraldhq/herald/test/testenv"
)

// In headless Chromium: signing in makes a server-side session whose cookie
// is neither the key nor any part of it; signing out ends it, and so does
// revoking the key, at once, even for a browser that kept the cookie.
func TestConsoleSessionInABrowser(t *testing.T) {
	s := testenv.NewStack(t)
	_, key := teamKey(t, s, "manage")
	k, err := s.Store.Authenticate(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	keyID := k.ID
	ctx := browser(t, 1024, 768)
	signIn := func(what string) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/console/login"), chromedp.WaitVisible(css(`input[name=key]`)),
			chromedp.SendKeys(css(`input[name=key]`), key), chromedp.Submit(css(`input[name=key]`)),
			chromedp.WaitVisible(css(`table, .empty`))); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	session := func() *network.Cookie {
		t.Helper()
		res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{s.URL + "/console/"}})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range res.Cookies {
			if c.Name == "herald_console" {
				return c
			}
		}
		return nil
	}
	signedOut := func(what string) {
		t.Helper()
		loc, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil || !strings.HasSuffix(loc, "/console/login") {
			t.Errorf("%s: at %s (%v), want the sign-in page", what, loc, err)
		}
	}

	signIn("sign in")
	c := session()
	if c == nil || !c.HTTPOnly || c.SameSite != network.CookieSameSiteStrict {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Strict", c)
	}
	secret := strings.TrimPrefix(key, "hk_")
	for i := 0; i+8 <= len(secret); i++ {
		if strings.Contains(c.Value, secret[i:i+8]) {
			t.Fatalf("the cookie %q holds part of the key", c.Value)
		}
	}
	if !strings.HasPrefix(c.Value, "hs_") || strings.Contains(c.Value, key) {
		t.Errorf("cookie value %q: want a session id", c.Value)
	}
	var stored int
	if err := s.Store.DB().QueryRow(`SELECT count(*) FROM console_sessions cs WHERE strpos(cs::text, $1) > 0`, c.Value).Scan(&stored); err != nil || stored != 0 {
		t.Errorf("the session id is stored as it is (%d rows, %v)", stored, err)
	}
	if page, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.outerHTML`)); err != nil || strings.Contains(page, key) {
		t.Errorf("the page holds the key (%v)", err)
	}

	// Sign out: the old cookie, sent again, opens nothing.
	old := c.Value
	if err := chromedp.Do(ctx, chromedp.Submit(css(`form[action="/console/logout"] button`)), chromedp.WaitVisible(css(`input[name=key]`))); err != nil {
		t.Fatalf("sign out: %v", err)
	}
	signedOut("after signing out")
	if r := consoleGet(t, s, old); r != http.StatusSeeOther {
		t.Errorf("the signed-out session's cookie: %d, want a redirect to sign in", r)
	}

	// Revoking the key ends a live session at its next request.
	signIn("sign in again")
	live := session().Value
	if r := consoleGet(t, s, live); r != http.StatusOK {
		t.Fatalf("live session: %d", r)
	}
	if _, err := s.Store.RevokeKey(context.Background(), "", keyID); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/console"), chromedp.WaitVisible(css(`input[name=key]`))); err != nil {
		t.Fatalf("after revoking: %v", err)
	}
	signedOut("after revoking the key")
	if r := consoleGet(t, s, live); r != http.StatusSeeOther {
		t.Errorf("the revoked key's session: %d", r)
	}
	if strings.Contains(s.Logs.String(), secret) {
		t.Error("the key is in the logs")
	}
}

// consoleGet asks for the console's first page with a session cookie and
// returns the status, redirects not followed.
func consoleGet(t *testing.T, s *testenv.Stack, session string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/console/", nil)
	req.AddCookie(&http.Cookie{Name: "herald_console", Value: session})
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
