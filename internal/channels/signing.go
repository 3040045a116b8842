package channels

import (
	"bytes"
	"crypto/ed25519"
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

// Standard Webhooks' asymmetric scheme
// (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md#signature-scheme):
// an Ed25519 signing key "whsk_" + base64 of the 64-byte private key (or its
// 32-byte seed), its public key "whpk_" + base64 of 32 bytes, and signatures
// "v1a,<base64>" over the same content as v1.
const (
	SigningKeyPrefix = "whsk_"
	PublicKeyPrefix  = "whpk_"
)

// Signing is how a webhook integration's requests are signed.
type Signing string

const (
	// SigningNone: no secret, no signature.
	SigningNone Signing = ""
	// SigningHMAC: v1, HMAC-SHA256 with a shared whsec_ secret (the default).
	SigningHMAC Signing = "hmac"
	// SigningEd25519: v1a, Ed25519 with a whsk_ key; receivers verify with
	// the public key and hold nothing that could sign.
	SigningEd25519 Signing = "ed25519"
)

// ParseSigning reads a signing scheme as the API takes it.
func ParseSigning(s string) (Signing, error) {
	switch Signing(s) {
	case SigningHMAC, SigningEd25519:
		return Signing(s), nil
	}
	return SigningNone, fmt.Errorf("unknown signing %q (want %q or %q)", s, SigningHMAC, SigningEd25519)
}

// SigningOf is the scheme a secret signs with.
func SigningOf(secret string) Signing {
	switch {
	case secret == "":
		return SigningNone
	case strings.HasPrefix(secret, SigningKeyPrefix):
		return SigningEd25519
	}
	return SigningHMAC
}

// GenerateSecret returns a new Standard Webhooks secret over 32 random bytes.
func GenerateSecret() (string, error) {
	return GenerateSecretFor(SigningHMAC)
}

// GenerateSecretFor returns a new secret of a scheme: a whsec_ secret over
// 32 random bytes, or a whsk_ Ed25519 private key.
func GenerateSecretFor(s Signing) (string, error) {
	if s == SigningEd25519 {
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return "", fmt.Errorf("generate signing key: %w", err)
		}
		return SigningKeyPrefix + base64.StdEncoding.EncodeToString(priv), nil
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generate secret: %w", err)
	}
	return SecretPrefix + base64.StdEncoding.EncodeToString(b[:]), nil
}

// privateKey is the Ed25519 key of a whsk_ secret.
func privateKey(secret string) (ed25519.PrivateKey, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, SigningKeyPrefix))
	if err != nil {
		return nil, fmt.Errorf("a key starting with %s must continue with base64", SigningKeyPrefix)
	}
	switch len(raw) {
	case ed25519.SeedSize:
		return ed25519.NewKeyFromSeed(raw), nil
	case ed25519.PrivateKeySize:
		priv := ed25519.PrivateKey(raw)
		if !bytes.Equal(ed25519.NewKeyFromSeed(priv.Seed()).Public().(ed25519.PublicKey), priv.Public().(ed25519.PublicKey)) {
			return nil, fmt.Errorf("the %s key's public half does not match its private half", SigningKeyPrefix)
		}
		return priv, nil
	}
	return nil, fmt.Errorf("a %s key is %d or %d bytes, not %d", SigningKeyPrefix, ed25519.SeedSize, ed25519.PrivateKeySize, len(raw))
}

// PublicKey is the whpk_ public key of an Ed25519 secret ("" for any other).
func PublicKey(secret string) string {
	if SigningOf(secret) != SigningEd25519 {
		return ""
	}
	priv, err := privateKey(secret)
	if err != nil {
		return ""
	}
	return PublicKeyPrefix + base64.StdEncoding.EncodeToString(priv.Public().(ed25519.PublicKey))
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

// ValidateSecret rejects a whsec_ secret whose key is not valid base64, and a
// whsk_ key that is not an Ed25519 private key or seed.
func ValidateSecret(secret string) error {
	if SigningOf(secret) == SigningEd25519 {
		_, err := privateKey(secret)
		return err
	}
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

// Sign returns the Standard Webhooks signature of id.timestamp.body for one
// secret: "v1,<base64 HMAC-SHA256>", or "v1a,<base64 Ed25519>" for a whsk_ key.
func Sign(secret, msgID string, ts time.Time, body []byte) string {
	content := signedContent(msgID, ts, body)
	if SigningOf(secret) == SigningEd25519 {
		priv, err := privateKey(secret)
		if err != nil {
			// Validated when stored: a key that no longer parses signs nothing.
			return ""
		}
		return "v1a," + base64.StdEncoding.EncodeToString(ed25519.Sign(priv, content))
	}
	mac := hmac.New(sha256.New, signingKey(secret))
	mac.Write(content)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// signedContent is what Standard Webhooks signs: "id.timestamp.body".
func signedContent(msgID string, ts time.Time, body []byte) []byte {
	c := make([]byte, 0, len(msgID)+len(body)+16)
	c = append(c, msgID...)
	c = append(c, '.')
	c = strconv.AppendInt(c, ts.Unix(), 10)
	c = append(c, '.')
	return append(c, body...)
}
