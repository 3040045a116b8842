package keyring

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

func key(b byte) string { return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{b}, 32)) }

// The first key seals, every key opens; a value is bound to its aad; the
// empty string and plaintext pass through.
func TestSealOpen(t *testing.T) {
	old, _ := Parse("k1:"+key(1), "secret key")
	both, err := Parse("k2:"+key(2)+", k1:"+key(1), "secret key")
	if err != nil || both.Active() != "k2" || strings.Join(both.IDs(), ",") != "k2,k1" {
		t.Fatalf("ring %v %v", both.IDs(), err)
	}
	v, err := old.Seal("https://hooks.slack.com/services/T/B/x", "integration:int_1")
	if err != nil || !Sealed(v) || KeyOf(v) != "k1" || strings.Contains(v, "hooks.slack.com") {
		t.Fatalf("sealed %q %v", v, err)
	}
	if got, err := both.Open(v, "integration:int_1"); err != nil || got != "https://hooks.slack.com/services/T/B/x" {
		t.Errorf("open with the newer ring: %q %v", got, err)
	}
	if _, err := both.Open(v, "integration:int_2"); err == nil {
		t.Error("a value moved to another row opened")
	}
	v2, _ := both.Seal("s", "a")
	if KeyOf(v2) != "k2" {
		t.Errorf("sealed under %q, want the first key", KeyOf(v2))
	}
	if _, err := old.Open(v2, "a"); !errors.Is(err, ErrUnknownKey) || !strings.Contains(err.Error(), `"k2"`) {
		t.Errorf("open under a key the ring lacks: %v", err)
	}
	if e, _ := both.Seal("", "a"); e != "" {
		t.Errorf("empty sealed to %q", e)
	}
	if p, err := both.Open("plain from before", "a"); err != nil || p != "plain from before" {
		t.Errorf("plaintext: %q %v", p, err)
	}
	tampered := v[:len(v)-2] + "AA"
	if _, err := both.Open(tampered, "integration:int_1"); err == nil {
		t.Error("a tampered value opened")
	}
}

func TestParseRefusesBadRings(t *testing.T) {
	for spec, want := range map[string]string{
		"":       "want kid:base64key",
		"nokey":  "want kid:base64key",
		"k1:***": "not base64",
		"k1:" + base64.StdEncoding.EncodeToString([]byte("x")): "1 bytes, want 32",
		"k1:" + key(1) + ",k1:" + key(2):                       "appears twice",
		"k 1:" + key(1):                                        "no ':', ',' or spaces",
	} {
		if _, err := Parse(spec, "secret key"); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", spec, err, want)
		}
	}
}
