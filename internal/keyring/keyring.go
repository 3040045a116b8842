// Package keyring holds AES-256-GCM key rings given as "kid:base64key,…":
// the first key seals, every key opens, so keys can be rotated. Temporal
// payloads (internal/codec) and secrets at rest (Ring.Seal) use it.
package keyring

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// Ring is a parsed key ring.
type Ring struct {
	active string
	byID   map[string]cipher.AEAD
	ids    []string
}

// Parse reads a ring; what names it in errors ("payload key", "secret key").
func Parse(spec, what string) (*Ring, error) {
	r := &Ring{byID: map[string]cipher.AEAD{}}
	for i, part := range strings.Split(spec, ",") {
		id, b64, ok := strings.Cut(strings.TrimSpace(part), ":")
		if !ok || id == "" {
			return nil, fmt.Errorf("%s %d: want kid:base64key", what, i+1)
		}
		if strings.ContainsAny(id, ":, ") {
			return nil, fmt.Errorf("%s id %q: no ':', ',' or spaces", what, id)
		}
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			return nil, fmt.Errorf("%s %q: not base64", what, id)
		}
		if len(raw) != 32 {
			return nil, fmt.Errorf("%s %q: %d bytes, want 32 (AES-256)", what, id, len(raw))
		}
		block, err := aes.NewCipher(raw)
		if err != nil {
			return nil, fmt.Errorf("%s %q: %w", what, id, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("%s %q: %w", what, id, err)
		}
		if _, dup := r.byID[id]; dup {
			return nil, fmt.Errorf("%s id %q appears twice", what, id)
		}
		r.byID[id] = aead
		r.ids = append(r.ids, id)
		if i == 0 {
			r.active = id
		}
	}
	return r, nil
}

// Active is the id of the key that seals.
func (r *Ring) Active() string { return r.active }

// IDs are the ring's key ids, the active one first.
func (r *Ring) IDs() []string { return append([]string(nil), r.ids...) }

// Has says whether the ring holds key id.
func (r *Ring) Has(id string) bool { _, ok := r.byID[id]; return ok }

// SealBytes encrypts plain under the active key bound to aad: nonce, then
// ciphertext and tag. It returns the key id with it.
func (r *Ring) SealBytes(plain, aad []byte) (string, []byte, error) {
	aead := r.byID[r.active]
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", nil, fmt.Errorf("seal: %w", err)
	}
	return r.active, aead.Seal(nonce, nonce, plain, aad), nil
}

// ErrUnknownKey: sealed under a key the ring does not hold.
var ErrUnknownKey = errors.New("sealed under a key this ring does not hold")

// OpenBytes decrypts what SealBytes made under key id, bound to aad.
func (r *Ring) OpenBytes(id string, data, aad []byte) ([]byte, error) {
	aead, ok := r.byID[id]
	if !ok {
		return nil, fmt.Errorf("key %q: %w", id, ErrUnknownKey)
	}
	if len(data) < aead.NonceSize() {
		return nil, fmt.Errorf("open with key %q: too short", id)
	}
	plain, err := aead.Open(nil, data[:aead.NonceSize()], data[aead.NonceSize():], aad)
	if err != nil {
		return nil, fmt.Errorf("open with key %q: %w", id, err)
	}
	return plain, nil
}

// SealedPrefix starts every sealed text value: "hsk1:<kid>:<base64>".
const SealedPrefix = "hsk1:"

// Sealed says whether a text value was made by Seal.
func Sealed(v string) bool { return strings.HasPrefix(v, SealedPrefix) }

// KeyOf is the key id a sealed value is under ("" for a plain one).
func KeyOf(v string) string {
	rest, ok := strings.CutPrefix(v, SealedPrefix)
	if !ok {
		return ""
	}
	id, _, _ := strings.Cut(rest, ":")
	return id
}

// Seal encrypts a text value for storage, bound to aad (the row it belongs
// to, so it cannot be moved to another): "hsk1:<kid>:<base64>". The empty
// string stays empty (no secret is no secret).
func (r *Ring) Seal(plain, aad string) (string, error) {
	if plain == "" {
		return "", nil
	}
	id, data, err := r.SealBytes([]byte(plain), []byte(aad))
	if err != nil {
		return "", err
	}
	return SealedPrefix + id + ":" + base64.RawStdEncoding.EncodeToString(data), nil
}

// Open decrypts a value Seal made; a value that is not sealed is returned as
// it is (rows from before encryption, until they are sealed).
func (r *Ring) Open(v, aad string) (string, error) {
	if !Sealed(v) {
		return v, nil
	}
	id, b64, ok := strings.Cut(strings.TrimPrefix(v, SealedPrefix), ":")
	if !ok {
		return "", fmt.Errorf("a sealed value without its key id")
	}
	data, err := base64.RawStdEncoding.DecodeString(b64)
	if err != nil {
		return "", fmt.Errorf("a sealed value that is not base64")
	}
	plain, err := r.OpenBytes(id, data, []byte(aad))
	if err != nil {
		return "", err
	}
	return string(plain), nil
}
