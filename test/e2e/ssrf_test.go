package e2e

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/heraldhq/herald"
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
// allowed: Temporal's frontend and Postgres (the gateway's own port is
// covered in package ssrf; this stack's listener is not its configured one).
func TestSSRFGuardKeepsHeraldsOwnServicesOut(t *testing.T) {
	s := testenv.NewStack(t) // private destinations allowed, as in development
	pg := strings.Split(strings.Split(s.Config.DatabaseURL, "@")[1], "/")[0]
	for _, target := range []string{s.Config.TemporalAddress, pg} {
		r := s.Do(t, http.MethodPost, "/v1/integrations", s.Key, map[string]any{"name": "inward", "type": "webhook", "url": "http://" + target + "/x", "events": []string{"*"}})
		if r.Status != 400 || !strings.Contains(string(r.Body), "Herald's own services") {
			t.Errorf("integration aimed at %s: %d %s", target, r.Status, r.Body)
		}
	}
}
