package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// DefaultMaxConns is a process's connection budget when none is configured.
// The stack runs a gateway and two workers: 3 × 10 beside the Temporal
// server's pools fits PostgreSQL's default max_connections of 100 (DEPLOY.md
// gives the formula).
const DefaultMaxConns = 10

// connectWait is how long a new connection waits for Postgres to have room
// (too many clients, or starting up) before the query that needed it fails.
const connectWait = 5 * time.Second

// waitingConnector dials Postgres and, when the server refuses because it is
// full or still starting, tries again with backoff instead of failing at once:
// a burst then waits a few milliseconds for a slot another process frees.
type waitingConnector struct {
	pq   *pq.Connector
	wait time.Duration
}

// Postgres's codes for "come back shortly".
const (
	pgTooManyConnections = "53300"
	pgCannotConnectNow   = "57P03"
)

func retryableConnect(err error) bool {
	var pe *pq.Error
	if errors.As(err, &pe) {
		return pe.Code == pgTooManyConnections || pe.Code == pgCannotConnectNow
	}
	return false
}

func (c *waitingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	deadline := time.Now().Add(c.wait)
	for delay := 10 * time.Millisecond; ; delay = min(2*delay, 250*time.Millisecond) {
		conn, err := c.pq.Connect(ctx)
		if err == nil || !retryableConnect(err) {
			return conn, err
		}
		if time.Now().Add(delay).After(deadline) {
			return nil, fmt.Errorf("postgres had no free connection for %s: %w", c.wait, err)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for a postgres connection: %w (last: %v)", ctx.Err(), err)
		case <-time.After(delay):
		}
	}
}

func (c *waitingConnector) Driver() driver.Driver { return c.pq.Driver() }
