package channels

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

func TestWebhookRenderSignsVerifiably(t *testing.T) {
	secret, err := GenerateSecret()
	if err != nil {
		t.Fatal(err)
	}
	w := &Webhook{HeaderPrefix: "X-Northflank-Notification-Integration-"}
	ts := time.Now()
	req, err := w.Render(Message{
		DeliveryID: "dlv_1", EventID: "ev_1", EventType: "build:start",
		Data:          json.RawMessage(`{"b":1,"a":[true,null]}`),
		IntegrationID: "int_1", IntegrationName: "hook", URL: "https://example.com/x",
		Secret: secret, Timestamp: ts,
	})
	if err != nil {
		t.Fatal(err)
	}
	if string(req.Body) != `{"event":"build:start","data":{"b":1,"a":[true,null]}}` {
		t.Errorf("body %s", req.Body)
	}
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := wh.Verify(req.Body, req.Header); err != nil {
		t.Errorf("verify: %v", err)
	}
	tampered := append([]byte(nil), req.Body...)
	tampered[len(tampered)-2] = '0'
	if err := wh.Verify(tampered, req.Header); err == nil {
		t.Error("a tampered body verified")
	}
	// The library's own signature of the same message is ours.
	if sig, _ := wh.Sign("dlv_1", time.Unix(ts.Unix(), 0), req.Body); sig != req.Header.Get("webhook-signature") {
		t.Errorf("signature %q, library says %q", req.Header.Get("webhook-signature"), sig)
	}
	if req.Header.Get("X-Northflank-Notification-Integration-Token") != secret {
		t.Error("token header missing")
	}
}

func TestWebhookPlainTokenSecretSignsWithItsBytes(t *testing.T) {
	w := &Webhook{HeaderPrefix: "X-P-"}
	req, err := w.Render(Message{DeliveryID: "d", EventType: "a:b", Secret: "plain-token", Timestamp: time.Unix(1700000000, 0)})
	if err != nil {
		t.Fatal(err)
	}
	wh, err := standardwebhooks.NewWebhookRaw([]byte("plain-token"))
	if err != nil {
		t.Fatal(err)
	}
	if err := wh.VerifyIgnoringTimestamp(req.Body, req.Header); err != nil {
		t.Errorf("verify: %v", err)
	}
	if string(req.Body) != `{"event":"a:b","data":{}}` {
		t.Errorf("empty data body %s", req.Body)
	}
}

func TestValidateSecret(t *testing.T) {
	if err := ValidateSecret("whsec_not*base64"); err == nil {
		t.Error("bad whsec_ secret accepted")
	}
	if err := ValidateSecret(strings.Repeat("x", 2000)); err == nil {
		t.Error("oversize secret accepted")
	}
	for _, ok := range []string{"", "anything", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"} {
		if err := ValidateSecret(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
}

func TestMaskedHeadersNameTheToken(t *testing.T) {
	w := &Webhook{HeaderPrefix: "X-P-"}
	if got := w.SecretHeaders(); len(got) != 1 || http.CanonicalHeaderKey(got[0]) != "X-P-Token" {
		t.Errorf("secret headers %v", got)
	}
}
