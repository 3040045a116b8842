package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/jsoncheck"
	"github.com/heraldhq/herald/internal/pacing"
	"github.com/heraldhq/herald/internal/problem"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/spell"
)

// decodeJSON reads exactly one JSON value into v. Unknown fields are an error
// everywhere in the API, so a typo never silently does nothing. Every refusal
// points at the field it is about, or at the whole body ("").
func decodeJSON(body []byte, v any) error {
	err := decodeBody(body, v)
	var p *api.Problem
	if errors.As(err, &p) && len(p.Errors) == 0 {
		problem.AtRoot(p)
	}
	return err
}

func decodeBody(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return problem.BadRequest("the request body is empty; a JSON object is expected")
	}
	if !utf8.Valid(body) {
		return problem.BadRequest("the request body is not valid UTF-8")
	}
	if err := jsoncheck.Check(body); err != nil {
		var je *jsoncheck.Error
		if errors.As(err, &je) {
			p := problem.BadRequest("%s", je)
			p.Errors = []api.ProblemError{{Pointer: je.Pointer, Detail: je.Msg}}
			return p
		}
		return problem.BadRequest("%s", err)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var fe *pacing.FieldError
		if errors.As(err, &fe) {
			return problem.Field(fe.Field, ": %s", fe.Problem)
		}
		// Only a body that is not JSON is "malformed": well-formed JSON with
		// a wrong value says which value (a CLI flag's mistake included).
		var syn *json.SyntaxError
		if errors.As(err, &syn) || errors.Is(err, io.ErrUnexpectedEOF) {
			return problem.AtRoot(problem.BadRequest("malformed JSON: %s", describeJSONError(err)))
		}
		if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return unknownField(strings.Trim(name, `"`), v, body)
		}
		var typ *json.UnmarshalTypeError
		if errors.As(err, &typ) && typ.Field != "" {
			return problem.Field(typ.Field, " must be %s, not %s", jsonKind(typ.Type.Kind().String()), typ.Value)
		}
		return problem.AtRoot(problem.BadRequest("invalid request body: %s", describeJSONError(err)))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return problem.BadRequest("malformed JSON: unexpected data after the first JSON value")
	}
	return nil
}

// knownMistakes are fields people send meaning another: the names other
// webhook and event services use.
var knownMistakes = map[string]meant{"type": {"event", required}, "eventType": {"event", required}, "event_type": {"event", required},
	"name": {"event", required}, "payload": {"data", optional}, "body": {"data", optional}, "eventId": {"id", optional}, "idempotencyKey": {"id", optional}}

// meant is the field a known mistake stands for, and whether the request
// needs it (then its absence is said first).
type meant struct {
	field string
	need  need
}

type need int

const (
	optional need = iota
	required
)

// unknownField is the 400 of a field v has no place for, with the field it
// likely meant; when that field is missing from the body, it says so first
// ("event" is required) since that is what stops the request.
func unknownField(name string, v any, body []byte) *api.Problem {
	fields := jsonFields(v)
	detail := fmt.Sprintf("unknown field %q", name)
	if alt := knownMistakes[name]; slices.Contains(fields, alt.field) {
		if alt.need == required && !hasTopField(body, alt.field) {
			detail = fmt.Sprintf("%q is required; the body has %q instead", alt.field, name)
		}
		detail += fmt.Sprintf("; did you mean %q?", alt.field)
	} else if near := spell.Closest(name, fields, 3); near != "" {
		detail += fmt.Sprintf("; did you mean %q?", near)
	}
	p := problem.BadRequest("invalid request body: %s", detail)
	p.Errors = []api.ProblemError{{Pointer: problem.Pointer(name), Detail: detail}}
	return p
}

// hasTopField says whether the body, a JSON object, has the field at its top.
func hasTopField(body []byte, field string) bool {
	var top map[string]json.RawMessage
	if json.Unmarshal(body, &top) != nil {
		return false
	}
	_, ok := top[field]
	return ok
}

// jsonFields are the JSON names of the fields of the struct v points to.
func jsonFields(v any) []string {
	t := reflect.TypeOf(v)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	var out []string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-":
		case f.Anonymous && name == "":
			out = append(out, jsonFields(reflect.New(f.Type).Interface())...)
		case name != "":
			out = append(out, name)
		case f.IsExported():
			out = append(out, f.Name)
		}
	}
	return out
}

func describeJSONError(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("%s (at byte %d)", syn.Error(), syn.Offset)
	case errors.As(err, &typ):
		if typ.Field != "" {
			return fmt.Sprintf("field %q must be %s, not %s", typ.Field, jsonKind(typ.Type.Kind().String()), typ.Value)
		}
		return fmt.Sprintf("expected %s, got %s", jsonKind(typ.Type.Kind().String()), typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the JSON ends too early"
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return "unknown field " + f
	}
	return strings.TrimPrefix(msg, "json: ")
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "slice", "array":
		return "an array"
	case "struct", "map":
		return "an object"
	case "bool":
		return "a boolean"
	case "ptr", "interface":
		return "a value"
	}
	return "a number"
}

// checkURLText refuses a request whose path or query holds invalid UTF-8 or
// a control character, before any handler passes them to Postgres (which
// refuses NUL and invalid UTF-8 with an error that would be a 500) or to a log.
func (s *Server) checkURLText(c *fiber.Ctx) error {
	if err := service.CheckText("path", string(c.Request().URI().Path())); err != nil {
		return notInBody(err)
	}
	var bad error
	c.Request().URI().QueryArgs().VisitAll(func(k, v []byte) {
		if bad != nil {
			return
		}
		field := string(bytes.ToValidUTF8(k, []byte("?"))) // named in the answer, so printable
		if bad = service.CheckText(field, string(k)); bad == nil {
			bad = service.CheckText(field, string(v))
		}
	})
	if bad != nil {
		return notInBody(bad)
	}
	return c.Next()
}

// notInBody drops the body pointer of a problem about the request's URL.
func notInBody(err error) error {
	if p, ok := err.(*api.Problem); ok {
		p.Errors = nil
	}
	return err
}
