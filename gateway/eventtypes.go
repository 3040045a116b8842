package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/catalog"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/internal/eventtype"
	"github.com/heraldhq/herald/internal/problem"
	"github.com/heraldhq/herald/internal/store"
)

// validateWait bounds how long an event waits for its team's turn to be
// checked (teamGate): only a team sending costly events at once waits.
const validateWait = 5 * time.Second

// maxDescription bounds an event type's description.
const maxDescription = 1000

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
	return dataProblem(schema.Validate(in.Data, budget), "/data", "field \"data\" does not match the schema of "+in.Type)
}

// dataProblem is a 400 pointing at the mismatch (at prefix + its path in the
// data), or nil without one.
func dataProblem(err error, prefix, what string) error {
	if err == nil {
		return nil
	}
	var de *catalog.DataError
	var be *catalog.BudgetError
	switch {
	case errors.As(err, &be):
		p := problem.BadRequest("field %q was not checked: %s", strings.TrimPrefix(prefix, "/"), be)
		p.Errors = []api.ProblemError{{Pointer: prefix, Detail: be.Error()}}
		return p
	case !errors.As(err, &de):
		return err
	}
	p := problem.BadRequest("%s at %s: %s", what, prefix+de.Path, de.Message)
	p.Errors = []api.ProblemError{{Pointer: prefix + de.Path, Detail: de.Message}}
	p.SchemaMismatch = true
	return p
}

func builtinView(t catalog.Type) api.EventTypeView {
	return api.EventTypeView{Name: t.Name, Category: t.Category, Description: t.Description, Schema: t.Schema,
		Example: t.Example, BuiltIn: true}
}

func customView(t store.EventType) api.EventTypeView {
	v := api.EventTypeView{Name: t.Name, Category: eventtype.Category(t.Name), Description: t.Description,
		Schema: t.Schema, CreatedAt: &t.CreatedAt, UpdatedAt: &t.UpdatedAt}
	if ex := nullable(t.Example); ex != nil {
		v.Example, _ = json.Marshal(map[string]any{"event": t.Name, "data": ex})
	}
	return v
}

// listEventTypes is the catalog: Herald's types, then the team's.
func (s *Server) listEventTypes(c *fiber.Ctx) error {
	own, err := s.store.ListEventTypes(c.UserContext(), teamID(c))
	if err != nil {
		return err
	}
	out := api.Page[api.EventTypeView]{Data: []api.EventTypeView{}}
	for _, t := range catalog.Builtin() {
		out.Data = append(out.Data, builtinView(t))
	}
	for _, t := range own {
		out.Data = append(out.Data, customView(t))
	}
	return c.JSON(out)
}

// eventTypeName is the route's type, normalized; Herald's own says so.
func eventTypeName(c *fiber.Ctx) (name string, builtin *catalog.Type, err error) {
	raw, err := url.PathUnescape(c.Params("name"))
	if err != nil {
		return "", nil, problem.BadRequest("the event type in the path is not valid percent-encoding")
	}
	if name, err = eventtype.Normalize(raw); err != nil {
		return "", nil, problem.BadRequest("%s", err)
	}
	if t, ok := catalog.Lookup(name); ok {
		return name, &t, nil
	}
	return name, nil, nil
}

func (s *Server) getEventType(c *fiber.Ctx) error {
	name, builtin, err := eventTypeName(c)
	if err != nil {
		return err
	}
	if builtin != nil {
		return c.JSON(builtinView(*builtin))
	}
	t, err := s.store.GetEventType(c.UserContext(), teamID(c), name)
	if err != nil {
		return problem.OrNotFound(err, "event type", name)
	}
	return c.JSON(customView(t))
}

// checkExample checks an example's data against the schema it comes with.
func (s *Server) checkExample(schema *catalog.Schema, example json.RawMessage) error {
	if len(example) == 0 {
		return nil
	}
	budget := catalog.NewBudget(int64(s.cfg.ValidationBudget))
	return dataProblem(schema.Validate(example, budget), "/example", "field \"example\" does not match the schema")
}

func compileSchema(raw json.RawMessage) (*catalog.Schema, error) {
	if nullable(raw) == nil {
		return nil, problem.Field("schema", " is required: the JSON Schema of the event's data")
	}
	sch, err := catalog.Compile(raw)
	if err != nil {
		return nil, problem.Field("schema", ": %s", err)
	}
	return sch, nil
}

func checkDescription(d *string) error {
	if d != nil && utf8.RuneCountInString(*d) > maxDescription {
		return problem.Field("description", " is %d characters; at most %d", utf8.RuneCountInString(*d), maxDescription)
	}
	return nil
}

func (s *Server) createEventType(c *fiber.Ctx) error {
	var req api.EventTypeRequest
	if err := decodeJSON(c.Body(), &req); err != nil {
		return err
	}
	if req.Name == nil {
		return problem.Field("name", " is required (category:action)")
	}
	name, err := eventtype.Normalize(*req.Name)
	if err != nil {
		return problem.Field("name", ": %s", err)
	}
	if _, ok := catalog.Lookup(name); ok {
		return problem.Conflict("%s is one of Herald's own event types; its schema is fixed (GET /v1/event-types/%s)", name, name)
	}
	sch, err := compileSchema(req.Schema)
	if err != nil {
		return err
	}
	if err := s.checkExample(sch, nullable(req.Example)); err != nil {
		return err
	}
	if err := checkDescription(req.Description); err != nil {
		return err
	}
	t := store.EventType{TeamID: teamID(c), Name: name, Schema: req.Schema, Example: nullable(req.Example)}
	if req.Description != nil {
		t.Description = *req.Description
	}
	out, err := s.store.CreateEventType(c.UserContext(), t)
	switch {
	case errors.Is(err, store.ErrExists):
		return problem.Conflict("the team already has an event type %s; change it with PATCH /v1/event-types/%s", name, name)
	case errors.Is(err, store.ErrTooMany):
		return problem.Conflict("a team has at most %d event types of its own; delete one first", store.MaxEventTypes)
	case err != nil:
		return err
	}
	s.dataRules.forget(t.TeamID)
	return c.Status(fiber.StatusCreated).JSON(customView(out))
}

// nullable is nil for an absent or null JSON value.
func nullable(raw json.RawMessage) json.RawMessage {
	if b := bytes.TrimSpace(raw); len(b) == 0 || bytes.Equal(b, []byte("null")) {
		return nil
	}
	return raw
}

func (s *Server) updateEventType(c *fiber.Ctx) error {
	name, builtin, err := eventTypeName(c)
	if err != nil {
		return err
	}
	if builtin != nil {
		return problem.Conflict("%s is one of Herald's own event types; it cannot be changed", name)
	}
	var req api.EventTypeRequest
	if err := decodeJSON(c.Body(), &req); err != nil {
		return err
	}
	if req.Name != nil && *req.Name != name {
		return problem.At("name", problem.BadRequest("an event type cannot be renamed; register %q and delete %s", *req.Name, name))
	}
	if err := checkDescription(req.Description); err != nil {
		return err
	}
	team := teamID(c)
	cur, err := s.store.GetEventType(c.UserContext(), team, name)
	if err != nil {
		return problem.OrNotFound(err, "event type", name)
	}
	change := store.EventTypeChange{Description: req.Description}
	schemaRaw := cur.Schema
	if req.Schema != nil {
		change.Schema, schemaRaw = req.Schema, req.Schema
	}
	sch, err := compileSchema(schemaRaw)
	if err != nil {
		return err
	}
	example := nullable(cur.Example)
	switch {
	case req.Example != nil && nullable(req.Example) == nil:
		change.ClearExample, example = true, nil
	case req.Example != nil:
		change.Example, example = req.Example, req.Example
	}
	// The example kept must match the schema in force.
	if err := s.checkExample(sch, example); err != nil {
		return err
	}
	out, err := s.store.UpdateEventType(c.UserContext(), team, name, change)
	if err != nil {
		return problem.OrNotFound(err, "event type", name)
	}
	s.dataRules.forget(team)
	return c.JSON(customView(out))
}

func (s *Server) deleteEventType(c *fiber.Ctx) error {
	name, builtin, err := eventTypeName(c)
	if err != nil {
		return err
	}
	if builtin != nil {
		return problem.Conflict("%s is one of Herald's own event types; it cannot be deleted", name)
	}
	if err := s.store.DeleteEventType(c.UserContext(), teamID(c), name); err != nil {
		return problem.OrNotFound(err, "event type", name)
	}
	s.dataRules.forget(teamID(c))
	return c.SendStatus(fiber.StatusNoContent)
}

func teamSettingsView(t store.TeamSettings) api.TeamSettingsView {
	return api.TeamSettingsView{ID: t.ID, Name: t.Name, CreatedAt: t.CreatedAt, ValidateData: t.ValidateData}
}

// getTeam is the caller's own team.
func (s *Server) getTeam(c *fiber.Ctx) error {
	t, err := s.store.GetTeamSettings(c.UserContext(), teamID(c))
	if err != nil {
		return err
	}
	return c.JSON(teamSettingsView(t))
}

// patchTeam changes what the caller's team sets for itself.
func (s *Server) patchTeam(c *fiber.Ctx) error {
	var req api.TeamSettingsRequest
	if err := decodeJSON(c.Body(), &req); err != nil {
		return err
	}
	if req.ValidateData == nil {
		return s.getTeam(c)
	}
	t, err := s.store.SetValidateData(c.UserContext(), teamID(c), *req.ValidateData)
	if err != nil {
		return err
	}
	s.dataRules.forget(t.ID)
	return c.JSON(teamSettingsView(t))
}
