package gateway

import (
	"crypto/sha256"
	"sync"
	"time"

	"github.com/heraldhq/herald/internal/store"
)

// keyCache remembers authenticated keys briefly, so ingestion costs no
// database read per request. A revocation through this gateway evicts at
// once; other gateways notice within the TTL. While Postgres is unreachable,
// keys checked in the last few minutes keep working.
type keyCache struct {
	mu  sync.Mutex
	ttl time.Duration
	// staleFor is how long past its TTL a cached key may stand in for an
	// unreachable Postgres (0: not at all).
	staleFor time.Duration
	entries  map[[32]byte]cachedKey
}

type cachedKey struct {
	key     store.APIKey
	expires time.Time
}

func newKeyCache(ttl, staleFor time.Duration) *keyCache {
	return &keyCache{ttl: ttl, staleFor: staleFor, entries: map[[32]byte]cachedKey{}}
}

func (c *keyCache) get(plain string, now time.Time) (store.APIKey, bool) {
	return c.lookup(plain, now, 0)
}

// stale serves a key checked within the last staleFor even though its TTL has
// passed: when Postgres is down, ingestion with a recently used key goes on.
func (c *keyCache) stale(plain string, now time.Time) (store.APIKey, bool) {
	if c == nil || c.staleFor <= 0 {
		return store.APIKey{}, false
	}
	return c.lookup(plain, now, c.staleFor)
}

func (c *keyCache) lookup(plain string, now time.Time, grace time.Duration) (store.APIKey, bool) {
	if c == nil {
		return store.APIKey{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[sha256.Sum256([]byte(plain))]
	if !ok || now.After(e.expires.Add(grace)) {
		return store.APIKey{}, false
	}
	return e.key, true
}

func (c *keyCache) put(plain string, k store.APIKey, now time.Time) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) > 10000 { // bounded: drop everything rather than grow
		c.entries = map[[32]byte]cachedKey{}
	}
	c.entries[sha256.Sum256([]byte(plain))] = cachedKey{key: k, expires: now.Add(c.ttl)}
}

// evict forgets a key by id (on revocation).
func (c *keyCache) evict(id string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for h, e := range c.entries {
		if e.key.ID == id {
			delete(c.entries, h)
		}
	}
}
