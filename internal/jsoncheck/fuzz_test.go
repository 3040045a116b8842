package jsoncheck

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"
)

// FuzzCheck: Check never panics, and a valid JSON text it accepts holds no
// number longer than MaxNumberLength or outside float64, and nests no
// deeper than MaxNesting.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{`{"a":[1,2.5e10,-0]}`, `1e999999`, `[-1e-999999]`, `{"a":"\u0000"}`, `"\ud800"`,
		`[` + strings.Repeat("9", 70) + `]`, strings.Repeat("[", 70), `{"a/b~c":[0,{"d":1e400}]}`, `0.` + strings.Repeat("0", 330) + `1`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if Check(b) != nil || !json.Valid(b) {
			return
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		depth := 0
		for {
			tok, err := dec.Token()
			if err != nil {
				break
			}
			switch tok := tok.(type) {
			case json.Delim:
				if tok == '{' || tok == '[' {
					if depth++; depth > MaxNesting {
						t.Fatalf("accepted nesting deeper than %d", MaxNesting)
					}
				} else {
					depth--
				}
			case json.Number:
				v, err := strconv.ParseFloat(string(tok), 64)
				zero := strings.Trim(mantissa(strings.ToLower(string(tok))), "-+0.") == ""
				if len(tok) > MaxNumberLength || err != nil || math.IsInf(v, 0) || (v == 0 && !zero) {
					t.Fatalf("accepted the number %s", tok)
				}
			}
		}
	})
}
