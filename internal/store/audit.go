package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// ActorKind says who made a change.
type ActorKind string

// Actor kinds.
const (
	// ActorKey: a person or a program with an API key (API, console, CLI).
	ActorKey ActorKind = "key"
	// ActorHerald: Herald itself (an automatic disable, a recovery).
	ActorHerald ActorKind = "herald"
	// ActorDatabase: the CLI's bootstrap straight on the database.
	ActorDatabase ActorKind = "database"
)

// Actor is who makes the changes of a context.
type Actor struct {
	Kind ActorKind
	// ID and Name of the key (Name of the operating-system user for
	// ActorDatabase).
	ID, Name string
	// Via is the door: api, console, cli or herald.
	Via string
}

// ActorHeraldItself is the actor of changes no one asked for.
var ActorHeraldItself = Actor{Kind: ActorHerald, Name: "herald", Via: "herald"}

type actorKey struct{}

// WithActor makes a the actor of every change made with ctx.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorOf is the actor of ctx: Herald itself when none was set.
func ActorOf(ctx context.Context) Actor {
	if a, ok := ctx.Value(actorKey{}).(Actor); ok {
		return a
	}
	return ActorHeraldItself
}

// AuditAction names a change.
type AuditAction string

// Audited actions.
const (
	AuditIntegrationCreate  AuditAction = "integration.create"
	AuditIntegrationUpdate  AuditAction = "integration.update"
	AuditIntegrationDelete  AuditAction = "integration.delete"
	AuditIntegrationEnable  AuditAction = "integration.enable"
	AuditIntegrationDisable AuditAction = "integration.disable"
	AuditIntegrationRotate  AuditAction = "integration.rotate-secret"
	AuditIntegrationTest    AuditAction = "integration.test"
	AuditBulkResend         AuditAction = "integration.bulk-resend"
	AuditBulkResendCancel   AuditAction = "bulk-resend.cancel"
	AuditReplay             AuditAction = "replay.start"
	AuditReplayCancel       AuditAction = "replay.cancel"
	AuditDeliveryResend     AuditAction = "delivery.resend"
	AuditKeyCreate          AuditAction = "key.create"
	AuditKeyRevoke          AuditAction = "key.revoke"
	AuditAlertPolicy        AuditAction = "alert-policy.update"
	AuditTeamCreate         AuditAction = "team.create"
	AuditTeamUpdate         AuditAction = "team.update"
	AuditEventTypeCreate    AuditAction = "event-type.create"
	AuditEventTypeUpdate    AuditAction = "event-type.update"
	AuditEventTypeDelete    AuditAction = "event-type.delete"
	AuditConsoleSignIn      AuditAction = "console.sign-in"
	AuditConsoleSignInFail  AuditAction = "console.sign-in-failed"
	AuditConsoleSignOut     AuditAction = "console.sign-out"
)

// ObjectType is the kind of thing an audit entry is about.
type ObjectType string

// What an audit entry may be about.
const (
	ObjectTeam        ObjectType = "team"
	ObjectKey         ObjectType = "key"
	ObjectIntegration ObjectType = "integration"
	ObjectEventType   ObjectType = "event-type"
	ObjectDelivery    ObjectType = "delivery"
	ObjectBulkResend  ObjectType = "bulk-resend"
	ObjectReplay      ObjectType = "replay"
)

// Audit is one change to record.
type Audit struct {
	TeamID     string
	Action     AuditAction
	ObjectType ObjectType
	ObjectID   string
	// Summary says what changed, never a secret value.
	Summary map[string]any
}

// AuditEntry is a recorded change.
type AuditEntry struct {
	ID         string          `db:"id"`
	TeamID     *string         `db:"team_id"`
	ActorKind  ActorKind       `db:"actor_kind"`
	ActorID    string          `db:"actor_id"`
	ActorName  string          `db:"actor_name"`
	Via        string          `db:"via"`
	Action     AuditAction     `db:"action"`
	ObjectType ObjectType      `db:"object_type"`
	ObjectID   string          `db:"object_id"`
	Summary    json.RawMessage `db:"summary"`
	CreatedAt  time.Time       `db:"created_at"`
}

// audit records a change made with ctx inside its transaction q: the entry
// commits, or rolls back, with the change. A key's name is looked up when
// the actor came with its id alone (a disable carried by a workflow).
func (s *Store) audit(ctx context.Context, q sqlx.ExecerContext, a Audit) error {
	actor := ActorOf(ctx)
	summary := a.Summary
	if summary == nil {
		summary = map[string]any{}
	}
	b, err := json.Marshal(summary)
	if err != nil {
		return fmt.Errorf("audit %s: %w", a.Action, err)
	}
	var team *string
	if a.TeamID != "" {
		team = &a.TeamID
	}
	_, err = q.ExecContext(ctx, `INSERT INTO audit_log (id, team_id, actor_kind, actor_id, actor_name, via, action, object_type, object_id, summary)
		VALUES ($1, $2, $3, $4, coalesce(nullif($5, ''), (SELECT name FROM api_keys WHERE id = $4), ''), $6, $7, $8, $9, $10)`,
		NewID("aud"), team, actor.Kind, actor.ID, actor.Name, actor.Via, a.Action, a.ObjectType, a.ObjectID, b)
	if err != nil {
		return fmt.Errorf("audit %s of %s: %w", a.Action, a.ObjectID, err)
	}
	return nil
}

// RecordAudit records a change that is not a row of Herald's (a resend is a
// signal to a workflow, a test a request): the caller writes it once the
// change was made.
func (s *Store) RecordAudit(ctx context.Context, a Audit) error {
	return s.audit(ctx, s.db, a)
}

// AuditFilter selects a team's entries, newest first.
type AuditFilter struct {
	TeamID   string
	ObjectID string
	ActorID  string
	Action   string
	// Before is the cursor: entries older than this id.
	Before string
	Limit  int
}

// ListAudit is a page of a team's audit log, newest first.
func (s *Store) ListAudit(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	conds, args := []string{"team_id = $1"}, []any{f.TeamID}
	add := func(cond, v string) {
		if v != "" {
			args = append(args, v)
			conds = append(conds, fmt.Sprintf(cond, len(args)))
		}
	}
	add("object_id = $%d", f.ObjectID)
	add("actor_id = $%d", f.ActorID)
	add("action = $%d", f.Action)
	add("id < $%d", f.Before)
	args = append(args, f.Limit)
	out := []AuditEntry{}
	err := s.db.SelectContext(ctx, &out, `SELECT id, team_id, actor_kind, actor_id, actor_name, via, action, object_type, object_id, summary, created_at
		FROM audit_log WHERE `+strings.Join(conds, " AND ")+fmt.Sprintf(` ORDER BY id DESC LIMIT $%d`, len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("list the audit log of %s: %w", f.TeamID, err)
	}
	return out, nil
}

// PruneAudit deletes up to limit entries older than cutoff.
func (s *Store) PruneAudit(ctx context.Context, cutoff time.Time, limit int) (int, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM audit_log WHERE id IN (
		SELECT id FROM audit_log WHERE created_at < $1 ORDER BY created_at LIMIT $2)`, cutoff, limit)
	if err != nil {
		return 0, fmt.Errorf("prune the audit log: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
