package console

import (
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"
	"go.temporal.io/sdk/client"

	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/store"
)

// Page sizes of the console's lists.
const (
	defaultPageLimit = 50
	maxPageLimit     = 200
)

// KeyLocal is where a request's authenticated key is kept (the gateway's
// API keeps its key there too, so its tracing reads the team either way).
const KeyLocal = "herald.key"

// Guard is the gateway's defence against guessed keys (by address) and its
// per-key rate, which the console's sign-in and pages share with the API.
type Guard interface {
	// Check refuses an address that guessed wrong too often; Fail counts a
	// wrong guess.
	Check(ip string, now time.Time) error
	Fail(ip string, now time.Time)
	// Rate refuses a key over its request rate.
	Rate(keyID string) error
}

// Console is the web console: pages for the team's integrations, events,
// deliveries and audit log, and the API reference page. What it changes it
// changes through the service layer, as the API does; it calls none of the
// API's handlers.
type Console struct {
	cfg      *config.Config
	store    *store.Store
	svc      *service.Service
	temporal client.Client
	log      *slog.Logger
	guard    Guard
}

// New is the console over svc and st.
func New(cfg *config.Config, st *store.Store, svc *service.Service, tc client.Client, log *slog.Logger, guard Guard) *Console {
	return &Console{cfg: cfg, store: st, svc: svc, temporal: tc, log: log, guard: guard}
}

// keyOf is the signed-in key.
func keyOf(c *fiber.Ctx) store.APIKey { return c.Locals(KeyLocal).(store.APIKey) }

// teamID is the signed-in key's team.
func teamID(c *fiber.Ctx) string { return keyOf(c).TeamID }

// actorOf is the actor of a change made in the console with key k.
func actorOf(k store.APIKey) store.Actor {
	return store.Actor{Kind: store.ActorKey, ID: k.ID, Name: k.Name, Via: "console"}
}

// actor is who asks, for the service layer: the signed-in key's team and
// scopes, through the console.
func actor(c *fiber.Ctx) service.Actor {
	k := keyOf(c)
	return service.Actor{TeamID: k.TeamID, Actor: actorOf(k), Scopes: k.ScopeList()}
}

// query reads the request's query string for the service layer.
func query(c *fiber.Ctx) service.Query {
	return func(name string) string { return c.Query(name) }
}

// integration is the team's integration :id.
func (s *Console) integration(c *fiber.Ctx) (store.Integration, error) {
	return s.svc.Integration(c.UserContext(), actor(c), c.Params("id"))
}

// audit records a change that is not a row of Herald's; the change stands if
// the entry cannot be written (the failure is logged).
func (s *Console) audit(c *fiber.Ctx, a store.Audit) {
	if err := s.store.RecordAudit(c.UserContext(), a); err != nil {
		s.log.Error("audit", "action", a.Action, "object", a.ObjectID, "error", err)
	}
}

// deliveryPage is one page of the integration :id's deliveries the query
// asks for, newest first.
func (s *Console) deliveryPage(c *fiber.Ctx, limit int) (store.Integration, api.Page[api.DeliveryView], store.DeliveryFilter, error) {
	in, err := s.integration(c)
	if err != nil {
		return in, api.Page[api.DeliveryView]{}, store.DeliveryFilter{}, err
	}
	f, err := service.DeliveryQuery(in.TeamID, in.ID, limit, query(c))
	if err != nil {
		return in, api.Page[api.DeliveryView]{}, f, err
	}
	p, err := s.svc.Deliveries(c.UserContext(), f)
	return in, p, f, err
}
