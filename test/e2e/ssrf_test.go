package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/channels"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/test/testenv"
)

// catcher is a loopback listener that must never be reached.
type catcher struct {
	ln   net.Listener
	mu   sync.Mutex
	hits int
}

func newCatcher(t *testing.T, addr string) *catcher {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen %s: %v", addr, err)
	}
	c := &catcher{ln: ln}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			c.mu.Lock()
			c.hits++
			c.mu.Unlock()
			conn.Close()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return c
}

func (c *catcher) port() string { return strings.Split(c.ln.Addr().String(), ":")[1] }

func (c *catcher) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hits
}

// rebinder answers a public address for its first lookup of a host, and
// loopback for every later one.
type rebinder struct {
	mu   sync.Mutex
	seen map[string]int
}

func (r *rebinder) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen[host]++
	if r.seen[host] == 1 {
		return []netip.Addr{netip.MustParseAddr("203.0.113.7")}, nil
	}
	return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
}

func TestSSRFGuard(t *testing.T) {
	trap := newCatcher(t, "127.0.0.1:0")
	// The one destination allowed here is a receiver on 127.0.0.2, which
	// redirects to the trap.
	redirector := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://127.0.0.1:"+trap.port()+"/stolen", http.StatusTemporaryRedirect)
	})}
	rl, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Fatalf("listen on 127.0.0.2: %v", err)
	}
	go func() { _ = redirector.Serve(rl) }()
	t.Cleanup(func() { redirector.Close() })

	s := testenv.NewStackResolving(t, &rebinder{seen: map[string]int{}}, func(c *config.Config) {
		c.AllowPrivateDestinations = "127.0.0.2/32"
		fastRetry(c)
		c.Retry.MaxAttempts = 2
	})
	p := trap.port()

	// Refused when the integration is created (or its URL changed).
	for _, u := range []string{
		"http://127.0.0.1:" + p + "/x",
		"http://localhost.:" + p + "/x", // resolved by the rebinder: public first, so only the dial can catch it
		"http://[::ffff:127.0.0.1]:" + p + "/x",
		"http://[::1]:" + p + "/x",
		"http://2130706433:" + p + "/x",
		"http://0177.0.0.1:" + p + "/x",
		"http://0x7f.1:" + p + "/x",
		"http://169.254.169.254/latest/meta-data/",
		"http://10.0.0.5/x", "http://192.168.1.1/x", "http://172.16.0.1/x", "http://100.64.0.1/x",
		"http://[fd00::1]/x", "http://[fe80::1]/x", "http://0.0.0.0:" + p + "/x",
		// IPv6 forms that carry 127.0.0.1, deprecated private ranges, and
		// fullwidth digits that IDNA turns into 127.0.0.1.
		"http://[::127.0.0.1]:" + p + "/x", "http://[::ffff:0:127.0.0.1]:" + p + "/x",
		"http://[64:ff9b:1::7f00:1]:" + p + "/x", "http://[2002:7f00:1::]:" + p + "/x", "http://[fec0::1]/x",
		"http://１２７.０.０.１:" + p + "/x",
	} {
		r := s.Do(t, http.MethodPost, "/v1/integrations", s.Key, map[string]any{"name": "ssrf", "type": "webhook", "url": u, "events": []string{"*"}})
		wantRefused := !strings.Contains(u, "localhost.")
		if wantRefused && (r.Status != 400 || !strings.Contains(string(r.Body), "refused")) {
			t.Errorf("create with %s: %d %s", u, r.Status, r.Body)
		}
		if !wantRefused && r.Status != 201 {
			t.Errorf("create with %s (public at first lookup): %d %s", u, r.Status, r.Body)
		}
	}

	// Stored destinations that point inside (written before a policy change,
	// or straight into the database) are refused at connect time.
	ctx := context.Background()
	inside := []string{
		"http://127.0.0.1:" + p + "/x", "http://[::ffff:127.0.0.1]:" + p + "/x", "http://2130706433:" + p + "/x",
		"http://0177.0.0.1:" + p + "/x",
		"http://[::127.0.0.1]:" + p + "/x", "http://[::ffff:0:127.0.0.1]:" + p + "/x", "http://[64:ff9b:1::7f00:1]:" + p + "/x",
		"http://[2002:7f00:1::]:" + p + "/x", "http://[fec0::1]:" + p + "/x", "http://１２７.０.０.１:" + p + "/x",
	}
	for _, u := range inside {
		if _, err := s.Store.CreateIntegration(ctx, store.Integration{TeamID: s.Team, Name: "inside", Type: herald.IntegrationWebhook,
			URL: u, Events: []string{"*"}, Enabled: true}); err != nil {
			t.Fatal(err)
		}
	}
	s.CreateIntegration(t, map[string]any{"name": "redirects", "type": "webhook", "url": "http://127.0.0.2:" + strings.Split(rl.Addr().String(), ":")[1] + "/in", "events": []string{"*"}})

	res := s.AwaitWorkflow(t, s.PostEvent(t, map[string]any{"id": "ssrf-1", "event": "build:start"}))
	if len(res.Deliveries) != len(inside)+2 {
		t.Fatalf("%d deliveries, want %d", len(res.Deliveries), len(inside)+2)
	}
	refused := 0
	for _, o := range res.Deliveries {
		d := s.Delivery(t, o.DeliveryID)
		if d.IntegrationName == "redirects" {
			// The redirect is answered, not followed.
			if d.AttemptLog[0].Response == nil || d.AttemptLog[0].Response.Status != http.StatusTemporaryRedirect {
				t.Errorf("redirecting receiver: %+v", d.AttemptLog[0])
			}
			continue
		}
		a := d.AttemptLog[0]
		if d.Status != herald.DeliveryFailed || len(d.AttemptLog) != 1 || a.Outcome != herald.OutcomePermanent || !strings.Contains(a.Error, "refused") {
			t.Errorf("%s: %+v %+v", d.IntegrationName, d, a)
			continue
		}
		refused++
	}
	if refused != len(inside)+1 {
		t.Errorf("%d deliveries refused, want %d (%d stored + the rebinding host)", refused, len(inside)+1, len(inside))
	}
	if n := trap.count(); n != 0 {
		t.Errorf("the loopback trap was reached %d times", n)
	}
}

// Herald's own services stay unreachable where private destinations are
// allowed, through every address of this machine: the gateway, Temporal's
// frontend and its HTTP API, and Postgres, as destinations and as token
// URLs, at 127.0.0.1 and through the unspecified addresses (0.0.0.0, [::],
// [::ffff:0.0.0.0]), which a dial takes to this machine too.
func TestSSRFGuardKeepsHeraldsOwnServicesOut(t *testing.T) {
	s := testenv.NewStack(t) // private destinations allowed, as in development
	port := func(hostport string) string { _, p, _ := net.SplitHostPort(hostport); return p }
	temporal := port(s.Config.TemporalAddress)
	temporalHTTP := fmt.Sprint(atoi(t, temporal) + 10)
	pg := port(strings.Split(strings.Split(s.Config.DatabaseURL, "@")[1], "/")[0])
	for _, p := range []string{port(s.Config.Listen), temporal, temporalHTTP, pg} {
		for _, host := range []string{"127.0.0.1", "0.0.0.0", "[::]", "[::ffff:0.0.0.0]"} {
			target := "http://" + host + ":" + p + "/x"
			for field, body := range map[string]map[string]any{
				"url": {"name": "inward", "type": "webhook", "url": target, "events": []string{"*"}},
				"oauth2.tokenUrl": {"name": "inward", "type": "webhook", "url": "http://127.0.0.1:9/x", "events": []string{"*"},
					"oauth2": map[string]any{"tokenUrl": target, "clientId": "c", "clientSecret": "s"}},
			} {
				r := s.Do(t, http.MethodPost, "/v1/integrations", s.Key, body)
				if r.Status != 400 || !strings.Contains(string(r.Body), "Herald's own services") || !strings.Contains(string(r.Body), field) {
					t.Errorf("%s %s: %d %s", field, target, r.Status, r.Body)
				}
			}
		}
	}
}

// The loop the review made: a webhook to the gateway's own ingest route
// through 0.0.0.0, carrying the team's key, re-ingested each payload it
// delivered (one event became 302 in 6 s). Refused when created; and one
// written straight into the database is refused when dialled: one event
// stays one event.
func TestNoLoopThroughTheUnspecifiedAddress(t *testing.T) {
	s := testenv.NewStack(t)
	loop := "http://0.0.0.0:" + strings.Split(s.Config.Listen, ":")[1] + "/v1/events"
	headers := map[string]string{"Authorization": "Bearer " + s.Key}
	r := s.Do(t, http.MethodPost, "/v1/integrations", s.Key, map[string]any{"name": "loop", "type": "webhook", "url": loop,
		"events": []string{"*"}, "headers": headers})
	if r.Status != 400 || !strings.Contains(string(r.Body), "Herald's own services") {
		t.Fatalf("the loop was accepted: %d %s", r.Status, r.Body)
	}
	if _, err := s.Store.CreateIntegration(context.Background(), store.Integration{TeamID: s.Team, Name: "loop", Type: herald.IntegrationWebhook,
		URL: loop, Events: []string{"*"}, Enabled: true, Auth: channels.EndpointAuth{Headers: headers}}); err != nil {
		t.Fatal(err)
	}
	res := s.AwaitWorkflow(t, s.PostEvent(t, map[string]any{"id": "once", "event": "build:start"}))
	d := s.Delivery(t, res.Deliveries[0].DeliveryID)
	if d.Status != herald.DeliveryFailed || len(d.AttemptLog) != 1 || !strings.Contains(d.AttemptLog[0].Error, "Herald's own services") {
		t.Fatalf("the stored loop: %s, %d attempts %+v", d.Status, len(d.AttemptLog), d.AttemptLog)
	}
	var events int
	if err := s.Store.DB().QueryRow(`SELECT count(*) FROM events`).Scan(&events); err != nil || events != 1 {
		t.Fatalf("%d events (%v): the loop re-ingested", events, err)
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
