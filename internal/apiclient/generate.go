// Package apiclient is Herald's Go API client, generated from the OpenAPI
// document (internal/openapi/openapi.json) by oapi-codegen: every route, its
// parameters and its answers. internal/api.Client wraps it for the CLI and
// the tests.
package apiclient

//go:generate go tool oapi-codegen -config oapi-codegen.yaml -o client.gen.go ../openapi/openapi.json
