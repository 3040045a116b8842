package schema_test

import (
	"context"
	"database/sql"
	"sync"
	"testing"

	_ "github.com/lib/pq"

	"github.com/heraldhq/herald/schema"
	"github.com/heraldhq/herald/test/testenv"
)

func TestConcurrentMigrateAppliesEachMigrationOnce(t *testing.T) {
	url := testenv.NewDatabase(t)
	all, err := schema.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	const procs = 4
	applied := make([][]int, procs)
	errs := make([]error, procs)
	var wg sync.WaitGroup
	for i := range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A separate pool each: as separate processes would.
			db, err := sql.Open("postgres", url)
			if err != nil {
				errs[i] = err
				return
			}
			defer db.Close()
			applied[i], errs[i] = schema.Migrate(context.Background(), db)
		}()
	}
	wg.Wait()
	total := 0
	for i := range procs {
		if errs[i] != nil {
			t.Fatalf("migrate %d: %v", i, errs[i])
		}
		total += len(applied[i])
	}
	if total != len(all) {
		t.Errorf("%d migrations applied across %d processes, want %d", total, procs, len(all))
	}
	db, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	again, err := schema.Migrate(context.Background(), db)
	if err != nil || len(again) != 0 {
		t.Errorf("second migrate applied %v, %v", again, err)
	}
}
