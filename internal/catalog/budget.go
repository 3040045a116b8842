package catalog

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Validating data against a schema costs steps: a step is about the work
// of checking one value against one subschema (measured in BENCHMARKS.md).
// JSON Schema lets a small schema make a small event cost without bound
// (oneOf branches that $ref the schema again double the work at each level
// of an event's nesting), so each request validates within a budget of
// steps, and the validation stops where the budget ends. Steps, not time:
// the same event costs the same on a quiet machine and a busy one.

// DefaultBudget is the steps one request may spend validating its events:
// about 50 ms of one core at the worst step (BENCHMARKS.md), and more than
// 100 times what a 256 KiB event of the built-in types costs.
const DefaultBudget = 400_000 // config.Defaults' ValidationBudget

// Budget is what a request may still spend validating. Not safe for
// concurrent use: a request's events are validated one after another.
type Budget struct {
	limit, left int64
}

// NewBudget is a budget of steps.
func NewBudget(steps int64) *Budget { return &Budget{limit: steps, left: steps} }

// Spent is the steps used so far.
func (b *Budget) Spent() int64 { return b.limit - max(b.left, 0) }

// BudgetError is a validation stopped because the request's budget ran out.
type BudgetError struct{ Limit int64 }

func (e *BudgetError) Error() string {
	return fmt.Sprintf("validating the data against its schema costs more than the %d steps a request may spend; "+
		"send smaller events, fewer at once, or a simpler schema", e.Limit)
}

// instance is one compiled copy of a schema and the meter its cost format
// charges: used by one validation at a time.
type instance struct {
	s     *jsonschema.Schema
	meter *meter
}

type meter struct{ left int64 }

// overBudget unwinds a validation whose budget ran out, from inside the
// library to validate, which recovers it.
type overBudget struct{}

// validate runs the compiled schema on v with b's steps, and takes what it
// spent from b.
func (in *instance) validate(v any, b *Budget) (err error) {
	in.meter.left = b.left
	defer func() {
		b.left = in.meter.left
		if r := recover(); r != nil {
			if _, ok := r.(overBudget); !ok {
				panic(r)
			}
			b.left = 0
			err = &BudgetError{Limit: b.limit}
		}
	}()
	if b.left <= 0 {
		return &BudgetError{Limit: b.limit}
	}
	return in.s.Validate(v)
}

// A cost format is what prepare puts on every subschema: the validator
// checks a subschema's format before it looks into the value's members, so
// every visit is charged, failing ones too. Each format carries its
// subschema's weight: what the validator does at one value beyond the
// visit itself.
const costFormat = "herald-cost"

// weight is a subschema's: the comparisons an enum or const makes and the
// numeric bounds it checks (each reads a number as an exact rational),
// whether a pattern runs over a string, the patterns each property name of
// an object is matched against, and the subschemas it applies to the value
// itself (each a visit, charged there unless it fails at once).
type weight struct {
	compares      int
	pattern       bool
	nameMatchings int
	branches      int
}

// numericKeywords read a number as an exact rational once each.
var numericKeywords = []string{"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"}

// weigh is the weight of the subschema obj, as prepared into out.
func weigh(obj, out map[string]any) weight {
	var w weight
	if readsIntegers(obj["type"]) {
		w.compares++
	}
	if e, ok := obj["enum"].([]any); ok {
		w.compares += len(e)
	}
	if _, ok := obj["const"]; ok {
		w.compares++
	}
	for _, k := range numericKeywords {
		if _, ok := obj[k]; ok {
			w.compares++
		}
	}
	_, w.pattern = obj["pattern"].(string)
	if m, ok := obj["patternProperties"].(map[string]any); ok {
		w.nameMatchings = len(m)
	}
	for _, k := range []string{"allOf", "anyOf", "oneOf"} {
		if l, ok := out[k].([]any); ok {
			w.branches += len(l)
		}
	}
	for _, k := range []string{"not", "if", "then", "else", "$ref", "$dynamicRef", "$recursiveRef"} {
		if _, ok := out[k]; ok {
			w.branches++
		}
	}
	return w
}

func (w weight) format() string {
	return fmt.Sprintf("%s/%d/%t/%d/%d", costFormat, w.compares, w.pattern, w.nameMatchings, w.branches)
}

// Step costs, measured so that no step costs more than about 150 ns of one
// core (BenchmarkSpendTheBudget): a visit allocates the validator's state
// for the value; a member is hashed for uniqueItems and walked for the
// unevaluated keywords; RE2 runs over a string at up to 25 ns a byte
// (\p{L} classes); an exact rational's cost grows with its digits and its
// exponent.
const (
	visitSteps     = 12
	memberSteps    = 2
	patternBytes   = 4  // bytes of text a pattern step matches
	compareBytes   = 64 // bytes of text an equality step compares
	numberDigits   = 6  // digits and exponent an exact-rational step reads
	minNumberSteps = 8
)

// charger is the check of w's cost format: it never refuses a value, it
// spends the visit's steps and stops the validation when none are left.
func (m *meter) charger(w weight) func(any) error {
	return func(v any) error {
		m.left -= w.steps(v)
		if m.left < 0 {
			panic(overBudget{})
		}
		return nil
	}
}

// steps is what visiting v costs at a subschema of weight w.
func (w weight) steps(v any) int64 {
	n := int64(visitSteps) * int64(1+w.branches)
	switch v := v.(type) {
	case map[string]any:
		n += int64(len(v)) * memberSteps
		if w.nameMatchings > 0 {
			for k := range v {
				n += int64(w.nameMatchings) * (1 + int64(len(k))/patternBytes)
			}
		}
	case []any:
		n += int64(len(v)) * memberSteps
	case string:
		n += int64(w.compares) * (1 + int64(len(v))/compareBytes)
		if w.pattern {
			n += int64(len(v)) / patternBytes
		}
	case json.Number:
		n += int64(w.compares) * numberSteps(string(v))
	default:
		n += int64(w.compares)
	}
	return n
}

// numberSteps is what reading a number as an exact rational costs, by the
// size of its digits and its exponent.
func numberSteps(n string) int64 {
	size := int64(len(n))
	if i := strings.IndexAny(n, "eE"); i >= 0 {
		if e, err := strconv.ParseInt(strings.TrimPrefix(n[i+1:], "+"), 10, 32); err == nil {
			size += max(e, -e)
		}
	}
	return max(minNumberSteps, size/numberDigits)
}

// everyNodeMetered refuses a schema with a subschema that escaped prepare:
// a $ref into something prepare did not read as a schema (an enum's value,
// an example), which would be validated without being charged.
func everyNodeMetered(root *jsonschema.Schema) error {
	seen := map[*jsonschema.Schema]bool{}
	var walk func(s *jsonschema.Schema) error
	walk = func(s *jsonschema.Schema) error {
		if s == nil || seen[s] {
			return nil
		}
		seen[s] = true
		subs := subschemas(s)
		metered := s.Bool != nil || (s.Format != nil && strings.HasPrefix(s.Format.Name, costFormat+"/")) ||
			(s.DraftVersion < 2019 && s.Ref != nil) || // draft-07 ignores a $ref's siblings; its target is charged
			len(subs) == 0 // a leaf's work is bounded (bounds.go) and its parent was charged
		if !metered {
			return errors.New("the schema refers ($ref) to a value that is not a subschema: " +
				strings.ReplaceAll(s.Location, schemaURL, "schema"))
		}
		for _, sub := range subs {
			if err := walk(sub); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(root)
}

// subschemas are the schemas s applies to a value or its members.
func subschemas(s *jsonschema.Schema) []*jsonschema.Schema {
	var out []*jsonschema.Schema
	for _, sub := range []*jsonschema.Schema{s.Ref, s.RecursiveRef, s.Not, s.If, s.Then, s.Else, s.PropertyNames,
		s.UnevaluatedProperties, s.Contains, s.Items2020, s.UnevaluatedItems, s.ContentSchema} {
		if sub != nil {
			out = append(out, sub)
		}
	}
	if s.DynamicRef != nil {
		out = append(out, s.DynamicRef.Ref)
	}
	out = append(append(append(append(out, s.AllOf...), s.AnyOf...), s.OneOf...), s.PrefixItems...)
	for _, sub := range s.Properties {
		out = append(out, sub)
	}
	for _, sub := range s.PatternProperties {
		out = append(out, sub)
	}
	for _, sub := range s.DependentSchemas {
		out = append(out, sub)
	}
	for _, v := range s.Dependencies {
		out = append(out, asSchemas(v)...)
	}
	for _, v := range []any{s.AdditionalProperties, s.Items, s.AdditionalItems} {
		out = append(out, asSchemas(v)...)
	}
	return out
}

func asSchemas(v any) []*jsonschema.Schema {
	switch v := v.(type) {
	case *jsonschema.Schema:
		return []*jsonschema.Schema{v}
	case []*jsonschema.Schema:
		return v
	}
	return nil
}
