// Command gen writes the OpenAPI document (go generate ./internal/openapi).
package main

import (
	"fmt"
	"os"

	"github.com/heraldhq/herald/internal/openapi"
)

func main() {
	doc, err := openapi.Document()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := os.WriteFile("openapi.json", doc, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
