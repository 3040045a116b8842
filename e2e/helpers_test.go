package e2e

import (
	"go.temporal.io/api/workflowservice/v1"
)

func countRequest(team string) *workflowservice.CountWorkflowExecutionsRequest {
	return &workflowservice.CountWorkflowExecutionsRequest{Query: "HeraldTeamId = '" + team + "'"}
}
