package store

import (
	"context"
	"crypto/sha256"
	"fmt"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/heraldhq/herald"
)

// KeyPrefix starts every API key, so a leaked one is easy to recognise and scan for.
const KeyPrefix = "hk_"

// APIKey is a stored key: its hash, never the key itself.
type APIKey struct {
	ID        string         `db:"id" json:"id"`
	TeamID    string         `db:"team_id" json:"teamId"`
	Name      string         `db:"name" json:"name"`
	Prefix    string         `db:"prefix" json:"prefix"`
	Scopes    pq.StringArray `db:"scopes" json:"scopes"`
	CreatedAt time.Time      `db:"created_at" json:"createdAt"`
	RevokedAt *time.Time     `db:"revoked_at" json:"revokedAt,omitempty"`
}

// ScopeList is the key's scopes as herald.Scope values.
func (k APIKey) ScopeList() []herald.Scope {
	out := make([]herald.Scope, len(k.Scopes))
	for i, sc := range k.Scopes {
		out[i] = herald.Scope(sc)
	}
	return out
}

// Has reports whether the key carries scope sc. Admin implies every scope.
func (k APIKey) Has(sc herald.Scope) bool {
	return slices.Contains(k.Scopes, string(sc)) || slices.Contains(k.Scopes, string(herald.ScopeAdmin))
}

func hashKey(key string) []byte {
	h := sha256.Sum256([]byte(key))
	return h[:]
}

// CreateKey makes a key for a team and returns it with the plaintext key, which
// is not stored and cannot be shown again.
func (s *Store) CreateKey(ctx context.Context, teamID, name string, scopes []herald.Scope) (APIKey, string, error) {
	if len(scopes) == 0 {
		return APIKey{}, "", fmt.Errorf("a key needs at least one scope")
	}
	token, err := RandomToken(32)
	if err != nil {
		return APIKey{}, "", fmt.Errorf("generate key: %w", err)
	}
	plain := KeyPrefix + token
	sc := make(pq.StringArray, 0, len(scopes))
	for _, s := range scopes {
		if !slices.Contains(sc, string(s)) {
			sc = append(sc, string(s))
		}
	}
	var k APIKey
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &k, `
			INSERT INTO api_keys (id, team_id, name, prefix, hash, scopes)
			SELECT $1, t.id, $3, $4, $5, $6 FROM teams t WHERE t.id = $2
			RETURNING id, team_id, name, prefix, scopes, created_at, revoked_at`,
			NewID("key"), teamID, name, plain[:len(KeyPrefix)+6], hashKey(plain), sc)
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, Audit{TeamID: teamID, Action: AuditKeyCreate, ObjectType: ObjectKey, ObjectID: k.ID,
			Summary: map[string]any{"name": name, "scopes": sc, "prefix": k.Prefix}})
	})
	if err != nil {
		return APIKey{}, "", notFound(err, "team", teamID)
	}
	return k, plain, nil
}

// Authenticate finds the live key matching plaintext.
func (s *Store) Authenticate(ctx context.Context, plain string) (APIKey, error) {
	var k APIKey
	err := s.db.GetContext(ctx, &k, `
		SELECT id, team_id, name, prefix, scopes, created_at, revoked_at
		FROM api_keys WHERE hash = $1 AND revoked_at IS NULL`, hashKey(plain))
	if err != nil {
		return APIKey{}, notFound(err, "api key", "")
	}
	return k, nil
}

// ListKeys lists a team's keys (never the keys themselves), newest first.
func (s *Store) ListKeys(ctx context.Context, teamID string) ([]APIKey, error) {
	out := []APIKey{}
	err := s.db.SelectContext(ctx, &out, `
		SELECT id, team_id, name, prefix, scopes, created_at, revoked_at
		FROM api_keys WHERE team_id = $1 ORDER BY id DESC`, teamID)
	if err != nil {
		return nil, fmt.Errorf("list keys of %s: %w", teamID, err)
	}
	return out, nil
}

// RevokeKey revokes a key of a team (teamID "": of any team, for the
// operator); it fails from its next request on. Another team's key is not
// found.
func (s *Store) RevokeKey(ctx context.Context, teamID, id string) (APIKey, error) {
	var k APIKey
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &k, `
			UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 AND ($2 = '' OR team_id = $2)
			RETURNING id, team_id, name, prefix, scopes, created_at, revoked_at`, id, teamID)
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, Audit{TeamID: k.TeamID, Action: AuditKeyRevoke, ObjectType: ObjectKey, ObjectID: k.ID,
			Summary: map[string]any{"name": k.Name}})
	})
	if err != nil {
		return APIKey{}, notFound(err, "api key", id)
	}
	return k, nil
}
