package openapi

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The document is a valid OpenAPI 3.1 document, with valid examples.
func TestDocumentIsValidOpenAPI(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(Served)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if !doc.IsOpenAPI31OrLater() {
		t.Fatalf("openapi %s, want 3.1", doc.OpenAPI)
	}
	if err := doc.Validate(context.Background(), openapi3.EnableExamplesValidation(), openapi3.EnableSchemaDefaultsValidation(), openapi3.EnableMultiError()); err != nil {
		t.Fatalf("the document is not valid: %v", err)
	}
	ops := 0
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			ops++
			if op.OperationID == "" || op.Summary == "" || op.Responses.Default() == nil {
				t.Errorf("%s %s: id %q, summary %q, default response %v", method, path, op.OperationID, op.Summary, op.Responses.Default())
			}
		}
	}
	if ops != len(Operations()) {
		t.Errorf("%d operations in the document, %d in the table", ops, len(Operations()))
	}
}

// openapi.json is what Document makes today (go generate ./internal/openapi).
func TestServedDocumentIsCurrent(t *testing.T) {
	doc, err := Document()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(doc, Served) {
		t.Fatal("internal/openapi/openapi.json is not what the Go types and operations make: run go generate ./...")
	}
}

// A second, independent check: the document validates against the OpenAPI
// Initiative's own JSON Schema for OpenAPI 3.1 (testdata/oas-3.1-schema.json,
// id https://spec.openapis.org/oas/3.1/schema/2021-04-15, as published in the
// openapi-schemas package of APIDevTools).
func TestDocumentMatchesTheOAS31Schema(t *testing.T) {
	raw, err := os.ReadFile("testdata/oas-3.1-schema.json")
	if err != nil {
		t.Fatal(err)
	}
	schemaDoc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	const id = "https://spec.openapis.org/oas/3.1/schema/2021-04-15"
	if err := c.AddResource(id, schemaDoc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(id)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(Served))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(doc); err != nil {
		t.Fatalf("the document does not match the OpenAPI 3.1 schema: %v", err)
	}
	// And the check can fail: a path item with an unknown method.
	bad, err := jsonschema.UnmarshalJSON(bytes.NewReader(bytes.Replace(Served, []byte(`"get": {`), []byte(`"fetch": {`), 1)))
	if err != nil {
		t.Fatal(err)
	}
	if sch.Validate(bad) == nil {
		t.Fatal("a path item with a \"fetch\" operation passed the OpenAPI 3.1 schema")
	}
}
