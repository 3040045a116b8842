package service

import (
	"context"
	"time"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/internal/problem"
	"github.com/heraldhq/herald/internal/replay"
	"github.com/heraldhq/herald/internal/store"
)

// Replay starts a ReplayWorkflow of the team's past events to integ and
// says how many it takes (replay.Scope).
func (s *Service) Replay(ctx context.Context, a Actor, integ store.Integration, req api.ReplayRequest) (api.ReplayView, error) {
	ctx = a.in(ctx)
	in, err := replayInput(integ, req, time.Now())
	if err != nil {
		return api.ReplayView{}, err
	}
	in.RatePerSecond, in.ReplayID = s.cfg.ReplayRate, store.NewID("rpl")
	total, err := replay.ScopeOf(integ, in.Patterns).Count(ctx, s.store, in)
	if err != nil {
		return api.ReplayView{}, err
	}
	in.Progress.Total = total
	sctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	wfID, err := contract.StartReplay(sctx, s.temporal, s.cfg.TaskQueue, in)
	if err != nil {
		s.log.Error("replay", "integration", integ.ID, "error", err)
		return api.ReplayView{}, problem.Unavailable("the replay could not be started because the workflow service is unavailable")
	}
	s.RecordAudit(ctx, store.Audit{TeamID: integ.TeamID, Action: store.AuditReplay, ObjectType: store.ObjectIntegration, ObjectID: integ.ID,
		Summary: map[string]any{"replayId": in.ReplayID, "since": in.Since, "until": in.Until, "events": in.Patterns, "again": in.Again, "total": total}})
	return api.ReplayView{ID: in.ReplayID, WorkflowID: wfID, Status: api.ReplayRunning, Total: total}, nil
}

// replayInput checks a replay request: a range that ends after it starts,
// and event patterns as an integration's are written.
func replayInput(integ store.Integration, req api.ReplayRequest, now time.Time) (contract.ReplayInput, error) {
	in := contract.ReplayInput{TeamID: integ.TeamID, IntegrationID: integ.ID, Until: now, Again: req.Again}
	var err error
	if req.Since == "" {
		return in, problem.Field("since", " is required: the start of the range, an RFC 3339 time such as 2026-01-02T15:04:05Z")
	}
	if in.Since, err = time.Parse(time.RFC3339, req.Since); err != nil {
		return in, problem.Field("since", " must be an RFC 3339 time such as 2026-01-02T15:04:05Z")
	}
	if req.Until != "" {
		if in.Until, err = time.Parse(time.RFC3339, req.Until); err != nil {
			return in, problem.Field("until", " must be an RFC 3339 time such as 2026-01-02T15:04:05Z")
		}
	}
	if !in.Until.After(in.Since) {
		return in, problem.Field("until", " must come after since")
	}
	if len(req.Events) > 0 {
		if in.Patterns, err = NormalizePatterns(req.Events); err != nil {
			return in, err
		}
	}
	return in, nil
}

// ReplayState is where one of the team's replays stands.
func (s *Service) ReplayState(ctx context.Context, a Actor, id string) (api.ReplayView, error) {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	st, p, err := contract.ReplayState(ctx, s.temporal, a.TeamID, id)
	if err != nil {
		return api.ReplayView{}, problem.NotFound("replay", id)
	}
	v := api.ReplayView{ID: id, WorkflowID: contract.ReplayWorkflowID(a.TeamID, id), Total: p.Total, Done: p.Done, Started: p.Started}
	switch st {
	case enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW:
		v.Status = api.ReplayRunning
	case enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED:
		v.Status = api.ReplayDone
	case enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED:
		v.Status = api.ReplayCancelled
	default:
		v.Status = api.ReplayFailed
	}
	return v, nil
}

// CancelReplay stops one of the team's replays: what it started stays
// started, nothing more is.
func (s *Service) CancelReplay(ctx context.Context, a Actor, id string) error {
	ctx, cancel := context.WithTimeout(a.in(ctx), startTimeout)
	defer cancel()
	if err := contract.CancelReplay(ctx, s.temporal, a.TeamID, id); err != nil {
		return problem.NotFound("running replay", id)
	}
	s.RecordAudit(ctx, store.Audit{TeamID: a.TeamID, Action: store.AuditReplayCancel, ObjectType: store.ObjectReplay, ObjectID: id})
	return nil
}
