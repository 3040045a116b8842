// Package testenv gives tests the real parts Herald runs on: a Postgres
// database of their own, a Temporal dev server, and a running gateway and worker.
package testenv

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	_ "github.com/lib/pq" // Postgres driver

	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/schema"
)

// AdminURL is the Postgres server tests create databases on
// (HERALD_TEST_POSTGRES_URL, default the local trust-auth server).
func AdminURL() string {
	if u := os.Getenv("HERALD_TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// NewDatabase creates an empty, uniquely named database, dropped when the test
// ends, and returns its URL.
func NewDatabase(t testing.TB) string {
	t.Helper()
	admin, err := sql.Open("postgres", AdminURL())
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	defer admin.Close()
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	name := "herald_test_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database (is Postgres running on %s?): %v", AdminURL(), err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("postgres", AdminURL())
		if err != nil {
			t.Errorf("drop %s: %v", name, err)
			return
		}
		defer admin.Close()
		if _, err := admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			t.Errorf("drop %s: %v", name, err)
		}
	})
	u, err := url.Parse(AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// NewStore returns a migrated store on a fresh database.
func NewStore(t testing.TB) *store.Store {
	t.Helper()
	st, _ := NewStoreURL(t)
	return st
}

// NewStoreURL is NewStore and the database's URL, for a process of its own.
func NewStoreURL(t testing.TB) (*store.Store, string) {
	t.Helper()
	ctx := context.Background()
	url := NewDatabase(t)
	st, err := store.Open(ctx, url, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := schema.Migrate(ctx, st.DB()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return st, url
}

// Team creates a team with a key holding the given scopes and returns the team
// id and the plaintext key.
func Team(t testing.TB, st *store.Store, scopes ...string) (teamID, key string) {
	t.Helper()
	ctx := context.Background()
	team, err := st.CreateTeam(ctx, fmt.Sprintf("team-%d", time.Now().UnixNano()))
	if err != nil {
		t.Fatal(err)
	}
	if len(scopes) == 0 {
		scopes = []string{"ingest", "manage"}
	}
	sc, err := parseScopes(scopes)
	if err != nil {
		t.Fatal(err)
	}
	_, plain, err := st.CreateKey(ctx, team.ID, "test", sc)
	if err != nil {
		t.Fatal(err)
	}
	return team.ID, plain
}

// TeamWithKey makes another key with the given scopes for an existing team.
func TeamWithKey(t testing.TB, st *store.Store, teamID string, scopes ...string) (string, string) {
	t.Helper()
	sc, err := parseScopes(scopes)
	if err != nil {
		t.Fatal(err)
	}
	_, plain, err := st.CreateKey(context.Background(), teamID, "test", sc)
	if err != nil {
		t.Fatal(err)
	}
	return teamID, plain
}
