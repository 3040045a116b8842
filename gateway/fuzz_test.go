package gateway

import (
	"encoding/json"
	"regexp"
	"testing"

	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/eventtype"
)

var typeRE = regexp.MustCompile(`^[a-z0-9-]+(:[a-z0-9-]+)+$`)

// FuzzEventParsing: any body either is refused with a problem or yields an
// event whose type, id and data are well formed.
func FuzzEventParsing(f *testing.F) {
	for _, s := range []string{
		`{"event":"build:start","data":{"project":{"id":"p"}}}`,
		`{"id":"x","event":"trigger:build:start"}`,
		`{"event":"a:b","data":null}`,
		`{"event":"a:b","data":[1]}`,
		`{"event":"A:B"}`, `{}`, `[]`, `null`, ``, `{"event":"a:b"} {}`,
		`{"event":"a:b","data":{"project":{"id":12}}}`,
		`{"event":"a:b","data":` + string(make([]byte, 0)) + `{"a":{"b":{"c":{}}}}}`,
		"{\"event\":\"a:b\",\"data\":{\"x\":\"\xff\"}}",
	} {
		f.Add([]byte(s), "")
	}
	f.Add([]byte(`{"event":"a:b"}`), "idem-key-1")
	f.Fuzz(func(t *testing.T, body []byte, idem string) {
		var req api.EventRequest
		if err := decodeJSON(body, &req); err != nil {
			if _, ok := err.(*api.Problem); !ok {
				t.Fatalf("non-problem error %T", err)
			}
			return
		}
		in, err := parseEvent(req, idem)
		if err != nil {
			if _, ok := err.(*api.Problem); !ok {
				t.Fatalf("non-problem error %T", err)
			}
			return
		}
		if !typeRE.MatchString(in.Type) || len(in.Type) > eventtype.MaxLen {
			t.Fatalf("accepted type %q", in.Type)
		}
		if !eventIDRE.MatchString(in.EventID) {
			t.Fatalf("accepted id %q", in.EventID)
		}
		var obj map[string]any
		if err := json.Unmarshal(in.Data, &obj); err != nil || obj == nil {
			t.Fatalf("accepted data %q is not an object", in.Data)
		}
	})
}
