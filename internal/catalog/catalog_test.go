package catalog

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/heraldhq/herald/internal/eventtype"
)

// The seed's documented build:start body, as the seed page prints it.
const seedBuildStart = `{
  "event": "build:start",
  "data": {
    "build": {"id": "social-hour-1312", "branch": "master", "pullRequestId": null, "status": "STARTING",
      "sha": "ca624abed0d5ba0ad6e6fe28c396196b81f0200d", "concluded": false, "createdAt": "2022-01-19T09:04:40.916Z"},
    "service": {"id": "website", "name": "Website"},
    "project": {"id": "personal-blog", "name": "Personal Blog"},
    "user": {"id": "thomas"}
  }
}`

func TestSeedBuildStartMatchesTheCatalog(t *testing.T) {
	var body struct {
		Event string          `json:"event"`
		Data  json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal([]byte(seedBuildStart), &body); err != nil {
		t.Fatal(err)
	}
	s, ok := BuiltinSchema(body.Event)
	if !ok {
		t.Fatal("no schema for build:start")
	}
	if err := s.Validate(body.Data, NewBudget(DefaultBudget)); err != nil {
		t.Fatalf("the seed's build:start does not match its schema: %v", err)
	}
	// And the schema is not a schema that takes anything.
	err := s.Validate([]byte(`{"build": {"id": "b1", "concluded": "no"}}`), NewBudget(DefaultBudget))
	var de *DataError
	if !errors.As(err, &de) || de.Path != "/build/concluded" {
		t.Fatalf("a string concluded: %v, want a DataError at /build/concluded", err)
	}
}

// Every example validates against its type's schema, and the catalog is
// every catalogued type, each described with an example.
func TestExamplesMatchTheirSchemas(t *testing.T) {
	for name, ex := range Examples {
		s, ok := BuiltinSchema(ex.Type)
		if !ok {
			if eventtype.Known(ex.Type) {
				t.Errorf("%s: %s has no schema", name, ex.Type)
			}
			continue
		}
		if err := s.Validate([]byte(ex.Data), NewBudget(DefaultBudget)); err != nil {
			t.Errorf("%s (%s): %v", name, ex.Type, err)
		}
	}
	types := Builtin()
	if len(types) != len(eventtype.Catalogue()) {
		t.Fatalf("%d types, want %d", len(types), len(eventtype.Catalogue()))
	}
	for _, typ := range types {
		if typ.Description == "" || len(typ.Example) == 0 || typ.Category == "" {
			t.Errorf("%s: description %q, example %s, category %q", typ.Name, typ.Description, typ.Example, typ.Category)
		}
		var ex struct{ Event string }
		if err := json.Unmarshal(typ.Example, &ex); err != nil || ex.Event != typ.Name {
			t.Errorf("%s: example %s", typ.Name, typ.Example)
		}
	}
	// The seed's example is build:start's, verbatim.
	bs, _ := Lookup("build:start")
	if !strings.Contains(string(bs.Example), "social-hour-1312") {
		t.Errorf("build:start's example is %s", bs.Example)
	}
}

func TestCompileRefusesWhatItMustNot(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret.json")
	if err := os.WriteFile(secret, []byte(`{"type":"string"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, schema := range map[string]string{
		"not JSON":     `{"type":`,
		"not object":   `["type"]`,
		"bad keyword":  `{"type": "strnig"}`,
		"file ref":     `{"$ref": "file://` + secret + `"}`,
		"remote ref":   `{"$ref": "https://example.com/s.json"}`,
		"too large":    `{"description": "` + strings.Repeat("x", MaxSchemaBytes) + `"}`,
		"bad regexp":   `{"pattern": "("}`,
		"missing defs": `{"$ref": "#/$defs/nope"}`,
	} {
		if _, err := Compile([]byte(schema)); err == nil {
			t.Errorf("%s: compiled", name)
		}
	}
	s, err := Compile([]byte(`{"type":"object","required":["quota"],"properties":{"quota":{"type":"object","properties":{"used":{"type":"integer","minimum":0}}},"tags":{"type":"array","items":{"type":"string"}}},"$defs":{"x":{"type":"string"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	for data, path := range map[string]string{
		`{"quota":{"used":-1}}`:               "/quota/used",
		`{"quota":{"used":1},"tags":["a",2]}`: "/tags/1",
		`{}`:                                  "",
		`[]`:                                  "",
	} {
		err := s.Validate([]byte(data), NewBudget(DefaultBudget))
		var de *DataError
		if !errors.As(err, &de) || de.Path != path || de.Message == "" {
			t.Errorf("%s: %v, want a mismatch at %q", data, err, path)
		}
	}
	if err := s.Validate([]byte(`{"quota":{"used":3},"tags":["a"]}`), NewBudget(DefaultBudget)); err != nil {
		t.Errorf("a matching body: %v", err)
	}
}
