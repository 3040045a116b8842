// Package openapi is Herald's API contract: the OpenAPI 3.1 document of
// every /v1 route, made from the Go types the gateway encodes and decodes
// (internal/api) and the operation table here. `go generate` writes it to
// openapi.json, which the gateway serves at GET /v1/openapi.json, the Go
// client (internal/apiclient) is generated from, and the end-to-end tests
// validate every request and answer against.
//
// Code first, on purpose: the wire types are what the server writes, so a
// field renamed in Go is renamed in the document by the same change, and a
// hand-kept document cannot drift from them. What reflection cannot see
// (which fields may be null, which statuses come back) the end-to-end
// suite's traffic checks.
package openapi

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/heraldhq/herald/internal/api"
)

//go:generate go run ./gen

// Served is the document as generated (openapi.json): what GET
// /v1/openapi.json serves, byte for byte.
//
//go:embed openapi.json
var Served []byte

// Version is the API's version in the document's info.
const Version = "1.0.0"

// commonProblems are the problems any keyed route may answer.
var commonProblems = []int{400, 401, 403, 429}

// Document builds the document.
func Document() ([]byte, error) {
	s := newSchemas()
	// Request types first: a type reached from a request is made as one
	// (nothing required, null taken for absent), which also holds for it
	// in an answer.
	for _, op := range operations {
		if op.body != nil {
			s.of(op.body, inRequest, nullNever)
		}
	}
	problem := s.of(typeOf[api.Problem](), inAnswer, nullNever)
	paths := obj{}
	for _, op := range operations {
		item, _ := paths[op.path].(obj)
		if item == nil {
			item = obj{}
			paths[op.path] = item
		}
		item[strings.ToLower(op.method)] = s.operation(op)
	}
	doc := obj{
		"openapi":           "3.1.0",
		"jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
		"info": obj{
			"title":   "Herald",
			"version": Version,
			"summary": "Notification delivery: events in, Slack, Discord, Microsoft Teams and signed webhooks out.",
			"description": "Platforms post events (build:start, job-run:failure, backup:success, alerts…); Herald delivers each to the team's " +
				"matching integrations with durable retries, records every attempt, disables integrations that keep failing and lets operators resend.\n\n" +
				"Every route but the Slack redirects and this document takes an API key: `Authorization: Bearer hk_…`. " +
				"Each route says which scopes may call it. Errors are RFC 9457 problem details (application/problem+json). " +
				"Lists are pages: `data`, and `nextCursor` to pass as `cursor` for the next.",
			"license": obj{"name": "Proprietary", "identifier": "LicenseRef-Herald"},
		},
		"servers": []any{obj{"url": "/", "description": "the gateway this document came from"}},
		"tags": []any{
			obj{"name": "Events", "description": "What platforms send, and what became of it."},
			obj{"name": "Integrations", "description": "Where a team's events go."},
			obj{"name": "Deliveries", "description": "One event to one integration, with every attempt."},
			obj{"name": "Event types", "description": "The event catalog: schemas and examples, and a team's own types."},
			obj{"name": "Teams"}, obj{"name": "Keys"}, obj{"name": "Alert policy"}, obj{"name": "Audit"}, obj{"name": "Slack"}, obj{"name": "Meta"},
		},
		"paths": paths,
		"components": obj{
			"schemas": s.components,
			"responses": obj{"Problem": obj{"description": "A problem (RFC 9457).",
				"content": obj{"application/problem+json": obj{"schema": problem}}}},
			"securitySchemes": obj{"apiKey": obj{"type": "http", "scheme": "bearer", "bearerFormat": "hk_…",
				"description": "An API key with one or more scopes: ingest (send events), manage (integrations, deliveries, the catalog), owner (the team's keys and settings), admin (teams and any key)."}},
		},
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("encode the document: %w", err)
	}
	return buf.Bytes(), nil
}

func (s *schemas) operation(op operation) obj {
	out := obj{"operationId": op.id, "summary": op.summary, "tags": []string{op.tag}}
	if op.description != "" {
		out["description"] = op.description
	}
	if len(op.scopes) > 0 {
		out["security"] = []any{obj{"apiKey": op.scopes}}
		out["x-herald-scopes"] = op.scopes
	} else {
		out["security"] = []any{} // no key
	}
	var params []any
	for _, p := range op.params {
		po := obj{"name": p.name, "in": p.in, "schema": p.schema}
		if p.required {
			po["required"] = true
		}
		if p.description != "" {
			po["description"] = p.description
		}
		params = append(params, po)
	}
	if len(params) > 0 {
		out["parameters"] = params
	}
	if op.body != nil {
		media := obj{"schema": s.of(op.body, inRequest, nullNever)}
		if op.bodyExample != nil {
			media["example"] = op.bodyExample
		}
		out["requestBody"] = obj{"required": !op.bodyOptional, "content": obj{"application/json": media}}
	}
	responses := s.responses(op)
	// Any other failure (500, a limit) is a problem too.
	responses["default"] = obj{"$ref": "#/components/responses/Problem"}
	out["responses"] = responses
	return out
}

// responses are op's answers: each success with its type, each problem it
// can answer.
func (s *schemas) responses(op operation) obj {
	responses := obj{}
	for status, t := range op.ok {
		r := obj{"description": http.StatusText(status)}
		if t != nil {
			content := obj{"application/json": obj{"schema": s.of(t, inAnswer, nullNever)}}
			if op.html {
				content["text/html"] = obj{"schema": str}
			}
			r["content"] = content
		}
		responses[strconv.Itoa(status)] = r
	}
	if op.okAnyOf != nil {
		var alts []any
		for _, t := range op.okAnyOf {
			alts = append(alts, s.of(t, inAnswer, nullNever))
		}
		responses["200"] = obj{"description": "OK", "content": obj{"application/json": obj{"schema": obj{"anyOf": alts}}}}
	}
	if op.redirect {
		responses["302"] = obj{"description": "Found: the browser goes on to Slack",
			"headers": obj{"Location": obj{"schema": str}}}
	}
	for _, c := range op.problemCodes() {
		responses[strconv.Itoa(c)] = obj{"$ref": "#/components/responses/Problem"}
	}
	return responses
}

// problemCodes are the statuses of the problems op can answer, in order:
// those it names, those of every keyed operation, 404 where its path has an
// id and 413 where it takes a body.
func (op operation) problemCodes() []int {
	problems := map[int]bool{}
	for _, c := range op.also {
		problems[c] = true
	}
	if len(op.scopes) > 0 {
		for _, c := range commonProblems {
			problems[c] = true
		}
	}
	if strings.Contains(op.path, "{") {
		problems[404] = true
	}
	if op.body != nil {
		problems[413] = true
	}
	codes := make([]int, 0, len(problems))
	for c := range problems {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	return codes
}

// Operation is a documented route, for the tests that walk them.
type Operation struct {
	Method, Path, ID string
	Scopes           []string
}

// Operations lists the documented routes in the document's order.
func Operations() []Operation {
	out := make([]Operation, 0, len(operations))
	for _, op := range operations {
		out = append(out, Operation{Method: op.method, Path: op.path, ID: op.id, Scopes: op.scopes})
	}
	return out
}
