package catalog

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/heraldhq/herald/internal/jsoncheck"
)

// MaxSchemaBytes bounds a schema a team registers: a schema is compiled for
// every gateway's cache, so it stays small.
const MaxSchemaBytes = 64 << 10

// Schema is a JSON Schema of an event's data, ready to validate with a
// budget (budget.go). It keeps compiled copies of itself, one per
// validation running at once, because each copy carries the meter of the
// validation using it.
type Schema struct {
	doc     any // the schema as prepared for metering (prepare)
	weights []weight
	free    chan *instance
}

// instancesKept bounds the idle compiled copies of a schema: as many
// validations of one schema as run at once on a gateway's cores, and a few.
const instancesKept = 8

// noLoader refuses every $ref outside the schema itself: a tenant's schema
// must not make the gateway read a file (the library's default loader reads
// file:// URLs) or fetch a URL.
type noLoader struct{}

func (noLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("a schema may only $ref inside itself, not %s", url)
}

// schemaURL names the schema being compiled; errors say "schema" instead.
const schemaURL = "urn:herald:event-data"

// Compile checks and compiles a JSON Schema (2020-12 unless its $schema says
// another draft). The error says what is wrong, for a 400: besides what JSON
// Schema refuses, the bounds of bounds.go (numbers, enums, patterns).
func Compile(schema []byte) (*Schema, error) {
	if len(schema) > MaxSchemaBytes {
		return nil, fmt.Errorf("the schema is %d bytes; at most %d", len(schema), MaxSchemaBytes)
	}
	if err := jsoncheck.Check(schema); err != nil {
		return nil, fmt.Errorf("the schema: %w", err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema))
	if err != nil {
		return nil, fmt.Errorf("the schema is not JSON: %w", err)
	}
	if _, ok := doc.(map[string]any); !ok {
		return nil, errors.New("the schema must be a JSON object")
	}
	prepared, weights, err := prepare(doc)
	if err != nil {
		return nil, err
	}
	s := &Schema{doc: prepared, weights: weights, free: make(chan *instance, instancesKept)}
	in, err := s.compile()
	if err != nil {
		return nil, err
	}
	if err := everyNodeMetered(in.s); err != nil {
		return nil, err
	}
	s.free <- in
	return s, nil
}

// compile makes one copy of the schema with a meter of its own.
func (s *Schema) compile() (*instance, error) {
	m := &meter{}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.UseLoader(noLoader{})
	c.UseRegexpEngine(boundedRegexp)
	for _, w := range s.weights {
		c.RegisterFormat(&jsonschema.Format{Name: w.format(), Validate: m.charger(w)})
	}
	// The cost formats are asserted in every draft; prepare has taken the
	// schema's own formats out where they were only annotations.
	c.AssertFormat()
	if err := c.AddResource(schemaURL, s.doc); err != nil {
		return nil, fmt.Errorf("the schema: %w", err)
	}
	compiled, err := c.Compile(schemaURL)
	if err != nil {
		return nil, fmt.Errorf("the schema is not valid JSON Schema: %s", strings.ReplaceAll(err.Error(), schemaURL, "schema"))
	}
	return &instance{s: compiled, meter: m}, nil
}

// acquire takes an idle copy, or compiles one more when all are in use.
func (s *Schema) acquire() (*instance, error) {
	select {
	case in := <-s.free:
		return in, nil
	default:
		return s.compile()
	}
}

// release gives a copy back, or drops it when enough are idle.
func (s *Schema) release(in *instance) {
	select {
	case s.free <- in:
	default:
	}
}

// DataError is an event's data that does not match its type's schema: the
// JSON pointer of the first mismatch, and what is wrong there.
type DataError struct {
	Path    string
	Message string
}

func (e *DataError) Error() string {
	return fmt.Sprintf("%s: %s", e.Path, e.Message)
}

var printer = message.NewPrinter(language.English)

// Validate checks data (JSON) against the schema, spending from b. A
// mismatch is a *DataError whose Path is a JSON pointer into data ("" for
// data itself); data that would cost more than b has left is a
// *BudgetError, and b is then spent.
func (s *Schema) Validate(data []byte, b *Budget) error {
	if err := jsoncheck.Check(data); err != nil {
		var je *jsoncheck.Error
		if errors.As(err, &je) {
			return &DataError{Path: je.Pointer, Message: je.Msg}
		}
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return &DataError{Path: "", Message: "not JSON: " + err.Error()}
	}
	in, err := s.acquire()
	if err != nil {
		return err
	}
	err = in.validate(inst, b)
	s.release(in)
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	// The deepest first cause names the exact place, not "doesn't validate".
	for len(ve.Causes) > 0 {
		ve = ve.Causes[0]
	}
	return &DataError{Path: pointer(ve.InstanceLocation), Message: ve.ErrorKind.LocalizedString(printer)}
}

// pointer is an RFC 6901 JSON pointer of the tokens.
func pointer(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(t))
	}
	return b.String()
}

// compiled are the built-in schemas, compiled on first use.
var compiled = sync.OnceValue(func() map[string]*Schema {
	out := map[string]*Schema{}
	for name, t := range builtin() {
		s, err := Compile(t.Schema)
		if err != nil {
			panic("schema of " + name + ": " + err.Error())
		}
		out[name] = s
	}
	return out
})

// BuiltinSchema is the compiled schema of a catalogued type.
func BuiltinSchema(name string) (*Schema, bool) {
	s, ok := compiled()[name]
	return s, ok
}
