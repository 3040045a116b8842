package gateway

import (
	"bytes"
	"encoding/json"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/eventtype"
	"github.com/heraldhq/herald/internal/jsoncheck"
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
		// Numbers of extreme magnitude and length.
		`{"event":"a:b","data":{"n":1e999999}}`, `{"event":"a:b","data":{"n":-1e-999999}}`,
		`{"event":"a:b","data":{"n":[1.7976931348623157e308,5e-324,-0.0,0e999999]}}`,
		`{"event":"a:b","data":{"n":` + strings.Repeat("9", 65) + `}}`,
		`{"event":"a:b","data":{"n":0.` + strings.Repeat("0", 70) + `1}}`,
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
		dec := json.NewDecoder(bytes.NewReader(in.Data))
		dec.UseNumber()
		var obj map[string]any
		if err := dec.Decode(&obj); err != nil || obj == nil {
			t.Fatalf("accepted data %q is not an object", in.Data)
		}
		checkNumbers(t, obj)
	})
}

// checkNumbers fails on a number an accepted body holds that is longer than
// jsoncheck.MaxNumberLength or not a finite float64 (0 only when it is 0).
func checkNumbers(t *testing.T, v any) {
	switch v := v.(type) {
	case map[string]any:
		for _, e := range v {
			checkNumbers(t, e)
		}
	case []any:
		for _, e := range v {
			checkNumbers(t, e)
		}
	case json.Number:
		f, err := strconv.ParseFloat(string(v), 64)
		zero := strings.Trim(strings.Split(strings.ToLower(string(v)), "e")[0], "-+0.") == ""
		if len(v) > jsoncheck.MaxNumberLength || err != nil || math.IsInf(f, 0) || (f == 0 && !zero) {
			t.Fatalf("accepted the number %s", v)
		}
	}
}
