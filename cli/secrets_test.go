package cli

import (
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/keyring"
)

// A new key is a key ring HERALD_SECRET_KEYS takes, different each time.
func TestNewKeyIsARing(t *testing.T) {
	a, err := newKey(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := newKey(time.Now())
	if _, err := keyring.Parse(a, "secret key"); err != nil || a == b {
		t.Fatalf("new key %q: %v (another: %q)", a, err, b)
	}
}
