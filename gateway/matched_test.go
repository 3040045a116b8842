package gateway

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// 40 events of one team, type and project at once make one count; another
// project is its own count; an entry older than the TTL is counted again.
func TestMatchCacheCountsOnceForABurst(t *testing.T) {
	var loads atomic.Int32
	release := make(chan struct{})
	m := newTTLCache(time.Hour, func(_ context.Context, k matchKey) (int, error) {
		loads.Add(1)
		<-release // every caller of the burst arrives while the first one counts
		return len(k.project), nil
	})
	in := matchKey{"team_a", "build:start", "web"}
	var wg sync.WaitGroup
	for range 40 {
		wg.Go(func() {
			if n, err := m.get(context.Background(), in); err != nil || n != 3 {
				t.Errorf("count %d %v", n, err)
			}
		})
	}
	// A barrier: all 40 found no entry and went for the count while the
	// first one's is still under way.
	for deadline := time.Now().Add(time.Minute); m.misses.Load() < 40; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d of 40 callers reached the count", m.misses.Load())
		}
	}
	close(release)
	wg.Wait()
	if n := loads.Load(); n != 1 {
		t.Fatalf("%d counts for a burst of 40", n)
	}
	other := in
	other.project = "blog"
	if n, _ := m.get(context.Background(), other); n != 4 || loads.Load() != 2 {
		t.Fatalf("another project: %d (%d counts)", n, loads.Load())
	}
	m.ttl = 0
	if _, _ = m.get(context.Background(), in); loads.Load() != 3 {
		t.Fatalf("an expired entry was not counted again (%d counts)", loads.Load())
	}
}

// A failed load serves the last answer, however old; with none, the error.
func TestTTLCacheServesStaleOnError(t *testing.T) {
	fail := false
	m := newTTLCache(0, func(_ context.Context, k string) (int, error) {
		if fail {
			return 0, errors.New("postgres is away")
		}
		return len(k), nil
	})
	if n, err := m.get(context.Background(), "abc"); n != 3 || err != nil {
		t.Fatalf("first: %d %v", n, err)
	}
	fail = true
	if n, err := m.get(context.Background(), "abc"); n != 3 || err != nil {
		t.Fatalf("stale: %d %v", n, err)
	}
	if _, err := m.get(context.Background(), "never"); err == nil {
		t.Fatal("a key never loaded: no error")
	}
}
