package service_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/test/testenv"
)

func newService(t *testing.T) *service.Service {
	cfg := config.Defaults()
	return service.New(&cfg, testenv.NewStore(t), nil, nil, slog.New(slog.DiscardHandler))
}

// problemOf is err as a problem, or fails the test.
func problemOf(t *testing.T, err error) *api.Problem {
	t.Helper()
	var p *api.Problem
	if !errors.As(err, &p) {
		t.Fatalf("%v (%T) is not a problem", err, err)
	}
	return p
}

var operator = service.Actor{Actor: store.Actor{Kind: store.ActorDatabase, Name: "ops", Via: "cli"}}

// The one team-name rule, for the API and the CLI's bootstrap alike.
func TestTheTeamNameRule(t *testing.T) {
	svc := newService(t)
	ctx := context.Background()
	for _, name := range []string{"", "   ", strings.Repeat("x", 101)} {
		_, err := svc.CreateTeam(ctx, operator, name)
		if p := problemOf(t, err); p.Status != http.StatusBadRequest || p.Errors[0].Pointer != "/name" {
			t.Errorf("team name %q: %+v", name, p)
		}
	}
	v, err := svc.CreateTeam(ctx, operator, "  platform  ")
	if err != nil || v.Name != "platform" {
		t.Fatalf("%+v %v", v, err)
	}
	again, err := svc.CreateTeam(ctx, operator, "platform")
	if err != nil || len(again.Warnings) == 0 {
		t.Errorf("a second team named platform: %+v %v; want it made, with a warning", again, err)
	}
}

// A key grants at most what its holder holds, and an owner's reach ends at
// its own team.
func TestKeysGrantAtMostTheirHoldersScopes(t *testing.T) {
	svc := newService(t)
	ctx := context.Background()
	a, _ := svc.CreateTeam(ctx, operator, "team-a")
	b, _ := svc.CreateTeam(ctx, operator, "team-b")
	owner := service.Actor{TeamID: a.ID, Actor: store.Actor{Kind: store.ActorKey, ID: "key_1", Via: "api"},
		Scopes: []herald.Scope{herald.ScopeOwner, herald.ScopeManage}}
	cases := []struct {
		req    api.KeyRequest
		status int
	}{
		{api.KeyRequest{Scopes: []string{"admin"}}, http.StatusForbidden},
		{api.KeyRequest{TeamID: b.ID, Scopes: []string{"manage"}}, http.StatusNotFound},
		{api.KeyRequest{Scopes: nil}, http.StatusBadRequest},
		{api.KeyRequest{Scopes: []string{"root"}}, http.StatusBadRequest},
	}
	for _, c := range cases {
		_, err := svc.CreateKey(ctx, owner, c.req)
		if p := problemOf(t, err); p.Status != c.status {
			t.Errorf("%+v: HTTP %d %s; want %d", c.req, p.Status, p.Detail, c.status)
		}
	}
	k, err := svc.CreateKey(ctx, owner, api.KeyRequest{Name: "ci", Scopes: []string{"manage"}})
	if err != nil || k.TeamID != a.ID || !strings.HasPrefix(k.Key, "hk_") {
		t.Fatalf("%+v %v", k, err)
	}
	if _, err := svc.ListKeys(ctx, owner, b.ID); problemOf(t, err).Status != http.StatusNotFound {
		t.Errorf("an owner listed another team's keys")
	}
	if _, err := svc.RevokeKey(ctx, service.Actor{TeamID: b.ID, Scopes: []herald.Scope{herald.ScopeOwner}}, k.ID); problemOf(t, err).Status != http.StatusNotFound {
		t.Errorf("another team's owner revoked the key")
	}
	if v, err := svc.RevokeKey(ctx, owner, k.ID); err != nil || v.RevokedAt == nil {
		t.Errorf("revoke: %+v %v", v, err)
	}
}
