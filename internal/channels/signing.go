package channels

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SecretPrefix marks a Standard Webhooks secret: the rest is the base64 key.
const SecretPrefix = "whsec_"

// GenerateSecret returns a new Standard Webhooks secret over 32 random bytes.
func GenerateSecret() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generate secret: %w", err)
	}
	return SecretPrefix + base64.StdEncoding.EncodeToString(b[:]), nil
}

// signingKey is the HMAC key of a secret: the decoded bytes of a whsec_ secret
// (as Standard Webhooks verifiers expect), else the secret's own bytes, so the
// seed's free-form tokens still sign.
func signingKey(secret string) []byte {
	if rest, ok := strings.CutPrefix(secret, SecretPrefix); ok {
		if key, err := base64.StdEncoding.DecodeString(rest); err == nil {
			return key
		}
	}
	return []byte(secret)
}

// ValidateSecret rejects a whsec_ secret whose key is not valid base64.
func ValidateSecret(secret string) error {
	if rest, ok := strings.CutPrefix(secret, SecretPrefix); ok {
		if _, err := base64.StdEncoding.DecodeString(rest); err != nil {
			return fmt.Errorf("a secret starting with %s must continue with base64", SecretPrefix)
		}
	}
	if len(secret) > 1024 {
		return fmt.Errorf("secret is longer than 1024 characters")
	}
	return nil
}

// Sign returns the Standard Webhooks signature "v1,<base64 HMAC-SHA256 of
// id.timestamp.body>" for one secret.
func Sign(secret, msgID string, ts time.Time, body []byte) string {
	mac := hmac.New(sha256.New, signingKey(secret))
	mac.Write([]byte(msgID))
	mac.Write([]byte("."))
	mac.Write([]byte(strconv.FormatInt(ts.Unix(), 10)))
	mac.Write([]byte("."))
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
