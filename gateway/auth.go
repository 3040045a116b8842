package gateway

import (
	"errors"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/store"
)

const localKey = "herald.key"

// authenticate resolves the bearer key, requires scope on it, and applies
// the key's rate limit.
func (s *Server) authenticate(scope herald.Scope) fiber.Handler {
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
				return unavailable("the key store is unavailable; try again shortly")
			}
		}
		if !key.Has(scope) {
			return problemf(fiber.StatusForbidden, "this API key lacks the %q scope this route needs", scope)
		}
		c.Locals(localKey, key)
		if err := s.checkRate(key.ID); err != nil {
			return err
		}
		return c.Next()
	}
}

func unauthorized(c *fiber.Ctx, detail string) error {
	c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="herald"`)
	return problemf(fiber.StatusUnauthorized, "%s", detail)
}

// teamID is the team of the authenticated key.
func teamID(c *fiber.Ctx) string { return apiKey(c).TeamID }

// apiKey is the authenticated key.
func apiKey(c *fiber.Ctx) store.APIKey { return c.Locals(localKey).(store.APIKey) }
