package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/heraldhq/herald/internal/pacing"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
)

// decodeJSON reads exactly one JSON value into v. Unknown fields are an error
// everywhere in the API, so a typo never silently does nothing.
func decodeJSON(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return badRequest("the request body is empty; a JSON object is expected")
	}
	if !utf8.Valid(body) {
		return badRequest("the request body is not valid UTF-8")
	}
	if d := nesting(body); d > MaxNesting {
		return badRequest("the JSON nests %d levels deep; at most %d are allowed", d, MaxNesting)
	}
	if err := storableEscapes(body); err != nil {
		return badRequest("%s", err)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var fe *pacing.FieldError
		if errors.As(err, &fe) {
			return badRequest("field %q: %s", fe.Field, fe.Problem)
		}
		// Only a body that is not JSON is "malformed": well-formed JSON with
		// a wrong value says which value (a CLI flag's mistake included).
		var syn *json.SyntaxError
		if errors.As(err, &syn) || errors.Is(err, io.ErrUnexpectedEOF) {
			return badRequest("malformed JSON: %s", describeJSONError(err))
		}
		return badRequest("invalid request body: %s", describeJSONError(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return badRequest("malformed JSON: unexpected data after the first JSON value")
	}
	return nil
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

// MaxNesting is the deepest JSON the API accepts: enough for any real event,
// far from what would strain a decoder or a renderer.
const MaxNesting = 64

// nesting is the deepest level of objects and arrays in a JSON text (strings
// skipped), found without decoding it.
func nesting(b []byte) int {
	depth, deepest, inString, escaped := 0, 0, false, false
	for _, c := range b {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			deepest = max(deepest, depth)
		case c == '}' || c == ']':
			depth--
		}
	}
	return deepest
}

// storableEscapes refuses the two \u escapes that are valid JSON but that
// Postgres cannot store (jsonb and text): \u0000, and a surrogate that is not
// half of a pair. Accepting them would pass the request on to a write that
// fails every time it is retried.
func storableEscapes(b []byte) error {
	inString := false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if !inString {
			inString = c == '"'
			continue
		}
		switch c {
		case '"':
			inString = false
		case '\\':
			if i+1 >= len(b) {
				return nil // malformed: the decoder says so
			}
			if b[i+1] != 'u' {
				i++
				continue
			}
			r, ok := hex4(b, i+2)
			if !ok {
				return nil
			}
			switch {
			case r == 0:
				return fmt.Errorf("the JSON holds \\u0000 (a NUL character) at byte %d, which cannot be stored", i)
			case r >= 0xDC00 && r <= 0xDFFF:
				return fmt.Errorf("the JSON holds a lone low surrogate \\u%04x at byte %d", r, i)
			case r >= 0xD800 && r <= 0xDBFF:
				lo, ok := -1, i+6+1 < len(b) && b[i+6] == '\\' && b[i+7] == 'u'
				if ok {
					var v rune
					if v, ok = hex4(b, i+8); ok {
						lo = int(v)
					}
				}
				if lo < 0xDC00 || lo > 0xDFFF {
					return fmt.Errorf("the JSON holds a high surrogate \\u%04x at byte %d without its low half", r, i)
				}
				i += 11
				continue
			}
			i += 5
		}
	}
	return nil
}

// hex4 reads four hex digits at b[at:].
func hex4(b []byte, at int) (rune, bool) {
	if at+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[at : at+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// checkURLText refuses a request whose path or query holds invalid UTF-8 or
// a control character, before any handler passes them to Postgres (which
// refuses NUL and invalid UTF-8 with an error that would be a 500) or to a log.
func (s *Server) checkURLText(c *fiber.Ctx) error {
	if err := checkText("path", string(c.Request().URI().Path())); err != nil {
		return err
	}
	var bad error
	c.Request().URI().QueryArgs().VisitAll(func(k, v []byte) {
		if bad != nil {
			return
		}
		field := string(bytes.ToValidUTF8(k, []byte("?"))) // named in the answer, so printable
		if bad = checkText(field, string(k)); bad == nil {
			bad = checkText(field, string(v))
		}
	})
	if bad != nil {
		return bad
	}
	return c.Next()
}

// checkText refuses what Postgres cannot store or a log line or header should
// not carry: invalid UTF-8 and control characters (NUL, CR, LF, …).
func checkText(field, v string) error {
	if !utf8.ValidString(v) {
		return badRequest("field %q is not valid UTF-8", field)
	}
	for _, r := range v {
		if unicode.IsControl(r) {
			return badRequest("field %q must not hold control characters (found %U)", field, r)
		}
	}
	return nil
}
