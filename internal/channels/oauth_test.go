package channels

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func tokenEndpoint(t *testing.T, answer func(n int32, w http.ResponseWriter)) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		answer(n.Add(1), w)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// A token is used until shortly before it expires (a tenth of its lifetime,
// at most a minute), then asked for again; concurrent callers share one
// request; Forget drops only the token it names.
func TestTokensCacheUntilShortlyBeforeExpiry(t *testing.T) {
	srv, n := tokenEndpoint(t, func(n int32, w http.ResponseWriter) {
		time.Sleep(20 * time.Millisecond) // callers pile up on the flight
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": fmt.Sprintf("t%d", n), "token_type": "bearer", "expires_in": 100})
	})
	c := &clock{t: time.Unix(1_000_000, 0)}
	ts := NewTokens(NewSender(SenderOptions{Timeout: 5 * time.Second, ConnectTimeout: time.Second, BodyLimit: 1024}), c.now)
	o := &OAuth2{TokenURL: srv.URL, ClientID: "a", ClientSecret: "b"}
	ctx := context.Background()

	var wg sync.WaitGroup
	for range 40 {
		wg.Go(func() {
			if tok, _, err := ts.Token(ctx, o, nil); err != nil || tok != "t1" {
				t.Errorf("token %q %v", tok, err)
			}
		})
	}
	wg.Wait()
	if n.Load() != 1 {
		t.Fatalf("%d requests for 40 callers at once", n.Load())
	}
	c.add(89 * time.Second) // lifetime 100 s, margin 10 s
	if tok, fresh, _ := ts.Token(ctx, o, nil); tok != "t1" || fresh {
		t.Fatalf("at 89 s: %q fresh=%v", tok, fresh)
	}
	c.add(2 * time.Second)
	if tok, fresh, _ := ts.Token(ctx, o, nil); tok != "t2" || !fresh {
		t.Fatalf("at 91 s: %q fresh=%v", tok, fresh)
	}
	ts.Forget(o, nil, "t1") // an older token: nothing happens
	if tok, _, _ := ts.Token(ctx, o, nil); tok != "t2" {
		t.Fatalf("forgetting an old token dropped the new one: %q", tok)
	}
	ts.Forget(o, nil, "t2")
	if tok, _, _ := ts.Token(ctx, o, nil); tok != "t3" || n.Load() != 3 {
		t.Fatalf("after Forget: %q, %d requests", tok, n.Load())
	}
	// Another grant (another client secret) has its own token.
	other := *o
	other.ClientSecret = "c"
	if tok, _, _ := ts.Token(ctx, &other, nil); tok != "t4" {
		t.Fatalf("another grant: %q", tok)
	}
}

// Every answer of a token endpoint gets its outcome: a refusal of the
// client is permanent, an outage is retried, and nothing of the client
// secret reaches the reason.
func TestTokenAnswers(t *testing.T) {
	for name, c := range map[string]struct {
		status int
		body   string
		want   herald.Outcome
		reason string
	}{
		"invalid client":     {401, `{"error":"invalid_client","error_description":"bad secret"}`, herald.OutcomePermanent, "401 invalid_client: bad secret"},
		"invalid scope":      {400, `{"error":"invalid_scope"}`, herald.OutcomePermanent, "400 invalid_scope"},
		"rate limited":       {429, ``, herald.OutcomeRetry, "429"},
		"down":               {503, `<html>`, herald.OutcomeRetry, "503"},
		"no token":           {200, `{"token_type":"bearer"}`, herald.OutcomeRetry, "no access_token"},
		"not json":           {200, `access_token=x`, herald.OutcomeRetry, "no access_token"},
		"not a bearer":       {200, `{"access_token":"x","token_type":"mac"}`, herald.OutcomePermanent, `"mac" is not bearer`},
		"expiry as a string": {200, `{"access_token":"x","expires_in":"3600"}`, "", ""},
	} {
		t.Run(name, func(t *testing.T) {
			srv, _ := tokenEndpoint(t, func(_ int32, w http.ResponseWriter) {
				w.WriteHeader(c.status)
				_, _ = w.Write([]byte(c.body))
			})
			ts := NewTokens(NewSender(SenderOptions{Timeout: 5 * time.Second, ConnectTimeout: time.Second, BodyLimit: 1024}), nil)
			tok, _, err := ts.Token(context.Background(), &OAuth2{TokenURL: srv.URL, ClientID: "id", ClientSecret: "s3cr3t-value"}, nil)
			if c.want == "" {
				if err != nil || tok != "x" {
					t.Fatalf("%q %v", tok, err)
				}
				return
			}
			res := TokenResult(err)
			if res.Outcome != c.want || !strings.Contains(res.Reason, c.reason) || strings.Contains(res.Reason, "s3cr3t") {
				t.Fatalf("%+v", res)
			}
		})
	}
}
