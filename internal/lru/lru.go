// Package lru is a bounded cache that lets go of its least recently used
// entries first: bounded by the number of entries and, where entries have
// sizes, by their total size. Caches of things a tenant can make many of
// (tokens, compiled schemas, TLS clients) use it so that none grows with
// what a tenant creates.
package lru

import (
	"container/list"
	"sync"
)

// Cache maps K to V. Safe for concurrent use.
type Cache[K comparable, V any] struct {
	mu         sync.Mutex
	maxEntries int
	maxBytes   int
	bytes      int
	order      *list.List // of *entry, most recent first
	byKey      map[K]*list.Element
	// OnEvict, when set, is called (with the lock held) for each entry let
	// go to make room or removed.
	OnEvict func(K, V)
}

type entry[K comparable, V any] struct {
	key  K
	val  V
	size int
}

// New is a cache of at most maxEntries entries whose sizes add up to at
// most maxBytes (0: sizes are not bounded).
func New[K comparable, V any](maxEntries, maxBytes int) *Cache[K, V] {
	return &Cache[K, V]{maxEntries: maxEntries, maxBytes: maxBytes, order: list.New(), byKey: map[K]*list.Element{}}
}

// Get is the value of key, which becomes the most recently used.
func (c *Cache[K, V]) Get(key K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byKey[key]; ok {
		c.order.MoveToFront(e)
		return e.Value.(*entry[K, V]).val, true
	}
	var zero V
	return zero, false
}

// Add sets key to val, of size bytes, and lets go of the least recently
// used entries beyond the bounds. An entry larger than the byte bound is
// not kept.
func (c *Cache[K, V]) Add(key K, val V, size int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byKey[key]; ok {
		c.remove(e)
	}
	if c.maxBytes > 0 && size > c.maxBytes {
		return
	}
	c.byKey[key] = c.order.PushFront(&entry[K, V]{key: key, val: val, size: size})
	c.bytes += size
	for c.order.Len() > c.maxEntries || (c.maxBytes > 0 && c.bytes > c.maxBytes) {
		c.remove(c.order.Back())
	}
}

// Remove drops key.
func (c *Cache[K, V]) Remove(key K) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byKey[key]; ok {
		c.remove(e)
	}
}

// RemoveIf drops every entry for which drop says so.
func (c *Cache[K, V]) RemoveIf(drop func(K, V) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for e := c.order.Front(); e != nil; {
		next := e.Next()
		if en := e.Value.(*entry[K, V]); drop(en.key, en.val) {
			c.remove(e)
		}
		e = next
	}
}

func (c *Cache[K, V]) remove(e *list.Element) {
	en := c.order.Remove(e).(*entry[K, V])
	delete(c.byKey, en.key)
	c.bytes -= en.size
	if c.OnEvict != nil {
		c.OnEvict(en.key, en.val)
	}
}

// Len is the number of entries, and Bytes their total size.
func (c *Cache[K, V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}

// Bytes is the total size of the entries.
func (c *Cache[K, V]) Bytes() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bytes
}

// GetOr is key's value, made by build (and kept, of size bytes) when the
// cache does not have it. An error is returned and nothing kept.
func (c *Cache[K, V]) GetOr(key K, size int, build func() (V, error)) (V, error) {
	if v, ok := c.Get(key); ok {
		return v, nil
	}
	v, err := build()
	if err != nil {
		return v, err
	}
	c.Add(key, v, size)
	return v, nil
}
