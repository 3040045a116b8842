// Package jsoncheck reads a JSON text once, before anything decodes it, and
// refuses what is valid JSON but costly or unstorable further on: nesting
// deeper than a bound, the \u escapes Postgres cannot store, and numbers
// that are not float64 numbers or whose text is longer than a bound. A
// number such as 1e999999 is valid JSON; a JSON Schema validator reads it
// as an exact rational and spends tens of milliseconds on each one.
//
// It does not check syntax: a text it cannot follow is left to the decoder,
// which says what is wrong with it.
package jsoncheck

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Bounds on what a JSON text may hold.
const (
	// MaxNesting is the deepest JSON accepted: enough for any real event,
	// far from what would strain a decoder or a renderer.
	MaxNesting = 64
	// MaxNumberLength bounds a number's text. A float64 needs at most 24
	// characters ("-2.2250738585072014e-308"); an integer id of 40 digits
	// fits too.
	MaxNumberLength = 64
)

// Error is what is wrong and where: Pointer is the RFC 6901 JSON pointer of
// the value at fault ("" for the whole text).
type Error struct {
	Pointer string
	Msg     string
}

func (e *Error) Error() string {
	if e.Pointer == "" {
		return e.Msg
	}
	return fmt.Sprintf("%s at %s", e.Msg, e.Pointer)
}

// frame is an open object or array: the key or index of the value being read in it.
type frame struct {
	array  bool
	index  int
	key    []byte // raw, still escaped
	wantKy bool   // the next string in this object is a key
}

type scanner struct {
	b     []byte
	stack []frame
}

// Check reads b and returns an *Error for the first thing it refuses.
func Check(b []byte) error {
	s := scanner{b: b}
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c == '"':
			end, err := s.str(i)
			if err != nil {
				return err
			}
			s.stringRead(i, end)
			i = end
		case c == '{' || c == '[':
			if len(s.stack) >= MaxNesting {
				return s.fail(fmt.Sprintf("the JSON nests more than %d levels deep", MaxNesting))
			}
			s.stack = append(s.stack, frame{array: c == '[', wantKy: c == '{'})
		case c == '}' || c == ']':
			if len(s.stack) > 0 {
				s.stack = s.stack[:len(s.stack)-1]
			}
		case c == ',':
			if n := len(s.stack); n > 0 {
				top := &s.stack[n-1]
				top.index++
				top.wantKy = !top.array
			}
		case c == '-' || (c >= '0' && c <= '9'):
			end := numberEnd(b, i)
			if err := checkNumber(b[i:end]); err != nil {
				return s.fail(err.Error())
			}
			i = end - 1
		}
	}
	return nil
}

// stringRead notes a key when the string at b[start:end+1] is one.
func (s *scanner) stringRead(start, end int) {
	if n := len(s.stack); n > 0 && s.stack[n-1].wantKy {
		s.stack[n-1].key = s.b[start+1 : end]
		s.stack[n-1].wantKy = false
	}
}

// str checks the string starting at b[i] (its opening quote) for escapes
// Postgres cannot store, and returns the index of its closing quote.
func (s *scanner) str(i int) (int, error) {
	b := s.b
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '"':
			return j, nil
		case '\\':
			if j+1 >= len(b) {
				return len(b), nil // malformed: the decoder says so
			}
			if b[j+1] != 'u' {
				j++
				continue
			}
			next, err := s.unicodeEscape(j)
			if err != nil {
				return 0, err
			}
			j = next
		}
	}
	return len(b), nil
}

// unicodeEscape checks the \u escape at b[j] and returns the index of its
// last character. Two are valid JSON that Postgres (jsonb and text) cannot
// store: \u0000, and a surrogate that is not half of a pair; accepting them
// would pass the request on to a write that fails every time it is retried.
func (s *scanner) unicodeEscape(j int) (int, error) {
	b := s.b
	r, ok := hex4(b, j+2)
	if !ok {
		return j + 1, nil // malformed: the decoder says so
	}
	switch {
	case r == 0:
		return 0, s.fail(fmt.Sprintf("the JSON holds \\u0000 (a NUL character) at byte %d, which cannot be stored", j))
	case r >= 0xDC00 && r <= 0xDFFF:
		return 0, s.fail(fmt.Sprintf("the JSON holds a lone low surrogate \\u%04x at byte %d", r, j))
	case r >= 0xD800 && r <= 0xDBFF:
		lo := rune(-1)
		if j+7 < len(b) && b[j+6] == '\\' && b[j+7] == 'u' {
			if v, ok := hex4(b, j+8); ok {
				lo = v
			}
		}
		if lo < 0xDC00 || lo > 0xDFFF {
			return 0, s.fail(fmt.Sprintf("the JSON holds a high surrogate \\u%04x at byte %d without its low half", r, j))
		}
		return j + 11, nil
	}
	return j + 5, nil
}

// hex4 reads four hex digits at b[at:].
func hex4(b []byte, at int) (rune, bool) {
	if at+4 > len(b) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(b[at:at+4]), 16, 32)
	return rune(v), err == nil
}

// numberEnd is the index just past the number text starting at b[i].
func numberEnd(b []byte, i int) int {
	for ; i < len(b); i++ {
		if c := b[i]; c != 'e' && c != 'E' && c != '+' && c != '-' && c != '.' && (c < '0' || c > '9') {
			return i
		}
	}
	return i
}

// checkNumber refuses a number whose text is longer than MaxNumberLength,
// or that is not a float64: beyond its range, or so small that it would
// read as 0 although it is not. Without an exponent, a text that short is
// always a float64 (at most 10^64, at least 10^-62), so only numbers with
// one are parsed.
func checkNumber(b []byte) error {
	if len(b) > MaxNumberLength {
		return fmt.Errorf("a number of %d characters; at most %d are accepted", len(b), MaxNumberLength)
	}
	if !bytes.ContainsAny(b, "eE") {
		return nil
	}
	text := string(b)
	f, err := strconv.ParseFloat(text, 64)
	switch {
	case errors.Is(err, strconv.ErrRange) && f != 0:
		return fmt.Errorf("the number %s is beyond the range of a 64-bit float", text)
	case err != nil:
		return nil // not a number: the decoder says so
	case f == 0 && strings.ContainsAny(mantissa(text), "123456789"):
		return fmt.Errorf("the number %s is too small for a 64-bit float", text)
	}
	return nil
}

// mantissa is a number's text before its exponent.
func mantissa(text string) string {
	if i := strings.IndexAny(text, "eE"); i >= 0 {
		return text[:i]
	}
	return text
}

// fail is an *Error at the value being read.
func (s *scanner) fail(msg string) *Error {
	return &Error{Pointer: s.pointer(), Msg: msg}
}

// pointer is the JSON pointer of the value being read.
func (s *scanner) pointer() string {
	var p strings.Builder
	for _, f := range s.stack {
		var tok string
		switch {
		case f.array:
			tok = strconv.Itoa(f.index)
		case f.wantKy || f.key == nil:
			continue // between members: the object itself
		default:
			if err := json.Unmarshal(append(append([]byte{'"'}, f.key...), '"'), &tok); err != nil {
				tok = string(f.key)
			}
		}
		p.WriteByte('/')
		p.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(tok))
	}
	return p.String()
}
