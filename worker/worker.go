// Package worker builds the Temporal worker that runs Herald's workflows and activities.
package worker

import (
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/heraldhq/herald/activities"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/workflows"
)

// Options tune the worker.
type Options struct {
	TaskQueue string
	// MaxConcurrentActivities bounds in-flight delivery attempts (0: SDK default).
	MaxConcurrentActivities int
	// MaxConcurrentWorkflowTasks bounds workflow tasks run at once (0: SDK default).
	MaxConcurrentWorkflowTasks int
	// Pollers (0: SDK default).
	ActivityPollers, WorkflowPollers int
	// StopTimeout is how long Stop lets in-flight attempts finish before
	// leaving them to Temporal's retry.
	StopTimeout time.Duration
}

// New returns a worker with every Herald workflow and activity registered.
func New(c client.Client, acts *activities.Activities, o Options) worker.Worker {
	w := worker.New(c, o.TaskQueue, worker.Options{
		MaxConcurrentActivityExecutionSize:     o.MaxConcurrentActivities,
		MaxConcurrentWorkflowTaskExecutionSize: o.MaxConcurrentWorkflowTasks,
		MaxConcurrentActivityTaskPollers:       o.ActivityPollers,
		MaxConcurrentWorkflowTaskPollers:       o.WorkflowPollers,
		WorkerStopTimeout:                      o.StopTimeout,
	})
	Register(w, acts)
	return w
}

// Registry is the part of a worker (or test environment) that takes registrations.
type Registry interface {
	RegisterWorkflowWithOptions(w any, options workflow.RegisterOptions)
	RegisterActivity(a any)
}

// Register registers Herald's workflows and activities on r.
func Register(r Registry, acts *activities.Activities) {
	for name, wf := range map[string]any{
		contract.EventWorkflow:      workflows.EventWorkflow,
		contract.DisableWorkflow:    workflows.DisableWorkflow,
		contract.RecoveryWorkflow:   workflows.RecoveryWorkflow,
		contract.BulkResendWorkflow: workflows.BulkResendWorkflow,
		contract.ProbeWorkflow:      workflows.ProbeWorkflow,
		contract.TestWorkflow:       workflows.TestWorkflow,
		contract.AlertGroupWorkflow: workflows.AlertGroupWorkflow,
		contract.RetentionWorkflow:  workflows.RetentionWorkflow,
		contract.ReplayWorkflow:     workflows.ReplayWorkflow,
	} {
		r.RegisterWorkflowWithOptions(wf, workflow.RegisterOptions{Name: name})
	}
	r.RegisterActivity(acts)
}
