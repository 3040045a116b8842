package gateway

import (
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/store"
)

func TestKeyCache(t *testing.T) {
	c := newKeyCache(5*time.Second, 10*time.Minute)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c.put("hk_one", store.APIKey{ID: "key_1"}, t0)
	if k, ok := c.get("hk_one", t0.Add(4*time.Second)); !ok || k.ID != "key_1" {
		t.Error("fresh key not served")
	}
	if _, ok := c.get("hk_one", t0.Add(6*time.Second)); ok {
		t.Error("expired key served as fresh")
	}
	if _, ok := c.stale("hk_one", t0.Add(6*time.Minute)); !ok {
		t.Error("a recently checked key must stand in while Postgres is down")
	}
	if _, ok := c.stale("hk_one", t0.Add(11*time.Minute)); ok {
		t.Error("a key checked long ago stood in for Postgres")
	}
	c.evict("key_1")
	if _, ok := c.stale("hk_one", t0); ok {
		t.Error("a revoked key is still cached")
	}
	strict := newKeyCache(5*time.Second, 0)
	strict.put("hk_two", store.APIKey{ID: "key_2"}, t0)
	if _, ok := strict.stale("hk_two", t0.Add(6*time.Second)); ok {
		t.Error("with no stale window, an expired key stood in for Postgres")
	}
	var none *keyCache
	if _, ok := none.get("hk_one", t0); ok {
		t.Error("a disabled cache served a key")
	}
}
