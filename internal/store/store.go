// Package store holds Herald's Postgres queries: teams, API keys, integrations,
// events, deliveries and attempts. Every query a client can reach takes the team
// id, so one team never sees another's rows.
package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/heraldhq/herald/internal/keyring"
)

// ErrNotFound: no such row for this team.
var ErrNotFound = errors.New("not found")

// Store wraps the Herald database.
type Store struct {
	db *sqlx.DB
	// secrets seals integrations' URLs and secrets at rest (nil: they are
	// written as they are; sealed ones then cannot be read).
	secrets *keyring.Ring
	// failBeforeCommit, set by tests alone, makes every transaction roll
	// back at its end with this error: what a change writes with it (its
	// audit entry) must roll back too.
	failBeforeCommit error
	// maxIntegrations bounds a team's integrations (0: no bound).
	maxIntegrations int
}

// LimitIntegrations bounds the integrations one team may have (not counting
// deleted ones): CreateIntegration beyond it is ErrTooMany.
func (s *Store) LimitIntegrations(n int) { s.maxIntegrations = n }

// UseSecretKeys makes the store seal secrets under r's active key and open
// them with any of its keys.
func (s *Store) UseSecretKeys(r *keyring.Ring) { s.secrets = r }

// Open connects to Postgres and checks the connection. The pool holds at
// most maxConns connections (0: DefaultMaxConns); a query beyond them waits
// for one to be free, within its context.
func Open(ctx context.Context, url string, maxConns int) (*Store, error) {
	if maxConns <= 0 {
		maxConns = DefaultMaxConns
	}
	pc, err := pq.NewConnector(url)
	if err != nil {
		return nil, fmt.Errorf("postgres url: %w", err)
	}
	db := sqlx.NewDb(sql.OpenDB(&waitingConnector{pq: pc, wait: connectWait}), "postgres")
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close() //nolint:errcheck // the ping's error matters
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	return &Store{db: db}, nil
}

// MaxConns is the pool's connection budget.
func (s *Store) MaxConns() int { return s.db.Stats().MaxOpenConnections }

// DB is the underlying pool (for migrations and health checks).
func (s *Store) DB() *sql.DB { return s.db.DB }

// Close closes the pool.
func (s *Store) Close() error { return s.db.Close() }

// Ping checks that Postgres answers.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// NewID returns prefix_ followed by a time-ordered UUIDv7 in hex, so ids sort by
// creation time and keyset pagination can use the id alone.
func NewID(prefix string) string {
	u, err := uuid.NewV7()
	if err != nil {
		// Only fails if the system's random source fails.
		panic(fmt.Sprintf("uuid: %v", err))
	}
	return prefix + "_" + hex.EncodeToString(u[:])
}

// RandomToken is n random bytes, base64url: secrets people and browsers hold
// (keys, console sessions, sign-in forms, install states).
func RandomToken(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// IDAt is the smallest id NewID(prefix) can return at time t: a lower bound
// that turns "created since t" into a range on the id index. The zero time
// gives the prefix alone, below every id.
func IDAt(prefix string, t time.Time) string {
	if t.IsZero() {
		return prefix + "_"
	}
	ms := uint64(t.UnixMilli())
	var b [6]byte
	for i := 5; i >= 0; i-- {
		b[i] = byte(ms)
		ms >>= 8
	}
	return prefix + "_" + hex.EncodeToString(b[:])
}

// inTx runs fn in a transaction, committing on nil.
func (s *Store) inTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback() //nolint:errcheck // the original error matters more
		return err
	}
	if s.failBeforeCommit != nil {
		tx.Rollback() //nolint:errcheck // a test's fault is the error
		return s.failBeforeCommit
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// notFound maps sql.ErrNoRows to ErrNotFound with context.
func notFound(err error, what, id string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s %s: %w", what, id, ErrNotFound)
	}
	return fmt.Errorf("load %s %s: %w", what, id, err)
}
