package testenv

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/gateway"
	"github.com/heraldhq/herald/internal/api"
)

// The contract check fails what it must: an answer missing a required
// field, a success with a problem's body, a request the document refuses
// taken with 2xx; and passes what is right.
func TestContractCheckCatches(t *testing.T) {
	router, err := apiContract()
	if err != nil {
		t.Fatal(err)
	}
	jsonHeader := http.Header{"Content-Type": {"application/json"}}
	view, _ := json.Marshal(api.TeamView{ID: "team_1", Name: "a", CreatedAt: time.Now()})
	problem, _ := json.Marshal(api.Problem{Type: "about:blank", Title: "Bad Request", Status: 400, Detail: "no"})
	ex := func(method, url, reqBody string, status int, header http.Header, body []byte) gateway.Exchange {
		return gateway.Exchange{Method: method, URL: url, RequestHeader: http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer hk_x"}},
			RequestBody: []byte(reqBody), Status: status, ResponseHeader: header, ResponseBody: body}
	}
	for name, c := range map[string]struct {
		ex   gateway.Exchange
		want string
	}{
		"right":                 {ex("POST", "/v1/teams", `{"name":"a"}`, 201, jsonHeader, view), ""},
		"missing required":      {ex("POST", "/v1/teams", `{"name":"a"}`, 201, jsonHeader, []byte(`{"name":"a","createdAt":"2026-01-01T00:00:00Z"}`)), "answer does not match"},
		"wrong type":            {ex("POST", "/v1/teams", `{"name":"a"}`, 201, jsonHeader, []byte(`{"id":1,"name":"a","createdAt":"2026-01-01T00:00:00Z"}`)), "answer does not match"},
		"undocumented success":  {ex("POST", "/v1/teams", `{"name":"a"}`, 200, jsonHeader, view), "answer does not match"},
		"problem as json":       {ex("POST", "/v1/teams", `{"name":"a"}`, 400, jsonHeader, problem), "answer does not match"},
		"refused, refused":      {ex("POST", "/v1/teams", `{"nmae":"a"}`, 400, http.Header{"Content-Type": {"application/problem+json"}}, problem), ""},
		"refused, taken":        {ex("POST", "/v1/teams", `{"nmae":"a"}`, 201, jsonHeader, view), "took a request the document refuses"},
		"bad query taken":       {ex("GET", "/v1/integrations?limit=0", "", 200, jsonHeader, []byte(`{"data":[]}`)), "took a request"},
		"undocumented route ok": {ex("GET", "/v1/nowhere", "", 404, jsonHeader, problem), ""},
	} {
		got := checkExchange(router, c.ex)
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("%s: %q, want %q", name, got, c.want)
		}
	}
}
