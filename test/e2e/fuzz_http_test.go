package e2e

import (
	"bytes"
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/test/testenv"
)

// httpSurface is every route the gateway serves, API and beyond.
func httpSurface() []route {
	return append(allRoutes(),
		route{"GET", "/v1/slack/oauth/callback", nil, ""},
		route{"GET", "/v1/slack/begin", nil, ""},
		route{"POST", "/codec/{key}/decode", map[string]any{"payloads": []any{}}, ""},
		route{"GET", "/console/integrations/{integration}", nil, ""},
		route{"GET", "/console/deliveries/{delivery}", nil, ""},
		route{"POST", "/console/login", nil, ""},
		route{"POST", "/console/integrations/{integration}/{action}", nil, ""},
		route{"GET", "/healthz", nil, ""},
		route{"GET", "/metrics", nil, ""},
	)
}

// maxFuzzedURL keeps fuzzed request lines inside fasthttp's 4 KiB header
// buffer: past it the server answers 431 and may reset the connection while
// the client is still writing, which is no answer to check.
const maxFuzzedURL = 3500

// FuzzHTTPBoundary sends fuzzed path parameters, query strings and bodies to
// every route of a real gateway (real Postgres and Temporal dev server behind
// it) and fails on any 500: bad input is the caller's error, answered 4xx.
func FuzzHTTPBoundary(f *testing.F) {
	s := testenv.NewStack(f, slackConfigured, func(c *config.Config) {
		c.PayloadKey = "k1:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32)) // mounts /codec
		c.RateLimit = 0                                                                       // every input reaches its handler
	})
	recv := testenv.NewReceiver(f)
	integ := s.CreateIntegration(f, map[string]any{"name": "fuzzed", "type": "webhook", "url": recv.URL, "events": []string{"build:*"}})
	_, admin := testenv.Team(f, s.Store, "admin")
	routes := httpSurface()
	seeds := []string{integ.ID, "x", "", "%00", "\x00", "\xff\xfe", "a/../b", strings.Repeat("é", 300), "dlv_0", "../../etc/passwd", "\r\nX: y"}
	queries := []string{"", "limit=0", "cursor=%00", "cursor=\xff", "status=nope", "event=build%00", "projects=a,,b", "name=%0d%0a", "state=a.b", "code=x&state=" + strings.Repeat("A", 3000)}
	bodies := []string{"", "{}", "null", `{"name":"\u0000"}`, `{"event":"build:start","data":{"project":{"id":"` + strings.Repeat("p", 3000) + `"}}}`, "\xff", `{"a":` + strings.Repeat("[", 200) + `}`,
		`{"payloads":[{"metadata":{"encoding":"!!"},"data":"%%"}]}`, `{"groupBy":["a\u0000"]}`, `{"retry":{"maxInterval":"1000000h"}}`,
		// Numbers of extreme magnitude and length, where the API reads numbers and where it passes them on.
		`{"event":"build:start","data":{"n":[1e999999,-1e-999999,0e999999,1.7976931348623157e308]}}`,
		`{"rateLimit":{"count":1e999999,"per":"1s"},"maxInFlight":` + strings.Repeat("9", 80) + `}`,
		`{"name":"metrics:x","schema":{"maximum":1e308,"multipleOf":1e-300,"enum":[` + strings.Repeat("1e300,", 100) + `0]}}`,
		`{"events":[{"event":"a:b","data":{"n":` + strings.Repeat("1", 64) + `}}]}`}
	for i := range routes {
		for j, p := range seeds {
			f.Add(uint8(i), p, queries[j%len(queries)], []byte(bodies[j%len(bodies)]))
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, param, query string, body []byte) {
		rt := routes[int(which)%len(routes)]
		path := rt.path
		for _, ph := range []string{"{integration}", "{delivery}", "{event}", "{resend}", "{replay}", "{key}", "{action}"} {
			path = strings.ReplaceAll(path, ph, url.PathEscape(param))
		}
		if rt.method == "DELETE" && strings.Contains(param, integ.ID) {
			return // keep the one real integration for the next inputs
		}
		target := s.URL + path
		if query != "" {
			target += "?" + query
		}
		if len(target) > maxFuzzedURL {
			return // a request line over the server's header buffer is answered 431 (TestHostileInput), or the connection is cut
		}
		var rd io.Reader
		if rt.method != "GET" && rt.method != "DELETE" {
			rd = bytes.NewReader(body)
		}
		req, err := http.NewRequest(rt.method, target, rd)
		if err != nil {
			return // not a request a client could send
		}
		key := s.Key
		if rt.scope != "" && !rt.allows("manage") && !rt.allows("ingest") {
			key = admin
		}
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", rt.method, target, err)
		}
		answer, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusInternalServerError {
			t.Fatalf("%s %q with body %q: 500 %s", rt.method, target, body, answer)
		}
	})
}
