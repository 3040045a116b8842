package catalog

import (
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Bounds on a schema, checked when it is registered: each keyword below
// costs the validator in proportion to its size at every value it checks
// (an enum is compared value by value, as exact rationals for numbers), and
// patterns cost when compiled (a \p{L} class is a table of ranges).
const (
	// MaxEnumValues bounds one enum.
	MaxEnumValues = 256
	// MaxPatternLength bounds one pattern (pattern, a patternProperties key,
	// and a value checked as "format": "regex").
	MaxPatternLength = 256
	// MaxPatterns bounds the patterns of one schema.
	MaxPatterns = 64
)

// Keywords whose values are subschemas, by shape. Every draft's: a keyword
// a draft does not have is not read by its compiler.
var (
	oneSubschema = set("additionalProperties", "additionalItems", "contains", "not", "if", "then", "else",
		"propertyNames", "unevaluatedItems", "unevaluatedProperties", "contentSchema", "items")
	listOfSubschemas = set("allOf", "anyOf", "oneOf", "prefixItems", "items")
	mapOfSubschemas  = set("properties", "patternProperties", "$defs", "definitions", "dependentSchemas", "dependencies")
)

func set(words ...string) map[string]bool {
	out := map[string]bool{}
	for _, w := range words {
		out[w] = true
	}
	return out
}

// preparer copies a schema for metering and counts what bounds.go bounds.
type preparer struct {
	patterns int
	// weights are the distinct weights of the subschemas, each its own
	// cost format (budget.go).
	weights map[weight]bool
}

// prepare copies the schema doc with a cost format on every subschema
// (budget.go), after checking the bounds above. The validator checks type,
// const and enum before a subschema's format: those whose cost grows with
// their size (enum, const, an integer type) move under allOf, where they are
// checked after the subschema's visit is charged. A subschema's own format
// moves there too where its draft asserts it (before 2019-09); from 2019-09
// on a format only annotates and Herald reads no annotations, so it is
// left out.
func prepare(doc any) (any, []weight, error) {
	p := preparer{weights: map[weight]bool{}}
	out, err := p.node(doc, draftCurrent, "")
	if err != nil {
		return nil, nil, err
	}
	ws := make([]weight, 0, len(p.weights))
	for w := range p.weights {
		ws = append(ws, w)
	}
	return out, ws, nil
}

// draft is the JSON Schema draft a subschema is read under: before 2019-09
// (draft-0x) "format" asserts; from 2019-09 on it is only an annotation.
type draft int

const (
	draftCurrent draft = iota
	draftOld
)

func (p *preparer) node(v any, d draft, at string) (any, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return v, nil // a boolean schema: nothing to charge
	}
	if uri, ok := obj["$schema"].(string); ok {
		d = draftCurrent
		if strings.Contains(uri, "/draft-0") {
			d = draftOld
		}
	}
	if err := p.check(obj, at); err != nil {
		return nil, err
	}
	out := make(map[string]any, len(obj)+1)
	// The checks the validator makes before it reaches the cost format, and
	// that cost in proportion to their size, go under allOf, after it.
	early := map[string]any{}
	for k, val := range obj {
		if k == "enum" || k == "const" || (k == "type" && readsIntegers(val)) || (k == "format" && d == draftOld) {
			early[k] = val
			continue
		}
		var err error
		if out[k], err = p.member(k, val, d, at+"/"+k); err != nil {
			return nil, err
		}
	}
	if _, ok := obj["format"]; ok && d != draftOld {
		delete(out, "format") // from 2019-09 on, only an annotation
	}
	if len(early) > 0 {
		all, _ := out["allOf"].([]any)
		out["allOf"] = append(append([]any(nil), all...), early)
	}
	w := weigh(obj, out)
	p.weights[w] = true
	out["format"] = w.format()
	return out, nil
}

// readsIntegers: checking "integer" reads a number as an exact rational.
func readsIntegers(typ any) bool {
	switch t := typ.(type) {
	case string:
		return t == "integer"
	case []any:
		for _, e := range t {
			if e == "integer" {
				return true
			}
		}
	}
	return false
}

// member prepares the subschemas a keyword holds, and copies any other value.
func (p *preparer) member(k string, val any, d draft, at string) (any, error) {
	if list, ok := val.([]any); ok && listOfSubschemas[k] {
		out := make([]any, len(list))
		for i, sub := range list {
			var err error
			if out[i], err = p.node(sub, d, fmt.Sprintf("%s/%d", at, i)); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	if m, ok := val.(map[string]any); ok && mapOfSubschemas[k] {
		out := make(map[string]any, len(m))
		for name, sub := range m {
			var err error
			if out[name], err = p.node(sub, d, at+"/"+name); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	if oneSubschema[k] {
		return p.node(val, d, at)
	}
	return val, nil
}

// check bounds one subschema's enum and patterns.
func (p *preparer) check(obj map[string]any, at string) error {
	if e, ok := obj["enum"].([]any); ok && len(e) > MaxEnumValues {
		return fmt.Errorf("the schema's enum at %s/enum has %d values; at most %d", at, len(e), MaxEnumValues)
	}
	var patterns []string
	if s, ok := obj["pattern"].(string); ok {
		patterns = append(patterns, s)
	}
	if m, ok := obj["patternProperties"].(map[string]any); ok {
		for k := range m {
			patterns = append(patterns, k)
		}
	}
	for _, s := range patterns {
		if len(s) > MaxPatternLength {
			return fmt.Errorf("a pattern at %s is %d characters; at most %d", at, len(s), MaxPatternLength)
		}
	}
	if p.patterns += len(patterns); p.patterns > MaxPatterns {
		return fmt.Errorf("the schema has more than %d patterns", MaxPatterns)
	}
	return nil
}

// boundedRegexp is the schemas' regexp engine: Go's RE2 (linear in the
// text it matches), refusing patterns over MaxPatternLength (a value checked
// as "format": "regex" too), with compiled patterns shared by every copy of
// every schema.
func boundedRegexp(s string) (jsonschema.Regexp, error) {
	if len(s) > MaxPatternLength {
		return nil, fmt.Errorf("the pattern is %d characters; at most %d", len(s), MaxPatternLength)
	}
	return patterns.get(s)
}

// patternCache holds compiled patterns; it is emptied when it reaches its
// bound, which only a stream of new schemas does.
type patternCache struct {
	mu sync.Mutex
	m  map[string]*regexp.Regexp
}

const maxCachedPatterns = 4096

var patterns = &patternCache{m: map[string]*regexp.Regexp{}}

func (c *patternCache) get(s string) (jsonschema.Regexp, error) {
	c.mu.Lock()
	re, ok := c.m[s]
	c.mu.Unlock()
	if ok {
		return re, nil
	}
	re, err := regexp.Compile(s)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.m) >= maxCachedPatterns {
		clear(c.m)
	}
	c.m[s] = re
	c.mu.Unlock()
	return re, nil
}
