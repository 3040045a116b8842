package gateway

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/contract"
)

// 40 events of one team, type and project at once make one count; another
// project is its own count; an entry older than the TTL is counted again.
func TestMatchCacheCountsOnceForABurst(t *testing.T) {
	var loads atomic.Int32
	release := make(chan struct{})
	m := &matchCache{ttl: time.Hour, entries: map[matchKey]matchCount{}, load: func(_ context.Context, k matchKey) (int, error) {
		loads.Add(1)
		<-release // every caller of the burst arrives while the first one counts
		return len(k.project), nil
	}}
	in := contract.EventInput{TeamID: "team_a", Type: "build:start", ProjectID: "web"}
	var wg sync.WaitGroup
	for range 40 {
		wg.Go(func() {
			if n, err := m.count(context.Background(), in); err != nil || n != 3 {
				t.Errorf("count %d %v", n, err)
			}
		})
	}
	time.Sleep(50 * time.Millisecond)
	close(release)
	wg.Wait()
	if n := loads.Load(); n != 1 {
		t.Fatalf("%d counts for a burst of 40", n)
	}
	other := in
	other.ProjectID = "blog"
	if n, _ := m.count(context.Background(), other); n != 4 || loads.Load() != 2 {
		t.Fatalf("another project: %d (%d counts)", n, loads.Load())
	}
	m.ttl = 0
	if _, _ = m.count(context.Background(), in); loads.Load() != 3 {
		t.Fatalf("an expired entry was not counted again (%d counts)", loads.Load())
	}
}
