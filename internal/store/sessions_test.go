package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/test/testenv"
)

// A console session opens its key until it is signed out, idle too long,
// past its absolute expiry, or its key is revoked; only its hash is stored.
func TestConsoleSessions(t *testing.T) {
	st := testenv.NewStore(t)
	ctx := context.Background()
	_, plain := testenv.Team(t, st, "manage")
	key, err := st.Authenticate(ctx, plain)
	if err != nil {
		t.Fatal(err)
	}
	open := func(ttl time.Duration) string {
		id, err := st.CreateSession(ctx, key, "192.0.2.1", ttl, time.Hour)
		if err != nil || !strings.HasPrefix(id, store.SessionPrefix) {
			t.Fatalf("create session: %q %v", id, err)
		}
		return id
	}
	gone := func(what, id string) {
		t.Helper()
		if _, err := st.SessionKey(ctx, id, time.Hour); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: %v, want not found", what, err)
		}
	}

	live := open(time.Hour)
	if k, err := st.SessionKey(ctx, live, time.Hour); err != nil || k.ID != key.ID || k.TeamID != key.TeamID {
		t.Fatalf("live session: %+v %v", k, err)
	}
	var n int
	if err := st.DB().QueryRow(`SELECT count(*) FROM console_sessions WHERE strpos(id_hash::text, $1) > 0 OR strpos(encode(id_hash, 'escape'), $1) > 0`, live).Scan(&n); err != nil || n != 0 {
		t.Errorf("the id is stored as it is (%d, %v)", n, err)
	}
	gone("an unknown id", store.SessionPrefix+"nope")

	idle := open(time.Hour)
	if _, err := st.DB().Exec(`UPDATE console_sessions SET last_seen_at = now() - interval '2 hours' WHERE key_id = $1 AND last_seen_at >= created_at AND id_hash <> (SELECT id_hash FROM console_sessions WHERE key_id = $1 ORDER BY created_at LIMIT 1)`, key.ID); err != nil {
		t.Fatal(err)
	}
	gone("an idle session", idle)
	if _, err := st.SessionKey(ctx, live, time.Hour); err != nil {
		t.Errorf("the first session went with the idle one: %v", err)
	}

	gone("a session past its expiry", open(0))

	out := open(time.Hour)
	if err := st.EndSession(ctx, key, out); err != nil {
		t.Fatal(err)
	}
	gone("a signed-out session", out)

	if _, err := st.RevokeKey(ctx, "", key.ID); err != nil {
		t.Fatal(err)
	}
	gone("a revoked key's session", live)
}
