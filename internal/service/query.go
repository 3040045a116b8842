package service

// What a list's query asks for, read through Query so that any door (the
// API's query string, the console's) asks the same way.

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/channels"
	"github.com/heraldhq/herald/internal/eventtype"
	"github.com/heraldhq/herald/internal/problem"
	"github.com/heraldhq/herald/internal/store"
)

// Query reads one parameter of a list's query ("" when absent).
type Query func(name string) string

// Page sizes of every list: the default, and the most a query may ask for.
const (
	DefaultPageLimit = 50
	MaxPageLimit     = 200
)

// IntegrationDeliveries is one page of the integration id's deliveries the
// query asks for, newest first, with the integration and the filter read
// from the query.
func (s *Service) IntegrationDeliveries(ctx context.Context, a Actor, id string, limit int, q Query) (store.Integration, api.Page[api.DeliveryView], store.DeliveryFilter, error) {
	in, err := s.Integration(ctx, a, id)
	if err != nil {
		return in, api.Page[api.DeliveryView]{}, store.DeliveryFilter{}, err
	}
	f, err := DeliveryQuery(in.TeamID, in.ID, limit, q)
	if err != nil {
		return in, api.Page[api.DeliveryView]{}, f, err
	}
	p, err := s.Deliveries(ctx, f)
	return in, p, f, err
}

// DeliveryQuery is the filter a delivery list's query asks for, of the
// caller's team (and of integration, when not ""): ?status (a list such as
// failed,retrying), ?event, ?channel, ?since, ?until and ?cursor.
func DeliveryQuery(team, integration string, limit int, q Query) (store.DeliveryFilter, error) {
	f := store.DeliveryFilter{TeamID: team, IntegrationID: integration, Before: q("cursor"), Limit: limit}
	for _, st := range strings.Split(q("status"), ",") {
		if st = strings.TrimSpace(st); st == "" {
			continue
		}
		parsed, err := ParseStatus(st)
		if err != nil {
			return f, err
		}
		f.Statuses = append(f.Statuses, parsed)
	}
	if ch := q("channel"); ch != "" {
		if !slices.Contains(channels.Supported(), herald.IntegrationType(ch)) {
			return f, problem.BadRequest("channel %q: want one of %v", ch, channels.Supported())
		}
		f.Channel = herald.IntegrationType(ch)
	}
	if t := strings.TrimSpace(q("event")); t != "" {
		var err error
		if f.EventType, err = eventtype.Normalize(t); err != nil {
			return f, problem.BadRequest("query \"event\": %s", err)
		}
	}
	var err error
	f.Since, f.Until, err = TimeRange(q)
	return f, err
}

// TimeRange reads ?since and ?until (RFC 3339).
func TimeRange(q Query) (since, until time.Time, err error) {
	for _, r := range []struct {
		name string
		into *time.Time
	}{{"since", &since}, {"until", &until}} {
		if v := q(r.name); v != "" {
			if *r.into, err = time.Parse(time.RFC3339, v); err != nil {
				return since, until, problem.BadRequest("query %q must be an RFC 3339 time such as 2026-01-02T15:04:05Z", r.name)
			}
		}
	}
	return since, until, nil
}

// Audit is the page of the team's audit log the query asks for
// (object, actor, action, cursor).
func (s *Service) Audit(ctx context.Context, a Actor, q Query, limit int) (api.Page[api.AuditView], error) {
	entries, err := s.store.ListAudit(ctx, store.AuditFilter{TeamID: a.TeamID, ObjectID: q("object"),
		ActorID: q("actor"), Action: q("action"), Before: q("cursor"), Limit: limit})
	if err != nil {
		return api.Page[api.AuditView]{}, err
	}
	p := api.Page[api.AuditView]{Data: make([]api.AuditView, len(entries))}
	for i, e := range entries {
		p.Data[i] = auditView(e)
	}
	if len(entries) == limit {
		p.NextCursor = entries[len(entries)-1].ID
	}
	return p, nil
}

func auditView(e store.AuditEntry) api.AuditView {
	var v api.AuditView
	v.ID, v.At, v.Action, v.Summary = e.ID, e.CreatedAt, string(e.Action), e.Summary
	v.Object.Type, v.Object.ID = string(e.ObjectType), e.ObjectID
	v.Actor.Kind, v.Actor.ID, v.Actor.Name, v.Actor.Via = string(e.ActorKind), e.ActorID, e.ActorName, e.Via
	return v
}
