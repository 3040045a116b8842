package console

import (
	"fmt"
	"net/url"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/door"
	"github.com/heraldhq/herald/internal/store"
)

// replayAges are the ranges the console's replay form offers.
var replayAges = map[string]time.Duration{"1h": time.Hour, "24h": 24 * time.Hour, "7d": 7 * 24 * time.Hour}

// consoleReplay starts a replay of the team's events of the last hour, day
// or week to the integration (the API's replay, through the service).
func (s *Console) consoleReplay(c *fiber.Ctx, in store.Integration) error {
	age, ok := replayAges[c.FormValue("since")]
	if !ok {
		return s.redirectWithFlash(c, "/console/integrations/"+url.PathEscape(in.ID), "Not replayed: choose the last hour, day or week.")
	}
	v, err := s.svc.Replay(c.UserContext(), door.Actor(c), in, api.ReplayRequest{Since: time.Now().Add(-age).UTC().Format(time.RFC3339)})
	if err != nil {
		return err
	}
	return s.redirectWithFlash(c, "/console/integrations/"+url.PathEscape(in.ID),
		fmt.Sprintf("Replay %s started: %d past events of the last %s to %s, those it has not had (herald replay --status %s).", v.ID, v.Total, c.FormValue("since"), in.Name, v.ID))
}
