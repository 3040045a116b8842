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
			if tok, _, err := ts.Token(ctx, "int_1", o, nil); err != nil || tok != "t1" {
				t.Errorf("token %q %v", tok, err)
			}
		})
	}
	wg.Wait()
	if n.Load() != 1 {
		t.Fatalf("%d requests for 40 callers at once", n.Load())
	}
	c.add(89 * time.Second) // lifetime 100 s, margin 10 s
	if tok, fresh, _ := ts.Token(ctx, "int_1", o, nil); tok != "t1" || fresh {
		t.Fatalf("at 89 s: %q fresh=%v", tok, fresh)
	}
	c.add(2 * time.Second)
	if tok, fresh, _ := ts.Token(ctx, "int_1", o, nil); tok != "t2" || !fresh {
		t.Fatalf("at 91 s: %q fresh=%v", tok, fresh)
	}
	ts.Forget("int_1", "t1") // an older token: nothing happens
	if tok, _, _ := ts.Token(ctx, "int_1", o, nil); tok != "t2" {
		t.Fatalf("forgetting an old token dropped the new one: %q", tok)
	}
	ts.Forget("int_1", "t2")
	if tok, _, _ := ts.Token(ctx, "int_1", o, nil); tok != "t3" || n.Load() != 3 {
		t.Fatalf("after Forget: %q, %d requests", tok, n.Load())
	}
	// The integration's grant changed (another client secret): its token
	// is replaced, not kept beside the new one.
	other := *o
	other.ClientSecret = "c"
	if tok, _, _ := ts.Token(ctx, "int_1", &other, nil); tok != "t4" || ts.Len() != 1 {
		t.Fatalf("a changed grant: %q, %d tokens kept", tok, ts.Len())
	}
	// Another integration of the same grant has its own token; Drop lets
	// go of one integration's.
	if tok, _, _ := ts.Token(ctx, "int_2", &other, nil); tok != "t5" || ts.Len() != 2 {
		t.Fatalf("another integration: %q, %d tokens kept", tok, ts.Len())
	}
	ts.Drop("int_1")
	if ts.Len() != 1 {
		t.Fatalf("%d tokens kept after Drop", ts.Len())
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
			tok, _, err := ts.Token(context.Background(), "int_1", &OAuth2{TokenURL: srv.URL, ClientID: "id", ClientSecret: "s3cr3t-value"}, nil)
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

// A thousand integrations, each with its own grant and a token of the
// largest size, keep the cache within its budget.
func TestTokenCacheStaysWithinItsBudget(t *testing.T) {
	big := strings.Repeat("t", maxTokenBody-100)
	srv, n := tokenEndpoint(t, func(_ int32, w http.ResponseWriter) {
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": big, "token_type": "bearer", "expires_in": 3600})
	})
	ts := NewTokens(NewSender(SenderOptions{Timeout: 5 * time.Second, ConnectTimeout: time.Second, BodyLimit: 1024}), nil)
	for i := range 1000 {
		o := &OAuth2{TokenURL: srv.URL, ClientID: fmt.Sprint("client-", i), ClientSecret: "s"}
		if _, _, err := ts.Token(context.Background(), fmt.Sprint("int_", i), o, nil); err != nil {
			t.Fatal(err)
		}
		if ts.Bytes() > TokenCacheBytes {
			t.Fatalf("after %d grants the cache holds %d bytes, over its %d", i+1, ts.Bytes(), TokenCacheBytes)
		}
	}
	if n.Load() != 1000 || ts.Len() == 0 || ts.Len() > TokenCacheBytes/len(big) {
		t.Fatalf("%d requests; %d tokens of %d bytes kept in a %d-byte cache", n.Load(), ts.Len(), len(big), TokenCacheBytes)
	}
}

// expires_in is read strictly: what is not a finite number of seconds
// from 1 to a year is the default lifetime; what is longer than the most a
// token is kept is that most.
func TestTokenLifetime(t *testing.T) {
	for raw, want := range map[string]time.Duration{
		``:              TokenDefaultLifetime,
		`3600`:          time.Hour,
		`"600"`:         10 * time.Minute,
		`1.5`:           1500 * time.Millisecond,
		`"Infinity"`:    TokenDefaultLifetime,
		`"NaN"`:         TokenDefaultLifetime,
		`-5`:            TokenDefaultLifetime,
		`0`:             TokenDefaultLifetime,
		`1e300`:         TokenDefaultLifetime,
		`"soon"`:        TokenDefaultLifetime,
		`31536001`:      TokenDefaultLifetime,
		`{"seconds":5}`: TokenDefaultLifetime,
	} {
		if got := tokenLifetime(json.RawMessage(raw)); got != want {
			t.Errorf("expires_in %s: %s, want %s", raw, got, want)
		}
	}
}
