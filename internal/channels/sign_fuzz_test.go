package channels

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// FuzzSigning: every signature verifies with an independent Standard Webhooks
// implementation, and not for another body.
func FuzzSigning(f *testing.F) {
	f.Add("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "dlv_1", []byte(`{"event":"a:b","data":{}}`), int64(1700000000))
	f.Add("plain-token", "msg", []byte(""), int64(0))
	f.Add("whsec_not-base64!", "id with spaces", []byte("\x00\xff"), int64(-5))
	f.Fuzz(func(t *testing.T, secret, id string, body []byte, ts int64) {
		if secret == "" || len(id) == 0 || len(id) > 200 {
			return
		}
		at := time.Unix(ts%(1<<40), 0)
		sig := Sign(secret, id, at, body)
		wh, err := standardwebhooks.NewWebhookRaw(signingKey(secret))
		if err != nil {
			return
		}
		h := http.Header{}
		h.Set("webhook-id", id)
		h.Set("webhook-timestamp", strconv.FormatInt(at.Unix(), 10))
		h.Set("webhook-signature", sig)
		if err := wh.VerifyIgnoringTimestamp(body, h); err != nil {
			t.Fatalf("signature does not verify: %v", err)
		}
		if err := wh.VerifyIgnoringTimestamp(append(append([]byte(nil), body...), 'x'), h); err == nil {
			t.Fatal("a changed body verified")
		}
	})
}
