package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// SessionPrefix marks a console session id (never an API key's hk_).
const SessionPrefix = "hs_"

// CreateSession signs key in to the console until ttl from now (the
// absolute expiry), and returns the session id the browser keeps. Only its
// hash is stored. Sessions past their expiry or idle are pruned on the way.
// The sign-in is audited (from where, in summary), with the session.
func (s *Store) CreateSession(ctx context.Context, key APIKey, from string, ttl, idle time.Duration) (string, error) {
	token, err := RandomToken(32)
	if err != nil {
		return "", fmt.Errorf("session id: %w", err)
	}
	id := SessionPrefix + token
	if _, err := s.db.ExecContext(ctx, `DELETE FROM console_sessions
		WHERE expires_at <= now() OR last_seen_at <= now() - $1 * interval '1 millisecond'`, idle.Milliseconds()); err != nil {
		return "", fmt.Errorf("prune console sessions: %w", err)
	}
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO console_sessions (id_hash, key_id, expires_at)
			VALUES ($1, $2, now() + $3 * interval '1 millisecond')`, hashKey(id), key.ID, ttl.Milliseconds()); err != nil {
			return fmt.Errorf("create console session: %w", err)
		}
		return s.audit(ctx, tx, Audit{TeamID: key.TeamID, Action: AuditConsoleSignIn, ObjectType: ObjectKey, ObjectID: key.ID,
			Summary: map[string]any{"from": from}})
	})
	if err != nil {
		return "", err
	}
	return id, nil
}

// SessionKey is the key a live console session signed in with, and marks
// the session seen. A session that is unknown, expired, idle for longer
// than idle, or whose key was revoked is not found.
func (s *Store) SessionKey(ctx context.Context, id string, idle time.Duration) (APIKey, error) {
	var k APIKey
	err := s.db.GetContext(ctx, &k, `
		UPDATE console_sessions cs SET last_seen_at = now()
		FROM api_keys k
		WHERE cs.id_hash = $1 AND k.id = cs.key_id AND k.revoked_at IS NULL
		  AND cs.expires_at > now() AND cs.last_seen_at > now() - $2 * interval '1 millisecond'
		RETURNING k.id, k.team_id, k.name, k.prefix, k.scopes, k.created_at, k.revoked_at`, hashKey(id), idle.Milliseconds())
	if err != nil {
		return APIKey{}, notFound(err, "console session", "")
	}
	return k, nil
}

// EndSession signs a console session of key out, and audits it.
func (s *Store) EndSession(ctx context.Context, key APIKey, id string) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM console_sessions WHERE id_hash = $1`, hashKey(id)); err != nil {
			return fmt.Errorf("end console session: %w", err)
		}
		return s.audit(ctx, tx, Audit{TeamID: key.TeamID, Action: AuditConsoleSignOut, ObjectType: ObjectKey, ObjectID: key.ID})
	})
}
