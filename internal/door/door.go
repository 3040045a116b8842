// Package door is what every HTTP door of Herald's (the API, the console,
// Add to Slack) reads from a request the same way: the key it was
// authenticated with, the actor it makes for the service layer, its query.
package door

import (
	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/store"
)

// keyLocal is where a door keeps the request's authenticated key.
const keyLocal = "herald.key"

// SetKey keeps k as the request's authenticated key.
func SetKey(c *fiber.Ctx, k store.APIKey) { c.Locals(keyLocal, k) }

// Key is the request's authenticated key (the door authenticated it first).
func Key(c *fiber.Ctx) store.APIKey { return c.Locals(keyLocal).(store.APIKey) }

// KeyIfAny is the request's key, when it carries one.
func KeyIfAny(c *fiber.Ctx) (store.APIKey, bool) {
	k, ok := c.Locals(keyLocal).(store.APIKey)
	return k, ok
}

// TeamID is the team of the request's key.
func TeamID(c *fiber.Ctx) string { return Key(c).TeamID }

// Actor is who asks, for the service layer: the key's team and scopes, and
// the actor the door put into the request's context (store.WithActor).
func Actor(c *fiber.Ctx) service.Actor {
	k := Key(c)
	return service.Actor{TeamID: k.TeamID, Actor: store.ActorOf(c.UserContext()), Scopes: k.ScopeList()}
}

// Query reads the request's query string for the service layer.
func Query(c *fiber.Ctx) service.Query {
	return func(name string) string { return c.Query(name) }
}
