package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// SlackInstallState is an "Add to Slack" link's row (see migration 0008).
type SlackInstallState struct {
	Nonce       string
	TeamID      string
	BrowserHash []byte // nil until a browser is bound
	ExpiresAt   time.Time
}

// ErrStateUsed: the install state was already used, has expired, or was
// never issued.
var ErrStateUsed = errors.New("install state already used or expired")

// ErrStateOtherBrowser: the install state belongs to another browser.
var ErrStateOtherBrowser = errors.New("install state belongs to another browser")

// CreateSlackInstallState records a new link (and forgets long-expired ones).
func (s *Store) CreateSlackInstallState(ctx context.Context, st SlackInstallState) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM slack_install_states WHERE expires_at < now() - interval '1 hour'`); err != nil {
		return fmt.Errorf("purge slack install states: %w", err)
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO slack_install_states (nonce, team_id, browser_hash, expires_at) VALUES ($1, $2, $3, $4)`,
		st.Nonce, st.TeamID, st.BrowserHash, st.ExpiresAt)
	if err != nil {
		return fmt.Errorf("record slack install state: %w", err)
	}
	return nil
}

// BindSlackInstallState gives a link made for an API client to the first
// browser that opens it.
func (s *Store) BindSlackInstallState(ctx context.Context, teamID, nonce string, browserHash []byte) error {
	res, err := s.db.ExecContext(ctx, `UPDATE slack_install_states SET browser_hash = $3
		WHERE nonce = $1 AND team_id = $2 AND browser_hash IS NULL AND expires_at > now()`, nonce, teamID, browserHash)
	if err != nil {
		return fmt.Errorf("bind slack install state: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		var bound bool
		err := s.db.QueryRowContext(ctx, `SELECT browser_hash IS NOT NULL FROM slack_install_states WHERE nonce = $1 AND team_id = $2 AND expires_at > now()`,
			nonce, teamID).Scan(&bound)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrStateUsed
		} else if err != nil {
			return fmt.Errorf("bind slack install state: %w", err)
		}
		return ErrStateOtherBrowser
	}
	return nil
}

// ConsumeSlackInstallState deletes the link's row if browserHash is the one
// bound to it: the state then cannot be used again, by anyone.
func (s *Store) ConsumeSlackInstallState(ctx context.Context, teamID, nonce string, browserHash []byte) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM slack_install_states
		WHERE nonce = $1 AND team_id = $2 AND browser_hash = $3 AND expires_at > now()`, nonce, teamID, browserHash)
	if err != nil {
		return fmt.Errorf("consume slack install state: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	var exists bool
	if err := s.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM slack_install_states WHERE nonce = $1 AND team_id = $2 AND expires_at > now())`,
		nonce, teamID).Scan(&exists); err != nil {
		return fmt.Errorf("consume slack install state: %w", err)
	}
	if exists {
		return ErrStateOtherBrowser
	}
	return ErrStateUsed
}
