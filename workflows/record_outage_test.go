package workflows_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/activities"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/test/testenv"
	"github.com/heraldhq/herald/worker"
)

// Postgres down for minutes when an event arrives: recording it is retried
// until it answers, and the event is then delivered. (The SDK bounds a local
// activity's retries by its start-to-close timeout unless a
// schedule-to-close timeout says otherwise: 10 s of outage failed the event.)
func TestRecordEventOutlastsAnOutage(t *testing.T) {
	st := testenv.NewStore(t)
	team, _ := testenv.Team(t, st)
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.SetTestTimeout(60 * time.Second)
	cfg := config.Defaults()
	cfg.AllowPrivateDestinations = "true"
	acts := activities.New(&cfg, st, nil)
	acts.Now = env.Now
	worker.Register(env, acts)
	start := env.Now()
	outage, calls := 3*time.Minute, 0
	env.OnActivity(contract.ActivityRecordEvent, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, in contract.EventInput) ([]contract.PlannedDelivery, error) {
			calls++
			if env.Now().Sub(start) < outage {
				return nil, errors.New("dial tcp 127.0.0.1:5432: connect: connection refused")
			}
			return acts.RecordEvent(ctx, in)
		})
	f := &fixture{env: env, st: st, team: team}
	recv := f.receiver(t, testenv.Reply{Status: 200})
	f.integration(t, recv.URL, "build:*")
	res := f.run(t, "build:start")
	if len(res.Deliveries) != 1 || res.Deliveries[0].Status != herald.DeliveryDelivered || len(recv.Requests()) != 1 {
		t.Fatalf("after a %s outage: %+v, %d requests", outage, res, len(recv.Requests()))
	}
	if calls < 3 {
		t.Errorf("recorded after %d tries, want retries through the outage", calls)
	}
}
