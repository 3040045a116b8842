package openapi

import (
	"bytes"
	"context"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
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
