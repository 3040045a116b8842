package gateway

import "testing"

func TestStorableEscapes(t *testing.T) {
	cases := []struct {
		body string
		ok   bool
	}{
		{`{"a":"x\u0000y"}`, false},
		{`{"a":"\u0000"}`, false},
		{`{"a":"\\u0000"}`, true}, // an escaped backslash, then text
		{`{"a":"\ud83d\ude00"}`, true},
		{`{"a":"\ud83d"}`, false},
		{`{"a":"\ude00"}`, false},
		{`{"a":"\ud83d\u0041"}`, false},
		{`{"\u0000":1}`, false},
		{`{"a":"\u00e9 \n \""}`, true},
	}
	for _, c := range cases {
		if err := storableEscapes([]byte(c.body)); (err == nil) != c.ok {
			t.Errorf("%s: err %v, want ok=%v", c.body, err, c.ok)
		}
	}
}
