package testenv

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/heraldhq/herald/gateway"
	"github.com/heraldhq/herald/internal/openapi"
)

// The API contract, enforced on the traffic of every test stack: each /v1
// request a test makes and the answer the gateway gives are checked against
// the OpenAPI document the gateway serves.
//   - The answer must be documented for its route (status, media type) and
//     match its schema, whatever the request was.
//   - A request the document calls invalid must not succeed: the gateway
//     must refuse what the document refuses (tests send bad requests on
//     purpose, and those must get a problem).
// A route the document does not know is the route test's business
// (TestDocumentCoversTheServer), not this check's.

var apiContract = sync.OnceValues(func() (routers.Router, error) {
	doc, err := openapi3.NewLoader().LoadFromData(openapi.Served)
	if err != nil {
		return nil, fmt.Errorf("load the OpenAPI document: %w", err)
	}
	doc.Servers = openapi3.Servers{{URL: "http://herald.test"}}
	return legacy.NewRouter(doc)
})

var (
	calledMu sync.Mutex
	called   = map[string]int{}
)

// UncalledOperations lists the documented operations no exchange of any
// stack of the test binary reached.
func UncalledOperations() []string {
	calledMu.Lock()
	defer calledMu.Unlock()
	var out []string
	for _, op := range openapi.Operations() {
		if called[op.ID] == 0 {
			out = append(out, op.Method+" "+op.Path+" ("+op.ID+")")
		}
	}
	sort.Strings(out)
	return out
}

// enforceContract checks every exchange of gw against the document and
// fails t, at its end, with every violation seen.
func enforceContract(t testing.TB, gw *gateway.Server) {
	router, err := apiContract()
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var violations []string
	// Registered before the gateway's shutdown, so it runs after it: every
	// exchange has been seen.
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, v := range violations {
			t.Errorf("API contract: %s", v)
		}
	})
	gw.Observe(func(ex gateway.Exchange) {
		if v := checkExchange(router, ex); v != "" {
			mu.Lock()
			violations = append(violations, v)
			mu.Unlock()
		}
	})
}

func checkExchange(router routers.Router, ex gateway.Exchange) string {
	req, err := http.NewRequest(ex.Method, "http://herald.test"+ex.URL, bytes.NewReader(ex.RequestBody))
	if err != nil {
		return "" // a URL Go cannot even parse: the gateway refused it raw
	}
	req.Header = ex.RequestHeader.Clone()
	route, pathParams, err := router.FindRoute(req)
	if err != nil {
		return "" // not a documented route: see TestDocumentCoversTheServer
	}
	calledMu.Lock()
	called[route.Operation.OperationID]++
	calledMu.Unlock()
	what := fmt.Sprintf("%s %s → %d", ex.Method, ex.URL, ex.Status)
	ctx := context.Background()
	opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true,
		IncludeResponseStatus: true}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: pathParams, Route: route, Options: opts}
	reqErr := openapi3filter.ValidateRequest(ctx, in)
	if reqErr != nil && ex.Status < 400 {
		return fmt.Sprintf("%s: the gateway took a request the document refuses: %v\nbody: %.500s", what, reqErr, ex.RequestBody)
	}
	header := ex.ResponseHeader.Clone()
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: ex.Status, Header: header,
		Body: io.NopCloser(bytes.NewReader(ex.ResponseBody)), Options: opts}
	if ex.Status == http.StatusFound {
		return "" // a redirect's body is Fiber's; its Location is what matters
	}
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		return fmt.Sprintf("%s: the answer does not match the document: %s\nanswer: %.800s", what, trimErr(err), ex.ResponseBody)
	}
	return ""
}

func trimErr(err error) string {
	s := err.Error()
	if len(s) > 1500 {
		s = s[:1500] + "…"
	}
	return strings.TrimSpace(s)
}
