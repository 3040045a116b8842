// Package stacktest checks the production-shaped stack (make stack): Temporal
// on Postgres, one gateway and two workers as separate processes. Run it with
// make stack-test, which starts the stack first.
package stacktest

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/testenv"
	"github.com/heraldhq/herald/store"
)

func TestStackSurvivesAWorkerKill(t *testing.T) {
	gateway := os.Getenv("HERALD_STACK_URL")
	if gateway == "" {
		t.Skip("needs the running stack: make stack-test")
	}
	ctx := context.Background()
	st, err := store.Open(ctx, os.Getenv("HERALD_DATABASE_URL"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	team, key := testenv.Team(t, st)
	s := &testenv.Stack{URL: gateway, Key: key, Team: team}

	var mu sync.Mutex
	seen := map[string]bool{}
	recv := testenv.NewReceiver(t)
	for i := range 3 {
		s.CreateIntegration(t, map[string]any{"name": fmt.Sprintf("stack-%d", i), "type": "webhook",
			"url": recv.URL + "/" + strconv.Itoa(i), "events": []string{"build:*"}, "generateSecret": true})
	}
	const events = 60
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range events {
			s.PostEvent(t, map[string]any{"id": fmt.Sprintf("stack-%d-%d", time.Now().Unix(), i), "event": "build:start"})
			time.Sleep(40 * time.Millisecond)
		}
	}()
	// Kill one of the two workers mid-flight.
	time.Sleep(time.Second)
	pid, err := os.ReadFile("../../.data/stack/worker1.pid")
	if err != nil {
		t.Fatalf("worker pid: %v", err)
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(pid)))
	if err := syscall.Kill(n, syscall.SIGKILL); err != nil {
		t.Fatalf("kill worker 1: %v", err)
	}
	t.Logf("killed worker 1 (pid %d) mid-flight", n)
	<-done

	deadline := time.Now().Add(3 * time.Minute)
	for {
		var delivered, total int
		if err := st.DB().QueryRow(`SELECT count(*) FILTER (WHERE status = $2), count(*) FROM deliveries WHERE team_id = $1`,
			team, herald.DeliveryDelivered).Scan(&delivered, &total); err != nil {
			t.Fatal(err)
		}
		if total == 3*events && delivered == total {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d deliveries delivered (%d created) after 3 minutes", delivered, 3*events, total)
		}
		time.Sleep(time.Second)
	}
	for _, r := range recv.Requests() {
		mu.Lock()
		seen[r.Header.Get("Webhook-Id")] = true
		mu.Unlock()
	}
	if len(seen) != 3*events {
		t.Errorf("receivers saw %d distinct deliveries, want %d", len(seen), 3*events)
	}
	t.Logf("%d events × 3 integrations delivered; %d requests in all (%d repeats after the kill)", events, len(recv.Requests()), len(recv.Requests())-len(seen))
}
