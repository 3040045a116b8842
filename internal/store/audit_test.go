package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/alerts"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/test/testenv"
)

func auditCount(t *testing.T, st *store.Store) int {
	t.Helper()
	var n int
	if err := st.DB().QueryRow(`SELECT count(*) FROM audit_log`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Every change writes its audit entry in its own transaction: a change that
// rolls back leaves no entry, and the same change committed leaves one, of
// its action, object and actor.
func TestAuditEntriesRollBackWithTheirChange(t *testing.T) {
	st := testenv.NewStore(t)
	team, _ := testenv.Team(t, st)
	actor := store.Actor{Kind: store.ActorKey, ID: "key_test", Name: "tester", Via: "api"}
	ctx := store.WithActor(context.Background(), actor)
	in := mustIntegration(t, st, team, []string{"*"})
	key, _, err := st.CreateKey(ctx, team, "spare", []herald.Scope{herald.ScopeIngest})
	if err != nil {
		t.Fatal(err)
	}
	name := "renamed"
	changes := []struct {
		action store.AuditAction
		object string
		change func() error
	}{
		{store.AuditTeamCreate, "", func() error { _, err := st.CreateTeam(ctx, "audited"); return err }},
		{store.AuditIntegrationCreate, "", func() error {
			_, err := st.CreateIntegration(ctx, store.Integration{TeamID: team, Name: "new", Type: herald.IntegrationWebhook,
				URL: "https://example.com/new", Events: []string{"*"}, Enabled: true})
			return err
		}},
		{store.AuditIntegrationUpdate, in.ID, func() error {
			_, err := st.UpdateIntegration(ctx, team, in.ID, store.IntegrationPatch{Name: &name})
			return err
		}},
		{store.AuditIntegrationRotate, in.ID, func() error { _, err := st.RotateSecret(ctx, team, in.ID, "whsec_bmV3", time.Hour); return err }},
		{store.AuditIntegrationDisable, in.ID, func() error { _, _, err := st.DisableIntegration(ctx, in.ID, "by hand", "key_test"); return err }},
		{store.AuditIntegrationEnable, in.ID, func() error { _, err := st.EnableIntegration(ctx, team, in.ID); return err }},
		{store.AuditAlertPolicy, team, func() error {
			return st.SetTeamAlertPolicy(ctx, team, &alerts.Policy{GroupBy: []string{"project.id"}})
		}},
		{store.AuditKeyCreate, "", func() error {
			_, _, err := st.CreateKey(ctx, team, "k", []herald.Scope{herald.ScopeIngest})
			return err
		}},
		{store.AuditKeyRevoke, key.ID, func() error { _, err := st.RevokeKey(ctx, team, key.ID); return err }},
		{store.AuditIntegrationDelete, in.ID, func() error { return st.DeleteIntegration(ctx, team, in.ID) }},
	}
	fault := errors.New("the commit fails")
	for _, c := range changes {
		before := auditCount(t, st)
		st.FailBeforeCommitForTest(fault)
		if err := c.change(); !errors.Is(err, fault) {
			t.Fatalf("%s: %v, want the injected fault", c.action, err)
		}
		st.FailBeforeCommitForTest(nil)
		if n := auditCount(t, st); n != before {
			t.Fatalf("%s rolled back and left %d entries", c.action, n-before)
		}
		if err := c.change(); err != nil {
			t.Fatalf("%s: %v", c.action, err)
		}
		var e store.AuditEntry
		if err := st.DB().QueryRow(`SELECT action, object_id, actor_kind, actor_id, actor_name, via FROM audit_log ORDER BY id DESC LIMIT 1`).
			Scan(&e.Action, &e.ObjectID, &e.ActorKind, &e.ActorID, &e.ActorName, &e.Via); err != nil {
			t.Fatal(err)
		}
		if n := auditCount(t, st); n != before+1 || e.Action != c.action || (c.object != "" && e.ObjectID != c.object) ||
			e.ActorKind != actor.Kind || e.ActorID != actor.ID || e.ActorName != actor.Name || e.Via != "api" {
			t.Fatalf("%s committed: %d entries, last %+v", c.action, n-before, e)
		}
	}
	// Without an actor, the change is Herald's own.
	if _, _, err := st.DisableIntegration(context.Background(), mustIntegration(t, st, team, []string{"*"}).ID, "gone", "herald"); err != nil {
		t.Fatal(err)
	}
	entries, err := st.ListAudit(context.Background(), store.AuditFilter{TeamID: team, Action: string(store.AuditIntegrationDisable), Limit: 1})
	if err != nil || len(entries) != 1 || entries[0].ActorKind != store.ActorHerald || entries[0].ActorName != "herald" {
		t.Fatalf("an automatic disable: %+v %v", entries, err)
	}
}
