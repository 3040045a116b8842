package channels

import (
	"crypto/ed25519"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"
)

// An Ed25519 key signs v1a over Standard Webhooks' content, verifiable with
// its whpk_ public key alone; the key never goes in a header.
func TestEd25519Signing(t *testing.T) {
	key, err := GenerateSecretFor(SigningEd25519)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(key, SigningKeyPrefix) || SigningOf(key) != SigningEd25519 || ValidateSecret(key) != nil {
		t.Fatalf("generated key %q", key[:8])
	}
	pub := PublicKey(key)
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(pub, PublicKeyPrefix))
	if !strings.HasPrefix(pub, PublicKeyPrefix) || err != nil || len(raw) != ed25519.PublicKeySize {
		t.Fatalf("public key %q (%v)", pub, err)
	}
	ts := time.Unix(1700000000, 0)
	body := []byte(`{"event":"build:start","data":{}}`)
	sig, ok := strings.CutPrefix(Sign(key, "dlv_1", ts, body), "v1a,")
	if !ok {
		t.Fatalf("signature %q: want v1a,", sig)
	}
	sb, _ := base64.StdEncoding.DecodeString(sig)
	if !ed25519.Verify(raw, []byte("dlv_1.1700000000."+string(body)), sb) {
		t.Error("the signature does not verify with the public key")
	}
	if ed25519.Verify(raw, []byte("dlv_2.1700000000."+string(body)), sb) {
		t.Error("the signature verifies for another message id")
	}

	// Rotating from HMAC to Ed25519: both sign during the grace, and the
	// token header keeps the previous HMAC secret (a receiver written like
	// the seed's compares it); the Ed25519 key is in no header.
	old, _ := GenerateSecretFor(SigningHMAC)
	w := &Webhook{HeaderPrefix: "X-H-"}
	req, err := w.Render(Message{DeliveryID: "dlv_1", EventType: "build:start", Timestamp: ts, Secret: key, PreviousSecret: old})
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Fields(req.Header.Get("webhook-signature"))
	if len(parts) != 2 || !strings.HasPrefix(parts[0], "v1a,") || !strings.HasPrefix(parts[1], "v1,") {
		t.Errorf("signatures %v: want v1a then v1", parts)
	}
	if got := req.Header.Get("X-H-Token"); got != old {
		t.Errorf("token header %q during the rotation to an Ed25519 key, want the previous HMAC secret", got)
	}
	if req, _ := w.Render(Message{DeliveryID: "dlv_1", Timestamp: ts, Secret: key}); req.Header.Get("X-H-Token") != "" {
		t.Errorf("token header %q with an Ed25519 key alone", req.Header.Get("X-H-Token"))
	}
	for name, vs := range req.Header {
		for _, v := range vs {
			if strings.Contains(v, strings.TrimPrefix(key, SigningKeyPrefix)) {
				t.Errorf("header %s carries the private key", name)
			}
		}
	}
	req, _ = w.Render(Message{DeliveryID: "dlv_1", Timestamp: ts, Secret: old})
	if req.Header.Get("X-H-Token") != old || !strings.HasPrefix(req.Header.Get("webhook-signature"), "v1,") || req.Header.Get("webhook-signature") != Sign(old, "dlv_1", ts, req.Body) {
		t.Errorf("HMAC headers changed: %v", http.Header(req.Header))
	}
}

func TestEd25519KeysValidate(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(nil)
	seed := SigningKeyPrefix + base64.StdEncoding.EncodeToString(priv.Seed())
	if err := ValidateSecret(seed); err != nil {
		t.Errorf("a 32-byte seed: %v", err)
	}
	if PublicKey(seed) != PublicKeyPrefix+base64.StdEncoding.EncodeToString(priv.Public().(ed25519.PublicKey)) {
		t.Error("a seed's public key differs from its key's")
	}
	mismatched := append(append([]byte{}, priv.Seed()...), make([]byte, 32)...)
	for name, bad := range map[string]string{
		"not base64":          SigningKeyPrefix + "!!!",
		"wrong length":        SigningKeyPrefix + base64.StdEncoding.EncodeToString(make([]byte, 16)),
		"halves do not match": SigningKeyPrefix + base64.StdEncoding.EncodeToString(mismatched),
	} {
		if err := ValidateSecret(bad); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	for _, s := range []string{"hmac", "ed25519"} {
		if _, err := ParseSigning(s); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
	if _, err := ParseSigning("rsa"); err == nil {
		t.Error("rsa accepted")
	}
}
