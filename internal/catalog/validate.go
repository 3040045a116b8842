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
)

// MaxSchemaBytes bounds a schema a team registers: a schema is compiled for
// every gateway's cache, so it stays small.
const MaxSchemaBytes = 64 << 10

// Schema is a compiled JSON Schema of an event's data.
type Schema struct{ s *jsonschema.Schema }

// noLoader refuses every $ref outside the schema itself: a tenant's schema
// must not make the gateway read a file (the library's default loader reads
// file:// URLs) or fetch a URL.
type noLoader struct{}

func (noLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("a schema may only $ref inside itself, not %s", url)
}

// Compile checks and compiles a JSON Schema (2020-12 unless its $schema says
// another draft). The error says what is wrong, for a 400.
func Compile(schema []byte) (*Schema, error) {
	if len(schema) > MaxSchemaBytes {
		return nil, fmt.Errorf("the schema is %d bytes; at most %d", len(schema), MaxSchemaBytes)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema))
	if err != nil {
		return nil, fmt.Errorf("the schema is not JSON: %w", err)
	}
	if _, ok := doc.(map[string]any); !ok {
		return nil, errors.New("the schema must be a JSON object")
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.UseLoader(noLoader{})
	const url = "urn:herald:event-data"
	if err := c.AddResource(url, doc); err != nil {
		return nil, fmt.Errorf("the schema: %w", err)
	}
	s, err := c.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("the schema is not valid JSON Schema: %s", strings.ReplaceAll(err.Error(), url, "schema"))
	}
	return &Schema{s}, nil
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

// Validate checks data (JSON) against the schema; a mismatch is a *DataError
// whose Path is a JSON pointer into data ("" for data itself).
func (s *Schema) Validate(data []byte) error {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return &DataError{Path: "", Message: "not JSON: " + err.Error()}
	}
	err = s.s.Validate(inst)
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
