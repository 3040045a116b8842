package e2e

import (
	"bytes"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/heraldhq/herald/internal/openapi"
	"github.com/heraldhq/herald/test/testenv"
)

// The document lists exactly the /v1 routes the gateway serves: a route
// added to the server and not to the document, or documented and not
// served, fails here. (That every documented route is called by some test
// is checked at the end of the suite, in TestMain.)
func TestDocumentCoversTheServer(t *testing.T) {
	s := testenv.NewStack(t, slackConfigured)
	param := regexp.MustCompile(`[:{][A-Za-z]+}?`)
	shape := func(method, path string) string { return method + " " + param.ReplaceAllString(path, "*") }
	documented := map[string]bool{}
	for _, op := range openapi.Operations() {
		documented[shape(op.Method, op.Path)] = true
	}
	served := map[string]bool{}
	for _, r := range s.Gateway.Routes() {
		method, path, _ := strings.Cut(r, " ")
		if !strings.HasPrefix(path, "/v1/") || method == http.MethodOptions {
			continue
		}
		served[shape(method, path)] = true
	}
	var missing, extra []string
	for k := range served {
		if !documented[k] {
			missing = append(missing, k)
		}
	}
	for k := range documented {
		if !served[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 {
		t.Errorf("served and not in the OpenAPI document: %v", missing)
	}
	if len(extra) > 0 {
		t.Errorf("documented and not served: %v", extra)
	}
}

// The document is served without a key, as generated, and loads as OpenAPI
// 3.1; the reference page renders every operation from it with nothing
// fetched from elsewhere.
func TestOpenAPIServedAndBrowsable(t *testing.T) {
	s := testenv.NewStack(t)
	r := s.Do(t, http.MethodGet, "/v1/openapi.json", "", nil)
	if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") || !bytes.Equal(r.Body, openapi.Served) {
		t.Fatalf("GET /v1/openapi.json: %d %s (%d bytes)", r.Status, r.Header.Get("Content-Type"), len(r.Body))
	}
	doc, err := openapi3.NewLoader().LoadFromData(r.Body)
	if err != nil || !doc.IsOpenAPI31OrLater() {
		t.Fatalf("the served document: %v", err)
	}
	page := s.Do(t, http.MethodGet, "/docs/api", "", nil)
	body := string(page.Body)
	if page.Status != http.StatusOK || !strings.HasPrefix(page.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /docs/api: %d %s", page.Status, page.Header.Get("Content-Type"))
	}
	if !strings.Contains(page.Header.Get("Content-Security-Policy"), "default-src 'self'") {
		t.Errorf("the page's CSP: %q", page.Header.Get("Content-Security-Policy"))
	}
	for _, op := range openapi.Operations() {
		if !strings.Contains(body, `id="op-`+op.ID+`"`) || !strings.Contains(body, op.Method+" "+op.Path) {
			t.Errorf("the reference page lacks %s %s (%s)", op.Method, op.Path, op.ID)
		}
	}
	for _, want := range []string{`id="schema-IntegrationView"`, `<a href="#schema-HealthView">`, "social-hour-1312"} {
		if !strings.Contains(body, want) {
			t.Errorf("the reference page lacks %s", want)
		}
	}
	if strings.Contains(body, "x-go-type") {
		t.Error("the reference page shows Go's type mapping")
	}
	if regexp.MustCompile(`<(script|link|img|iframe)\b`).MatchString(body) || regexp.MustCompile(`(src|href)="(https?:)?//`).MatchString(body) {
		t.Error("the reference page loads something (a script, a stylesheet, another origin)")
	}
}
