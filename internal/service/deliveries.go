package service

// Deliveries: read with their attempts, and resent, one or in bulk.

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/internal/problem"
	"github.com/heraldhq/herald/internal/store"
)

// startTimeout bounds the call to Temporal of a resend or a bulk resend
// (its start, status or cancellation).
const startTimeout = 5 * time.Second

// KnownStatuses are the statuses a delivery can be asked for by.
var KnownStatuses = []herald.DeliveryStatus{herald.DeliveryPending, herald.DeliveryRetrying,
	herald.DeliveryDelivered, herald.DeliveryFailed, herald.DeliverySkipped, herald.DeliveryGrouped}

// Delivery is one of a team's deliveries with every attempt (API and console).
func (s *Service) Delivery(ctx context.Context, a Actor, id string) (api.DeliveryView, store.Delivery, error) {
	team := a.TeamID
	d, err := s.store.GetDelivery(ctx, team, id)
	if errors.Is(err, store.ErrNotFound) {
		return api.DeliveryView{}, d, problem.NotFound("delivery", id)
	}
	if err != nil {
		return api.DeliveryView{}, d, err
	}
	atts, err := s.store.Attempts(ctx, d.ID)
	if err != nil {
		return api.DeliveryView{}, d, err
	}
	v := DeliveryView(d)
	v.AttemptLog = make([]api.AttemptView, len(atts))
	for i, a := range atts {
		v.AttemptLog[i] = AttemptView(a)
	}
	return v, d, nil
}

// Deliveries is the page of deliveries f selects, with the cursor of the next.
func (s *Service) Deliveries(ctx context.Context, f store.DeliveryFilter) (api.Page[api.DeliveryView], error) {
	list, err := s.store.ListDeliveries(ctx, f)
	if err != nil {
		return api.Page[api.DeliveryView]{}, err
	}
	p := api.Page[api.DeliveryView]{Data: make([]api.DeliveryView, len(list))}
	for i, d := range list {
		p.Data[i] = DeliveryView(d)
	}
	if len(list) == f.Limit {
		p.NextCursor = list[len(list)-1].ID
	}
	return p, nil
}

func ParseStatus(q string) (herald.DeliveryStatus, error) {
	st := herald.DeliveryStatus(q)
	if q != "" && !slices.Contains(KnownStatuses, st) {
		return "", problem.BadRequest("status %q: want one of %v", q, KnownStatuses)
	}
	return st, nil
}

// Resend signals one manual attempt at one of a team's deliveries.
func (s *Service) Resend(ctx context.Context, a Actor, id string) (string, error) {
	ctx, team := a.in(ctx), a.TeamID
	d, err := s.store.GetDelivery(ctx, team, id)
	if errors.Is(err, store.ErrNotFound) {
		return "", problem.NotFound("delivery", id)
	}
	if err != nil {
		return "", err
	}
	integ, err := s.store.GetIntegration(ctx, team, d.IntegrationID)
	if errors.Is(err, store.ErrNotFound) {
		return "", problem.Conflict("the integration of this delivery was deleted; there is nothing to resend to")
	}
	if err != nil {
		return "", err
	}
	if !integ.Enabled {
		return "", problem.Conflict("integration %q is disabled (%s); enable it before resending", integ.Name, integ.DisabledReason)
	}
	ev, err := s.store.GetEvent(ctx, team, d.EventID)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	wfID, err := contract.Resend(ctx, s.temporal, s.cfg.TaskQueue, ev.Input(), d.ID)
	if err != nil {
		s.log.Error("resend", "delivery", d.ID, "error", err)
		return "", problem.Unavailable("the resend could not be requested because the workflow service is unavailable")
	}
	s.RecordAudit(ctx, store.Audit{TeamID: team, Action: store.AuditDeliveryResend, ObjectType: store.ObjectDelivery, ObjectID: d.ID,
		Summary: map[string]any{"integrationId": integ.ID, "eventId": ev.ID}})
	return wfID, nil
}

// BulkResend starts a BulkResendWorkflow over an integration's deliveries of
// req's status (failed when none is named) since req.Since.
func (s *Service) BulkResend(ctx context.Context, a Actor, integ store.Integration, req api.BulkResendRequest) (api.BulkResendAccepted, error) {
	ctx = a.in(ctx)
	team, id := integ.TeamID, integ.ID
	if req.Status == "" {
		req.Status = string(herald.DeliveryFailed)
	}
	status, err := ParseStatus(req.Status)
	if err != nil {
		return api.BulkResendAccepted{}, err
	}
	in := contract.BulkResendInput{TeamID: team, IntegrationID: id, Status: status, RatePerSecond: s.cfg.BulkResendRate}
	if req.Since != "" {
		if in.Since, err = time.Parse(time.RFC3339, req.Since); err != nil {
			return api.BulkResendAccepted{}, problem.Field("since", " must be an RFC 3339 time such as 2026-01-02T15:04:05Z")
		}
	}
	if !integ.Enabled {
		return api.BulkResendAccepted{}, problem.Conflict("integration %q is disabled (%s); enable it before resending", integ.Name, integ.DisabledReason)
	}
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	resendID := store.NewID("rsnd")
	wfID, err := contract.StartBulkResend(ctx, s.temporal, s.cfg.TaskQueue, resendID, in)
	if err != nil {
		s.log.Error("bulk resend", "integration", id, "error", err)
		return api.BulkResendAccepted{}, problem.Unavailable("the resend could not be started because the workflow service is unavailable")
	}
	s.RecordAudit(ctx, store.Audit{TeamID: team, Action: store.AuditBulkResend, ObjectType: store.ObjectIntegration, ObjectID: id,
		Summary: map[string]any{"resendId": resendID, "status": status, "since": req.Since}})
	return api.BulkResendAccepted{ID: resendID, WorkflowID: wfID}, nil
}

// BulkResendStatus is how far one of the team's bulk resends has come.
func (s *Service) BulkResendStatus(ctx context.Context, a Actor, id string) (contract.BulkResendProgress, error) {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	p, err := contract.BulkResendStatus(ctx, s.temporal, a.TeamID, id)
	if err != nil {
		return p, problem.NotFound("resend", id)
	}
	return p, nil
}

// CancelBulkResend stops one of the team's bulk resends.
func (s *Service) CancelBulkResend(ctx context.Context, a Actor, id string) error {
	ctx, cancel := context.WithTimeout(a.in(ctx), startTimeout)
	defer cancel()
	if err := contract.CancelBulkResend(ctx, s.temporal, a.TeamID, id); err != nil {
		return problem.NotFound("running resend", id)
	}
	s.RecordAudit(ctx, store.Audit{TeamID: a.TeamID, Action: store.AuditBulkResendCancel, ObjectType: store.ObjectBulkResend, ObjectID: id})
	return nil
}
