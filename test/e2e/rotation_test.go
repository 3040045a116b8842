package e2e

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/test/fakes"
	"github.com/heraldhq/herald/test/testenv"
)

// seedReceiver is the seed platform's documented webhook handler: it
// compares the …-Token header with the secret it knows and answers 401 when
// they differ. knows is what it knows now: one secret, or two while its
// operator moves it from one to the other.
type seedReceiver struct {
	*httptest.Server
	mu      sync.Mutex
	knows   []string
	got     []*http.Request
	bodies  [][]byte
	refused int
}

func newSeedReceiver(t *testing.T) *seedReceiver {
	r := &seedReceiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		r.got, r.bodies = append(r.got, req), append(r.bodies, body)
		if !slices.Contains(r.knows, req.Header.Get("X-Northflank-Notification-Integration-Token")) {
			r.refused++
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *seedReceiver) learn(secrets ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.knows = secrets
}

func (r *seedReceiver) last() (*http.Request, []byte, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.got[len(r.got)-1], r.bodies[len(r.bodies)-1], r.refused
}

// An HMAC secret rotation end to end, with a receiver written like the
// seed's: it knows only the old secret through the overlap, then both, then
// only the new one once the overlap has ended. No request is refused at any
// point: the token header keeps the previous secret for the overlap while
// the signatures carry both (each verifies with either secret alone, by the
// Standard Webhooks library), and carries the new one after.
func TestSecretRotation(t *testing.T) {
	s := testenv.NewStack(t)
	recv := newSeedReceiver(t)
	integ := s.CreateIntegration(t, map[string]any{"name": "rotating", "type": "webhook", "url": recv.URL, "events": []string{"build:*"}, "generateSecret": true})
	old := integ.Secret
	recv.learn(old)
	deliver := func(id string) (*http.Request, []byte) {
		t.Helper()
		res := s.AwaitWorkflow(t, s.PostEvent(t, map[string]any{"id": id, "event": "build:start"}))
		if res.Deliveries[0].Status != herald.DeliveryDelivered {
			t.Fatalf("%s: %+v", id, res.Deliveries[0])
		}
		req, body, refused := recv.last()
		if refused != 0 {
			t.Fatalf("%s: the receiver refused %d requests", id, refused)
		}
		return req, body
	}
	verifies := func(what string, req *http.Request, body []byte, secrets ...string) {
		t.Helper()
		for _, sec := range secrets {
			wh, err := standardwebhooks.NewWebhook(sec)
			if err != nil {
				t.Fatal(err)
			}
			if err := wh.Verify(body, req.Header); err != nil {
				t.Errorf("%s: the signature does not verify with %s…: %v", what, sec[:10], err)
			}
		}
	}
	deliver("before")

	r := s.Do(t, http.MethodPost, "/v1/integrations/"+integ.ID+"/rotate-secret", s.Key, nil)
	var rot struct{ Secret, PreviousSecretExpiresAt string }
	r.JSON(t, &rot)
	if r.Status != http.StatusOK || rot.Secret == old || !strings.HasPrefix(rot.Secret, "whsec_") || rot.PreviousSecretExpiresAt == "" {
		t.Fatalf("rotate: %d %s", r.Status, r.Body)
	}
	// The overlap, the receiver knowing only the old secret.
	req, body := deliver("overlap-old")
	if sigs := strings.Fields(req.Header.Get("Webhook-Signature")); len(sigs) != 2 {
		t.Errorf("signatures %q: want two during the overlap", req.Header.Get("Webhook-Signature"))
	}
	verifies("during the overlap", req, body, old, rot.Secret)
	// A test notification takes the same attempt path.
	if r := s.Do(t, http.MethodPost, "/v1/integrations/"+integ.ID+"/test", s.Key, nil); r.Status != http.StatusOK {
		t.Fatalf("test notification: %d %s", r.Status, r.Body)
	}
	if req, body, refused := recv.last(); refused != 0 {
		t.Errorf("the test notification was refused")
	} else {
		verifies("the test notification", req, body, old, rot.Secret)
	}
	// The operator moves the receiver: both secrets, for a while.
	recv.learn(old, rot.Secret)
	deliver("overlap-both")
	// The overlap ends (its grace is 24 h: here it is ended by hand), and
	// the receiver knows only the new secret.
	if _, err := s.Store.DB().Exec(`UPDATE integrations SET previous_secret_expires_at = now() WHERE id = $1`, integ.ID); err != nil {
		t.Fatal(err)
	}
	recv.learn(rot.Secret)
	req, body = deliver("after")
	if req.Header.Get("X-Northflank-Notification-Integration-Token") != rot.Secret || len(strings.Fields(req.Header.Get("Webhook-Signature"))) != 1 {
		t.Errorf("after the overlap: token %q…, signature %q; want the new secret alone", req.Header.Get("X-Northflank-Notification-Integration-Token")[:10], req.Header.Get("Webhook-Signature"))
	}
	verifies("after the overlap", req, body, rot.Secret)
	// Chat integrations have no secret to rotate.
	chat := s.CreateIntegration(t, map[string]any{"name": "chat", "type": "slack", "url": fakes.NewSlack(t).URL("ok"), "events": []string{"none:ever"}})
	if r := s.Do(t, http.MethodPost, "/v1/integrations/"+chat.ID+"/rotate-secret", s.Key, nil); r.Status != http.StatusBadRequest {
		t.Errorf("rotate a Slack integration: %d", r.Status)
	}
}
