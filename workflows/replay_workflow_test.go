package workflows_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/workflows"
)

// replayEnv runs ReplayWorkflow with its page activity a mock answering
// from pages, in order; it records each page's cursor.
func replayEnv(t *testing.T, pages ...contract.ReplayPageResult) (*testsuite.TestWorkflowEnvironment, *[]contract.ReplayCursor) {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(workflows.ReplayWorkflow)
	env.RegisterActivityWithOptions(func(context.Context, contract.ReplayInput) (contract.ReplayPageResult, error) {
		return contract.ReplayPageResult{}, nil
	}, activity.RegisterOptions{Name: contract.ActivityReplayPage})
	var cursors []contract.ReplayCursor
	n := 0
	env.OnActivity(contract.ActivityReplayPage, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in contract.ReplayInput) (contract.ReplayPageResult, error) {
			cursors = append(cursors, in.Cursor)
			p := pages[min(n, len(pages)-1)]
			n++
			return p, nil
		})
	return env, &cursors
}

// A replay goes page by page from each page's last event, sums what the
// pages did, and ends with the last page.
func TestReplayGoesPageByPage(t *testing.T) {
	at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	env, cursors := replayEnv(t,
		contract.ReplayPageResult{Done: 50, Started: 40, Last: contract.ReplayCursor{ReceivedAt: at, EventID: "e50"}, More: true},
		contract.ReplayPageResult{Done: 7, Started: 7, Last: contract.ReplayCursor{ReceivedAt: at.Add(time.Hour), EventID: "e57"}})
	env.ExecuteWorkflow(workflows.ReplayWorkflow, contract.ReplayInput{TeamID: "t", IntegrationID: "i", ReplayID: "rpl_1",
		Progress: contract.ReplayProgress{Total: 57}})
	var p contract.ReplayProgress
	if err := env.GetWorkflowResult(&p); err != nil {
		t.Fatal(err)
	}
	if p != (contract.ReplayProgress{Total: 57, Done: 57, Started: 47}) {
		t.Errorf("progress %+v", p)
	}
	if len(*cursors) != 2 || (*cursors)[0].EventID != "" || (*cursors)[1].EventID != "e50" {
		t.Errorf("cursors %+v: want the start, then after e50", *cursors)
	}
}

// A long replay continues as new, carrying its cursor and progress, so
// its history stays bounded.
func TestALongReplayContinuesAsNew(t *testing.T) {
	env, cursors := replayEnv(t, contract.ReplayPageResult{Done: 50, Started: 50, Last: contract.ReplayCursor{EventID: "e"}, More: true})
	env.ExecuteWorkflow(workflows.ReplayWorkflow, contract.ReplayInput{TeamID: "t", IntegrationID: "i", ReplayID: "rpl_1"})
	var cont *workflow.ContinueAsNewError
	if err := env.GetWorkflowError(); !errors.As(err, &cont) {
		t.Fatalf("got %v, want continue-as-new", err)
	}
	if len(*cursors) != 50 {
		t.Errorf("%d pages in one run, want 50", len(*cursors))
	}
}
