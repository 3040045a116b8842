package channels

import (
	"crypto/tls"
	"net/http"

	"github.com/heraldhq/herald/internal/lru"
)

// clientCache keeps up to max HTTP clients, one per client certificate, the
// least recently used closed first.
type clientCache struct {
	build   func(*tls.Config) *http.Client
	clients *lru.Cache[string, *http.Client]
}

func newClientCache(max int, build func(*tls.Config) *http.Client) *clientCache {
	c := &clientCache{build: build, clients: lru.New[string, *http.Client](max, 0)}
	c.clients.OnEvict = func(_ string, cl *http.Client) { cl.CloseIdleConnections() }
	return c
}

func (c *clientCache) get(t *ClientTLS) (*http.Client, error) {
	key := t.Fingerprint()
	if cl, ok := c.clients.Get(key); ok {
		return cl, nil
	}
	cfg, err := t.Config()
	if err != nil {
		return nil, err
	}
	cl := c.build(cfg)
	c.clients.Add(key, cl, 0)
	return cl, nil
}

// len is how many clients are kept.
func (c *clientCache) len() int { return c.clients.Len() }
