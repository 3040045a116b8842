package channels

import (
	"container/list"
	"crypto/tls"
	"net/http"
	"sync"
)

// clientCache keeps up to max HTTP clients, one per client certificate, the
// least recently used closed first.
type clientCache struct {
	mu    sync.Mutex
	max   int
	build func(*tls.Config) *http.Client
	order *list.List // of *cachedClient, most recent first
	byKey map[string]*list.Element
}

type cachedClient struct {
	key    string
	client *http.Client
}

func newClientCache(max int, build func(*tls.Config) *http.Client) *clientCache {
	return &clientCache{max: max, build: build, order: list.New(), byKey: map[string]*list.Element{}}
}

func (c *clientCache) get(t *ClientTLS) (*http.Client, error) {
	key := t.Fingerprint()
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byKey[key]; ok {
		c.order.MoveToFront(e)
		return e.Value.(*cachedClient).client, nil
	}
	cfg, err := t.Config()
	if err != nil {
		return nil, err
	}
	cl := c.build(cfg)
	c.byKey[key] = c.order.PushFront(&cachedClient{key: key, client: cl})
	for c.order.Len() > c.max {
		old := c.order.Remove(c.order.Back()).(*cachedClient)
		delete(c.byKey, old.key)
		old.client.CloseIdleConnections()
	}
	return cl, nil
}

// len is how many clients are kept.
func (c *clientCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
