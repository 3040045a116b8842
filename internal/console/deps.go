package console

import (
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"
	"go.temporal.io/sdk/client"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/door"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/store"
)

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

// actorOf is the actor of a change made in the console with key k.
func actorOf(k store.APIKey) store.Actor {
	return store.Actor{Kind: store.ActorKey, ID: k.ID, Name: k.Name, Via: "console"}
}

// integration is the team's integration :id.
func (s *Console) integration(c *fiber.Ctx) (store.Integration, error) {
	return s.svc.Integration(c.UserContext(), door.Actor(c), c.Params("id"))
}
