package service

// The event catalog: Herald's types with their data schemas, a team's own,
// and the team's choice to have its events' data checked against them.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/catalog"
	"github.com/heraldhq/herald/internal/eventtype"
	"github.com/heraldhq/herald/internal/problem"
	"github.com/heraldhq/herald/internal/store"
)

// maxDescription bounds an event type's description.
const maxDescription = 1000

// DataProblem is a 400 pointing at the mismatch (at prefix + its path in the
// data), or nil without one.
func DataProblem(err error, prefix, what string) error {
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

// nullable is nil for an absent or null JSON value.
func nullable(raw json.RawMessage) json.RawMessage {
	if b := bytes.TrimSpace(raw); len(b) == 0 || bytes.Equal(b, []byte("null")) {
		return nil
	}
	return raw
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

// checkExample checks an example's data against the schema it comes with.
func (s *Service) checkExample(schema *catalog.Schema, example json.RawMessage) error {
	if len(example) == 0 {
		return nil
	}
	budget := catalog.NewBudget(int64(s.cfg.ValidationBudget))
	return DataProblem(schema.Validate(example, budget), "/example", "field \"example\" does not match the schema")
}

// EventTypes is the catalog: Herald's types, then the team's.
func (s *Service) EventTypes(ctx context.Context, a Actor) ([]api.EventTypeView, error) {
	own, err := s.store.ListEventTypes(ctx, a.TeamID)
	if err != nil {
		return nil, err
	}
	out := []api.EventTypeView{}
	for _, t := range catalog.Builtin() {
		out = append(out, builtinView(t))
	}
	for _, t := range own {
		out = append(out, customView(t))
	}
	return out, nil
}

// typeName is raw normalized, and Herald's own type of that name if it is one.
func typeName(raw string) (string, *catalog.Type, error) {
	name, err := eventtype.Normalize(raw)
	if err != nil {
		return "", nil, problem.BadRequest("%s", err)
	}
	if t, ok := catalog.Lookup(name); ok {
		return name, &t, nil
	}
	return name, nil, nil
}

// EventType is one type: Herald's own, or the team's.
func (s *Service) EventType(ctx context.Context, a Actor, raw string) (api.EventTypeView, error) {
	name, builtin, err := typeName(raw)
	if err != nil {
		return api.EventTypeView{}, err
	}
	if builtin != nil {
		return builtinView(*builtin), nil
	}
	t, err := s.store.GetEventType(ctx, a.TeamID, name)
	if err != nil {
		return api.EventTypeView{}, problem.OrNotFound(err, "event type", name)
	}
	return customView(t), nil
}

// CreateEventType registers a type of the team's own with the JSON Schema of
// its data (and an example that must match it).
func (s *Service) CreateEventType(ctx context.Context, a Actor, req api.EventTypeRequest) (api.EventTypeView, error) {
	var none api.EventTypeView
	if req.Name == nil {
		return none, problem.Field("name", " is required (category:action)")
	}
	name, err := eventtype.Normalize(*req.Name)
	if err != nil {
		return none, problem.Field("name", ": %s", err)
	}
	if _, ok := catalog.Lookup(name); ok {
		return none, problem.Conflict("%s is one of Herald's own event types; its schema is fixed (GET /v1/event-types/%s)", name, name)
	}
	sch, err := compileSchema(req.Schema)
	if err != nil {
		return none, err
	}
	if err := s.checkExample(sch, nullable(req.Example)); err != nil {
		return none, err
	}
	if err := checkDescription(req.Description); err != nil {
		return none, err
	}
	t := store.EventType{TeamID: a.TeamID, Name: name, Schema: req.Schema, Example: nullable(req.Example)}
	if req.Description != nil {
		t.Description = *req.Description
	}
	out, err := s.store.CreateEventType(a.in(ctx), t)
	switch {
	case errors.Is(err, store.ErrExists):
		return none, problem.Conflict("the team already has an event type %s; change it with PATCH /v1/event-types/%s", name, name)
	case errors.Is(err, store.ErrTooMany):
		return none, problem.Conflict("a team has at most %d event types of its own; delete one first", store.MaxEventTypes)
	case err != nil:
		return none, err
	}
	s.rulesChanged(t.TeamID)
	return customView(out), nil
}

// UpdateEventType changes one of the team's types: its schema, example or
// description (the example kept must match the schema in force).
func (s *Service) UpdateEventType(ctx context.Context, a Actor, raw string, req api.EventTypeRequest) (api.EventTypeView, error) {
	var none api.EventTypeView
	name, builtin, err := typeName(raw)
	if err != nil {
		return none, err
	}
	if builtin != nil {
		return none, problem.Conflict("%s is one of Herald's own event types; it cannot be changed", name)
	}
	if req.Name != nil && *req.Name != name {
		return none, problem.At("name", problem.BadRequest("an event type cannot be renamed; register %q and delete %s", *req.Name, name))
	}
	if err := checkDescription(req.Description); err != nil {
		return none, err
	}
	team := a.TeamID
	cur, err := s.store.GetEventType(a.in(ctx), team, name)
	if err != nil {
		return none, problem.OrNotFound(err, "event type", name)
	}
	change := store.EventTypeChange{Description: req.Description}
	schemaRaw := cur.Schema
	if req.Schema != nil {
		change.Schema, schemaRaw = req.Schema, req.Schema
	}
	sch, err := compileSchema(schemaRaw)
	if err != nil {
		return none, err
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
		return none, err
	}
	out, err := s.store.UpdateEventType(a.in(ctx), team, name, change)
	if err != nil {
		return none, problem.OrNotFound(err, "event type", name)
	}
	s.rulesChanged(team)
	return customView(out), nil
}

// DeleteEventType deletes one of the team's types.
func (s *Service) DeleteEventType(ctx context.Context, a Actor, raw string) error {
	name, builtin, err := typeName(raw)
	if err != nil {
		return err
	}
	if builtin != nil {
		return problem.Conflict("%s is one of Herald's own event types; it cannot be deleted", name)
	}
	if err := s.store.DeleteEventType(a.in(ctx), a.TeamID, name); err != nil {
		return problem.OrNotFound(err, "event type", name)
	}
	s.rulesChanged(a.TeamID)
	return nil
}

func teamSettingsView(t store.TeamSettings) api.TeamSettingsView {
	return api.TeamSettingsView{ID: t.ID, Name: t.Name, CreatedAt: t.CreatedAt, ValidateData: t.ValidateData}
}

// TeamSettings is what the actor's team sets for itself.
func (s *Service) TeamSettings(ctx context.Context, a Actor) (api.TeamSettingsView, error) {
	t, err := s.store.GetTeamSettings(ctx, a.TeamID)
	if err != nil {
		return api.TeamSettingsView{}, err
	}
	return teamSettingsView(t), nil
}

// ChangeTeamSettings changes what the team sets for itself (validateData);
// ingest sees the change through rulesChanged.
func (s *Service) ChangeTeamSettings(ctx context.Context, a Actor, req api.TeamSettingsRequest) (api.TeamSettingsView, error) {
	t, err := s.store.ChangeTeamSettings(a.in(ctx), a.TeamID, store.TeamSettingsChange{ValidateData: req.ValidateData})
	if err != nil {
		return api.TeamSettingsView{}, err
	}
	if req.ValidateData != nil {
		s.rulesChanged(t.ID)
	}
	return teamSettingsView(t), nil
}

// OnDataRulesChange has f told of every team whose data rules (its types'
// schemas, validateData) change, so that a cache of them forgets it.
func (s *Service) OnDataRulesChange(f func(team string)) { s.rulesChangedHook = f }

func (s *Service) rulesChanged(team string) {
	if s.rulesChangedHook != nil {
		s.rulesChangedHook(team)
	}
}
