package store_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/eventtype"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/test/testenv"
)

func mustIntegration(t *testing.T, st *store.Store, team string, events []string, projects ...string) store.Integration {
	t.Helper()
	in, err := st.CreateIntegration(context.Background(), store.Integration{
		TeamID: team, Name: "hook", Type: herald.IntegrationWebhook, URL: "https://example.com",
		Events: events, Projects: projects, Enabled: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func event(team, id, typ, project string) store.Event {
	return store.Event{TeamID: team, ID: id, Type: typ, ProjectID: project, Data: json.RawMessage(`{"z":1,"a":2}`),
		WorkflowID: "event/" + team + "/" + id, ReceivedAt: time.Now()}
}

func TestRecordEventIsIdempotentAndMatches(t *testing.T) {
	st := testenv.NewStore(t)
	ctx := context.Background()
	team, _ := testenv.Team(t, st)
	other, _ := testenv.Team(t, st)
	all := mustIntegration(t, st, team, []string{"*"})
	builds := mustIntegration(t, st, team, []string{"build:*"})
	mustIntegration(t, st, team, []string{"build:*"}, "proj-x")              // other project
	mustIntegration(t, st, other, []string{"*"})                             // other team
	both := mustIntegration(t, st, team, []string{"build:start", "build:*"}) // two patterns, one delivery

	ev := event(team, "e1", "build:start", "proj-a")
	first, err := st.RecordEvent(ctx, ev, store.Match{Candidates: eventtype.Candidates(ev.Type)})
	if err != nil {
		t.Fatal(err)
	}
	second, err := st.RecordEvent(ctx, ev, store.Match{Candidates: eventtype.Candidates(ev.Type)})
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 3 || len(second) != 3 {
		t.Fatalf("deliveries %d then %d, want 3 and 3", len(first), len(second))
	}
	got := map[string]bool{}
	for i := range first {
		if first[i].ID != second[i].ID {
			t.Errorf("second call made a new delivery: %v vs %v", first[i], second[i])
		}
		got[first[i].IntegrationID] = true
	}
	for _, want := range []string{all.ID, builds.ID, both.ID} {
		if !got[want] {
			t.Errorf("integration %s not matched", want)
		}
	}
	stored, err := st.GetEvent(ctx, team, "e1")
	if err != nil || string(stored.Data) != `{"z":1,"a":2}` {
		t.Errorf("stored data %s (key order must be kept), %v", stored.Data, err)
	}
	if _, err := st.GetEvent(ctx, other, "e1"); err == nil {
		t.Error("another team can read the event")
	}
}

func TestRecordAttemptIsKeyedByAttemptNumber(t *testing.T) {
	st := testenv.NewStore(t)
	ctx := context.Background()
	team, _ := testenv.Team(t, st)
	integ := mustIntegration(t, st, team, []string{"*"})
	refs, err := st.RecordEvent(ctx, event(team, "e", "a:b", ""), store.Match{Candidates: eventtype.Candidates("a:b")})
	if err != nil {
		t.Fatal(err)
	}
	code := 500
	att := func(n int, outcome herald.Outcome) store.Attempt {
		return store.Attempt{DeliveryID: refs[0].ID, AttemptNo: n, Trigger: herald.TriggerAuto, Outcome: outcome,
			StartedAt: time.Now(), RequestMethod: "POST", RequestURL: "https://example.com",
			RequestHeaders: store.Headers{}, ResponseStatus: &code}
	}
	retrying := store.DeliveryUpdate{Status: herald.DeliveryRetrying, Reason: "HTTP 500"}
	for range 2 { // the same attempt recorded twice
		if _, err := st.RecordAttempt(ctx, integ.ID, att(1, herald.OutcomeRetry), retrying, 5); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.RecordAttempt(ctx, integ.ID, att(2, herald.OutcomeDelivered), store.DeliveryUpdate{Status: herald.DeliveryDelivered}, 5); err != nil {
		t.Fatal(err)
	}
	// A late, older attempt must not move the delivery back.
	if _, err := st.RecordAttempt(ctx, integ.ID, att(1, herald.OutcomeRetry), retrying, 5); err != nil {
		t.Fatal(err)
	}
	atts, err := st.Attempts(ctx, refs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(atts) != 2 {
		t.Errorf("%d attempt rows, want 2", len(atts))
	}
	d, err := st.GetDelivery(ctx, team, refs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != herald.DeliveryDelivered || d.AttemptCount != 2 || d.CompletedAt == nil {
		t.Errorf("delivery %+v", d)
	}
	if err := st.FinishDelivery(ctx, d.ID, herald.DeliveryFailed, "late"); err != nil {
		t.Fatal(err)
	}
	if d, _ = st.GetDelivery(ctx, team, d.ID); d.Status != herald.DeliveryDelivered {
		t.Errorf("a late failure hid a success: %+v", d)
	}
}

// TestMatchingUsesTheSubscriptionIndex: with many teams and integrations,
// matching looks up the team's patterns in the index instead of scanning.
func TestMatchingUsesTheSubscriptionIndex(t *testing.T) {
	st := testenv.NewStore(t)
	ctx := context.Background()
	db := st.DB()
	// 300 teams × 20 integrations, written in bulk.
	if _, err := db.ExecContext(ctx, `
		INSERT INTO teams (id, name) SELECT 'team_' || g, 'team ' || g FROM generate_series(1, 300) g;
		INSERT INTO integrations (id, team_id, name, type, url, events)
		SELECT 'int_' || t || '_' || i, 'team_' || t, 'hook', 'webhook', 'https://example.com', ARRAY['build:*', 'job-run:' || i]
		FROM generate_series(1, 300) t, generate_series(1, 20) i;
		INSERT INTO integration_subscriptions (team_id, pattern, integration_id)
		SELECT team_id, unnest(events), id FROM integrations;
		ANALYZE;`); err != nil {
		t.Fatal(err)
	}
	plan := explain(t, db, store.MatchQueryForTest, "team_7", pq.StringArray(eventtype.Candidates("build:start")), "", "", false)
	if !strings.Contains(plan, "integration_subscriptions_pkey") || strings.Contains(plan, "Seq Scan") {
		t.Errorf("match query does not use the subscription index:\n%s", plan)
	}
	refs, err := st.RecordEvent(ctx, event("team_7", "e", "build:start", ""), store.Match{Candidates: eventtype.Candidates("build:start")})
	if err != nil || len(refs) != 20 {
		t.Errorf("%d deliveries, %v; want 20", len(refs), err)
	}
}

// Retention deletes old events with their deliveries and attempts, in
// batches, except those with a delivery still open: they wait for it to end.
func TestPruneEventsCascadesInBatches(t *testing.T) {
	st := testenv.NewStore(t)
	ctx := context.Background()
	team, _ := testenv.Team(t, st)
	mustIntegration(t, st, team, []string{"*"})
	old := time.Now().Add(-40 * 24 * time.Hour)
	for i := range 5 {
		ev := event(team, fmt.Sprintf("old-%d", i), "build:start", "")
		ev.ReceivedAt = old
		if _, err := st.RecordEvent(ctx, ev, store.Match{Candidates: eventtype.Candidates(ev.Type)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.RecordEvent(ctx, event(team, "new", "build:start", ""), store.Match{Candidates: eventtype.Candidates("build:start")}); err != nil {
		t.Fatal(err)
	}
	// Four of the old events' deliveries ended; one is still retrying.
	if _, err := st.DB().Exec(`UPDATE deliveries SET status = CASE WHEN event_id = 'old-4' THEN 'retrying' ELSE 'delivered' END
		WHERE event_id LIKE 'old-%'`); err != nil {
		t.Fatal(err)
	}
	cutoff := time.Now().Add(-30 * 24 * time.Hour)
	if n, err := st.PruneEvents(ctx, cutoff, 2); err != nil || n != 2 {
		t.Fatalf("first batch: %d %v", n, err)
	}
	total := 2
	for {
		n, err := st.PruneEvents(ctx, cutoff, 2)
		if err != nil {
			t.Fatal(err)
		}
		total += n
		if n < 2 {
			break
		}
	}
	var left []string
	rows, err := st.DB().Query(`SELECT e.id FROM events e JOIN deliveries d ON d.event_id = e.id ORDER BY e.id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		left = append(left, id)
	}
	rows.Close()
	if total != 4 || strings.Join(left, ",") != "new,old-4" {
		t.Errorf("pruned %d; left the events %v with their deliveries, want new and old-4 (still retrying)", total, left)
	}
	// Its delivery ends: the next run takes it.
	if _, err := st.DB().Exec(`UPDATE deliveries SET status = 'failed' WHERE event_id = 'old-4'`); err != nil {
		t.Fatal(err)
	}
	if n, err := st.PruneEvents(ctx, cutoff, 2); err != nil || n != 1 {
		t.Errorf("after its delivery ended: pruned %d %v, want 1", n, err)
	}
}

// LoadTarget reads a delivery with its event and integration in one query,
// and whether the attempt asked about is recorded; an attempt that held an
// in-flight slot frees it with its record.
func TestLoadTargetAndTheSlotFreedWithTheRecord(t *testing.T) {
	st := testenv.NewStore(t)
	ctx := context.Background()
	team, _ := testenv.Team(t, st)
	integ := mustIntegration(t, st, team, []string{"*"})
	refs, err := st.RecordEvent(ctx, event(team, "e", "a:b", "p1"), store.Match{Candidates: eventtype.Candidates("a:b")})
	if err != nil {
		t.Fatal(err)
	}
	dlv := refs[0].ID
	tg, err := st.LoadTarget(ctx, dlv, 1)
	if err != nil {
		t.Fatal(err)
	}
	if tg.Delivery.ID != dlv || tg.Event.ID != "e" || tg.Event.Type != "a:b" || tg.Event.ProjectID != "p1" ||
		tg.Integration.ID != integ.ID || tg.Integration.Name != integ.Name || tg.Integration.URL != integ.URL || tg.Recorded {
		t.Fatalf("target %+v", tg)
	}
	if _, err := st.LoadTarget(ctx, "dlv_missing", 1); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing delivery: %v", err)
	}
	if ok, err := st.AcquireSlot(ctx, integ.ID, dlv, 1, time.Minute); err != nil || !ok {
		t.Fatalf("take the only slot: %v %v", ok, err)
	}
	if ok, _ := st.AcquireSlot(ctx, integ.ID, "dlv_other", 1, time.Minute); ok {
		t.Fatal("a second request got the only slot")
	}
	code := 200
	if _, err := st.RecordAttempt(ctx, integ.ID, store.Attempt{DeliveryID: dlv, AttemptNo: 1, Trigger: herald.TriggerAuto,
		Outcome: herald.OutcomeDelivered, StartedAt: time.Now(), RequestMethod: "POST", RequestURL: integ.URL,
		RequestHeaders: store.Headers{}, ResponseStatus: &code},
		store.DeliveryUpdate{Status: herald.DeliveryDelivered, FreeSlotOf: integ.ID}, 5); err != nil {
		t.Fatal(err)
	}
	if ok, _ := st.AcquireSlot(ctx, integ.ID, "dlv_other", 1, time.Minute); !ok {
		t.Error("the slot was not freed with the attempt's record")
	}
	if tg, err = st.LoadTarget(ctx, dlv, 1); err != nil || !tg.Recorded {
		t.Errorf("attempt 1 recorded: %v (%v)", tg.Recorded, err)
	}
	if tg, err = st.LoadTarget(ctx, dlv, 2); err != nil || tg.Recorded {
		t.Errorf("attempt 2 recorded: %v (%v)", tg.Recorded, err)
	}
}

// explain is the plan Postgres makes for query with args.
func explain(t *testing.T, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, query string, args ...any) string {
	t.Helper()
	rows, err := q.QueryContext(context.Background(), "EXPLAIN "+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan strings.Builder
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		plan.WriteString(line + "\n")
	}
	return plan.String()
}
