package gateway

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/door"
	"github.com/heraldhq/herald/internal/problem"
	"github.com/heraldhq/herald/internal/store"
)

// authenticate resolves the bearer key, requires one of scopes on it (admin
// holds them all), and applies the key's rate limit.
func (s *Server) authenticate(scopes ...herald.Scope) fiber.Handler {
	return func(c *fiber.Ctx) error {
		h := c.Get(fiber.HeaderAuthorization)
		token, ok := strings.CutPrefix(h, "Bearer ")
		token = strings.TrimSpace(token)
		if !ok || token == "" {
			return unauthorized(c, "an API key is required: send Authorization: Bearer hk_…")
		}
		key, cached := s.keys.get(token, time.Now())
		if !cached {
			if err := s.guesses.check(c.IP(), time.Now()); err != nil {
				return err
			}
		}
		if !strings.HasPrefix(token, store.KeyPrefix) {
			s.guesses.fail(c.IP(), time.Now())
			return unauthorized(c, "the API key is not valid")
		}
		var err error
		if !cached {
			key, err = s.store.Authenticate(c.UserContext(), token)
			if err == nil {
				s.keys.put(token, key, time.Now())
			}
		}
		if errors.Is(err, store.ErrNotFound) {
			s.guesses.fail(c.IP(), time.Now())
			return unauthorized(c, "the API key is not valid or has been revoked")
		}
		if err != nil {
			if k, ok := s.keys.stale(token, time.Now()); ok {
				key = k
			} else {
				s.log.Error("authenticate", "error", err)
				return problem.Unavailable("the key store is unavailable; try again shortly")
			}
		}
		if !slices.ContainsFunc(scopes, key.Has) {
			return problem.New(fiber.StatusForbidden, "this API key lacks the %s scope this route needs", scopeList(scopes))
		}
		door.SetKey(c, key)
		c.SetUserContext(store.WithActor(c.UserContext(), actorOf(c, key)))
		if err := s.checkRate(key.ID); err != nil {
			return err
		}
		return c.Next()
	}
}

// scopeList names the scopes a route takes: "manage", "manage" or "owner".
func scopeList(scopes []herald.Scope) string {
	names := make([]string, len(scopes))
	for i, sc := range scopes {
		names[i] = strconv.Quote(string(sc))
	}
	return strings.Join(names, " or ")
}

func unauthorized(c *fiber.Ctx, detail string) error {
	c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="herald"`)
	return problem.New(fiber.StatusUnauthorized, "%s", detail)
}

// actorOf is the actor of an API request made with key: through the api
// door, or the cli one when the CLI names itself in its User-Agent.
func actorOf(c *fiber.Ctx, key store.APIKey) store.Actor {
	via := "api"
	if strings.HasPrefix(c.Get(fiber.HeaderUserAgent), api.CLIUserAgentPrefix) {
		via = "cli"
	}
	return store.Actor{Kind: store.ActorKey, ID: key.ID, Name: key.Name, Via: via}
}
