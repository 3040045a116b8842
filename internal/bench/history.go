package bench

import (
	"context"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
)

// Shape is what a run's workflows cost Temporal, averaged over a sample:
// history events, workflow tasks and activity tasks per workflow.
type Shape struct {
	Sampled       int     `json:"sampled"`
	Events        float64 `json:"historyEventsPerWorkflow"`
	WorkflowTasks float64 `json:"workflowTasksPerWorkflow"`
	ActivityTasks float64 `json:"activityTasksPerWorkflow"`
}

// HistoryShape reads the histories of up to sample closed workflows that
// match a visibility query and averages their shape.
func HistoryShape(ctx context.Context, c client.Client, query string, sample int) (Shape, error) {
	resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query, PageSize: int32(sample)})
	if err != nil {
		return Shape{}, fmt.Errorf("list workflows for %q: %w", query, err)
	}
	var s Shape
	for _, ex := range resp.GetExecutions() {
		it := c.GetWorkflowHistory(ctx, ex.GetExecution().GetWorkflowId(), ex.GetExecution().GetRunId(), false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			ev, err := it.Next()
			if err != nil {
				return s, fmt.Errorf("history of %s: %w", ex.GetExecution().GetWorkflowId(), err)
			}
			s.Events++
			switch ev.GetEventType() {
			case enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
				s.WorkflowTasks++
			case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
				s.ActivityTasks++
			}
		}
		s.Sampled++
	}
	if s.Sampled > 0 {
		n := float64(s.Sampled)
		s.Events, s.WorkflowTasks, s.ActivityTasks = s.Events/n, s.WorkflowTasks/n, s.ActivityTasks/n
	}
	return s, nil
}
