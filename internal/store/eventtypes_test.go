package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/test/testenv"
)

// A team's data rules read with no types of its own (a NULL schema once
// failed the scan, and ingest let events through unchecked), with its own
// types, and off.
func TestTeamDataRules(t *testing.T) {
	st := testenv.NewStore(t)
	ctx := context.Background()
	team, _ := testenv.Team(t, st, "manage")
	r, err := st.TeamDataRules(ctx, team)
	if err != nil || r.ValidateData || len(r.Schemas) != 0 {
		t.Fatalf("off: %+v %v", r, err)
	}
	validate := true
	if _, err := st.ChangeTeamSettings(ctx, team, store.TeamSettingsChange{ValidateData: &validate}); err != nil {
		t.Fatal(err)
	}
	if r, err = st.TeamDataRules(ctx, team); err != nil || !r.ValidateData || len(r.Schemas) != 0 {
		t.Fatalf("on, no types of its own: %+v %v", r, err)
	}
	if _, err := st.CreateEventType(ctx, store.EventType{TeamID: team, Name: "quota:exceeded", Schema: json.RawMessage(`{"type":"object"}`)}); err != nil {
		t.Fatal(err)
	}
	if r, err = st.TeamDataRules(ctx, team); err != nil || !r.ValidateData || string(r.Schemas["quota:exceeded"]) != `{"type": "object"}` {
		t.Fatalf("on, one type: %+v %v", r, err)
	}
}

// The scrape's count of open deliveries can use the partial index that
// holds only them (its predicate is the index's).
func TestOpenDeliveriesUseTheirIndex(t *testing.T) {
	st := testenv.NewStore(t)
	ctx := context.Background()
	tx, err := st.DB().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback() //nolint:errcheck // read only
	if _, err := tx.ExecContext(ctx, `SET LOCAL enable_seqscan = off`); err != nil {
		t.Fatal(err)
	}
	plan := explain(t, tx, store.OpenDeliveriesQueryForTest)
	if !strings.Contains(plan, "deliveries_open") {
		t.Errorf("the open deliveries' count cannot use deliveries_open:\n%s", plan)
	}
}

// A team has at most MaxEventTypes types of its own (SECURITY.md), and a
// name once (ErrExists).
func TestEventTypesAreBounded(t *testing.T) {
	st := testenv.NewStore(t)
	ctx := context.Background()
	team, _ := testenv.Team(t, st, "manage")
	schema := json.RawMessage(`{"type":"object"}`)
	for i := range store.MaxEventTypes {
		if _, err := st.CreateEventType(ctx, store.EventType{TeamID: team, Name: fmt.Sprintf("own:type-%d", i), Schema: schema}); err != nil {
			t.Fatalf("type %d: %v", i, err)
		}
	}
	if _, err := st.CreateEventType(ctx, store.EventType{TeamID: team, Name: "own:one-too-many", Schema: schema}); !errors.Is(err, store.ErrTooMany) {
		t.Fatalf("one past the bound: %v", err)
	}
	if err := st.DeleteEventType(ctx, team, "own:type-0"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateEventType(ctx, store.EventType{TeamID: team, Name: "own:type-1", Schema: schema}); !errors.Is(err, store.ErrExists) {
		t.Fatalf("a name twice: %v", err)
	}
}
