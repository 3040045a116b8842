package gateway

import (
	"context"
	"net/url"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/catalog"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/internal/door"
	"github.com/heraldhq/herald/internal/problem"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/store"
)

// validateWait bounds how long an event waits for its team's turn to be
// checked (teamGate): only a team sending costly events at once waits.
const validateWait = 5 * time.Second

// dataRules is what ingest checks a team's events with, compiled.
type dataRules struct {
	validate bool
	schemas  map[string]*catalog.Schema
}

func newDataRulesCache(ttl time.Duration, st *store.Store) *ttlCache[string, dataRules] {
	return newTTLCache(ttl, func(ctx context.Context, team string) (dataRules, error) {
		r, err := st.TeamDataRules(ctx, team)
		if err != nil {
			return dataRules{}, err
		}
		out := dataRules{validate: r.ValidateData, schemas: map[string]*catalog.Schema{}}
		for name, raw := range r.Schemas {
			// Compiled once per distinct text: reading the rules again compiles nothing.
			if s, err := catalog.Cached(raw); err == nil { // checked when registered
				out.schemas[name] = s
			}
		}
		return out, nil
	})
}

// checkData refuses an event whose data does not match its type's schema,
// when the team asks for it (validateData), spending from the request's
// budget. Types without a schema pass. When the rules cannot be read
// (Postgres is away) the last ones read serve; a gateway that never read
// them accepts the event unchecked: ingest keeps taking events through an
// outage.
func (s *Server) checkData(ctx context.Context, in contract.EventInput, budget *catalog.Budget) error {
	rules, err := s.dataRules.get(ctx, in.TeamID)
	if err != nil {
		s.log.Warn("event data unchecked: the team's data rules could not be read", "team", in.TeamID, "error", err)
		return nil
	}
	if !rules.validate {
		return nil
	}
	schema, ok := rules.schemas[in.Type]
	if !ok {
		if schema, ok = catalog.BuiltinSchema(in.Type); !ok {
			return nil
		}
	}
	wait, cancel := context.WithTimeout(ctx, validateWait)
	defer cancel()
	release, err := s.validating.enter(wait, in.TeamID)
	if err != nil {
		return problem.Unavailable("the event's data could not be checked in time; retry")
	}
	defer release()
	return service.DataProblem(schema.Validate(in.Data, budget), "/data", "field \"data\" does not match the schema of "+in.Type)
}

// listEventTypes is the catalog: Herald's types, then the team's.
func (s *Server) listEventTypes(c *fiber.Ctx) error {
	views, err := s.svc.EventTypes(c.UserContext(), door.Actor(c))
	if err != nil {
		return err
	}
	return c.JSON(api.Page[api.EventTypeView]{Data: views})
}

// eventTypeName is the route's event type, percent-decoded.
func eventTypeName(c *fiber.Ctx) (string, error) {
	raw, err := url.PathUnescape(c.Params("name"))
	if err != nil {
		return "", problem.BadRequest("the event type in the path is not valid percent-encoding")
	}
	return raw, nil
}

func (s *Server) getEventType(c *fiber.Ctx) error {
	name, err := eventTypeName(c)
	if err != nil {
		return err
	}
	v, err := s.svc.EventType(c.UserContext(), door.Actor(c), name)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

func (s *Server) createEventType(c *fiber.Ctx) error {
	var req api.EventTypeRequest
	if err := decodeJSON(c.Body(), &req); err != nil {
		return err
	}
	v, err := s.svc.CreateEventType(c.UserContext(), door.Actor(c), req)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(v)
}

func (s *Server) updateEventType(c *fiber.Ctx) error {
	name, err := eventTypeName(c)
	if err != nil {
		return err
	}
	var req api.EventTypeRequest
	if err := decodeJSON(c.Body(), &req); err != nil {
		return err
	}
	v, err := s.svc.UpdateEventType(c.UserContext(), door.Actor(c), name, req)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

func (s *Server) deleteEventType(c *fiber.Ctx) error {
	name, err := eventTypeName(c)
	if err != nil {
		return err
	}
	if err := s.svc.DeleteEventType(c.UserContext(), door.Actor(c), name); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// getTeam is the caller's own team.
func (s *Server) getTeam(c *fiber.Ctx) error {
	v, err := s.svc.TeamSettings(c.UserContext(), door.Actor(c))
	if err != nil {
		return err
	}
	return c.JSON(v)
}

// patchTeam changes what the caller's team sets for itself.
func (s *Server) patchTeam(c *fiber.Ctx) error {
	var req api.TeamSettingsRequest
	if err := decodeJSON(c.Body(), &req); err != nil {
		return err
	}
	v, err := s.svc.ChangeTeamSettings(c.UserContext(), door.Actor(c), req)
	if err != nil {
		return err
	}
	return c.JSON(v)
}
