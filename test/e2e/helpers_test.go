package e2e

import (
	"io"
	"log/slog"

	"go.temporal.io/api/workflowservice/v1"
)

func countRequest(team string) *workflowservice.CountWorkflowExecutionsRequest {
	return &workflowservice.CountWorkflowExecutionsRequest{Query: "HeraldTeamId = '" + team + "'"}
}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
