package jsoncheck

import (
	"errors"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	deep := strings.Repeat("[", MaxNesting+1) + strings.Repeat("]", MaxNesting+1)
	cases := []struct {
		body    string
		pointer string // "-": accepted
		msg     string
	}{
		{`{"a":1,"b":[1.5,-2e10,0,-0.0,1.7976931348623157e308,5e-324]}`, "-", ""},
		{`{"id":1234567890123456789012345678901234567890}`, "-", ""},
		{`{"a":"1e999999","b":"\\u0000"}`, "-", ""}, // text, not numbers or escapes
		{`{"a":{"b":[1,2,1e999999]}}`, "/a/b/2", "beyond the range"},
		{`[1e309]`, "/0", "beyond the range"},
		{`{"x":-1e309}`, "/x", "beyond the range"},
		{`{"x":1e-999999}`, "/x", "too small"},
		{`{"x":0e999999}`, "-", ""}, // zero is zero
		{`{"x":` + "1" + strings.Repeat("0", MaxNumberLength) + `}`, "/x", "characters"},
		{`{"a/b":{"c~d":[0,{"e":1e400}]}}`, "/a~1b/c~0d/1/e", "beyond the range"},
		{`{"k\u00e9":1e400}`, "/ké", "beyond the range"},
		{`{"a":"x\u0000y"}`, "/a", "NUL"},
		{`{"a":"\u0000"}`, "/a", "NUL"},
		{`{"a":"\\u0000"}`, "-", ""}, // an escaped backslash, then text
		{`{"a":"\ud83d\ude00"}`, "-", ""},
		{`{"a":"\ud83d"}`, "/a", "high surrogate"},
		{`{"a":"\ude00"}`, "/a", "low surrogate"},
		{`{"a":"\ud83d\u0041"}`, "/a", "high surrogate"},
		{`{"\u0000":1}`, "", "NUL"},
		{`{"a":"\u00e9 \n \""}`, "-", ""},
		{deep, strings.Repeat("/0", MaxNesting), "nests more than"},
		{`{"a":[1,2`, "-", ""}, // malformed: left to the decoder
	}
	for _, c := range cases {
		err := Check([]byte(c.body))
		if c.pointer == "-" {
			if err != nil {
				t.Errorf("%.60s: refused: %v", c.body, err)
			}
			continue
		}
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%.60s: accepted, want a refusal at %q", c.body, c.pointer)
			continue
		}
		if e.Pointer != c.pointer || !strings.Contains(e.Msg, c.msg) {
			t.Errorf("%.60s: got %q at %q, want %q at %q", c.body, e.Msg, e.Pointer, c.msg, c.pointer)
		}
	}
}

// The check is one pass: a body of many numbers costs what reading it costs.
func BenchmarkCheck(b *testing.B) {
	body := []byte(`{"a":[` + strings.Repeat("12345.678,2.5e3,", 12500) + `1]}`)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if err := Check(body); err != nil {
			b.Fatal(err)
		}
	}
}
