package store_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/test/testenv"
)

// A process that finds Postgres full waits for a slot instead of failing: a
// role limited to one connection stands in for a server at max_connections
// (Postgres refuses both with the same code, 53300).
func TestOpenWaitsForAConnectionSlot(t *testing.T) {
	_, dbURL := testenv.NewStoreURL(t)
	admin, err := sql.Open("postgres", testenv.AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var b [4]byte
	_, _ = rand.Read(b[:])
	role := "herald_one_conn_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec("CREATE ROLE " + role + " LOGIN CONNECTION LIMIT 1"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = admin.Exec("DROP ROLE IF EXISTS " + role) })
	u, _ := url.Parse(dbURL)
	u.User = url.User(role)

	holder, err := sql.Open("postgres", u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	held, err := holder.Conn(context.Background())
	if err != nil {
		t.Fatalf("take the role's one connection: %v", err)
	}
	// Without waiting this Open would fail at once with "too many connections".
	released := make(chan struct{})
	go func() {
		time.Sleep(300 * time.Millisecond)
		held.Close()
		holder.Close() // a sql.Conn's Close only returns it to the pool
		close(released)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := store.Open(ctx, u.String(), 3)
	if err != nil {
		t.Fatalf("open while the slot was taken: %v", err)
	}
	defer st.Close()
	select {
	case <-released:
	default:
		t.Fatal("Open succeeded before the slot was free: the role limit did not hold")
	}
	if st.MaxConns() != 3 {
		t.Errorf("pool budget %d, want 3", st.MaxConns())
	}
}
