package catalog

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// A schema whose oneOf branches both $ref the schema again doubles the work
// at every level of nesting, and every branch fails at the innermost value:
// a 40-level body would cost 2^40 visits. The budget stops it.
func TestBudgetStopsAnExponentialSchema(t *testing.T) {
	s, err := Compile([]byte(`{"oneOf":[{"type":"array","items":{"$ref":"#"}},{"type":"array","items":{"$ref":"#"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(strings.Repeat("[", 40) + `"x"` + strings.Repeat("]", 40))
	b := NewBudget(10_000)
	err = s.Validate(body, b)
	var be *BudgetError
	if !errors.As(err, &be) || be.Limit != 10_000 || b.Spent() != 10_000 {
		t.Fatalf("got %v (spent %d), want a BudgetError with the budget spent", err, b.Spent())
	}
	// A budget already spent refuses at once; the schema still works for others.
	if err := s.Validate([]byte(`"x"`), b); !errors.As(err, &be) {
		t.Fatalf("a spent budget: %v", err)
	}
	if err := s.Validate([]byte(`[]`), NewBudget(100)); err == nil {
		t.Fatal("[] matches both branches of the oneOf: want a mismatch")
	}
}

// Steps are counted, not timed: the same data costs the same every time,
// and one budget is spent across a request's events.
func TestStepsAreDeterministicAndShared(t *testing.T) {
	s, err := Compile([]byte(`{"type":"object","properties":{"a":{"type":"array","items":{"type":"integer","enum":[1,2,3]}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	data := []byte(`{"a":[1,2,3,1,2,3]}`)
	one := NewBudget(DefaultBudget)
	if err := s.Validate(data, one); err != nil {
		t.Fatal(err)
	}
	// By the table in budget.go: the object, a visit (12) and one member
	// (2); the array, a visit and six members; six integers, each a visit,
	// one more for the allOf its integer type and enum moved to, and four
	// exact comparisons (the type, three enum values) of 8 steps.
	if want := int64(12 + 2 + 12 + 6*2 + 6*(2*12+4*8)); one.Spent() != want {
		t.Fatalf("spent %d steps, want %d", one.Spent(), want)
	}
	shared := NewBudget(DefaultBudget)
	for range 3 {
		if err := s.Validate(data, shared); err != nil {
			t.Fatal(err)
		}
	}
	if shared.Spent() != 3*one.Spent() {
		t.Fatalf("three events spent %d, want %d", shared.Spent(), 3*one.Spent())
	}
}

// Numbers a validator would read as enormous rationals never reach it.
func TestHostileNumbersAreRefusedBeforeTheSchema(t *testing.T) {
	s, err := Compile([]byte(`{"type":"object","properties":{"a":{"type":"array","items":{"type":"integer"}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	body := `{"a":[` + strings.TrimSuffix(strings.Repeat("1e999999,", 200), ",") + `]}`
	err = s.Validate([]byte(body), NewBudget(DefaultBudget))
	var de *DataError
	if !errors.As(err, &de) || de.Path != "/a/0" || !strings.Contains(de.Message, "range") {
		t.Fatalf("got %v, want a DataError at /a/0 about the range", err)
	}
}

// Big numbers inside float64's range cost steps by their size: a body of
// them runs out of budget rather than of time.
func TestLargeExponentsCostMore(t *testing.T) {
	s, err := Compile([]byte(`{"type":"array","items":{"type":"integer"}}`))
	if err != nil {
		t.Fatal(err)
	}
	small, big := NewBudget(DefaultBudget), NewBudget(DefaultBudget)
	if err := s.Validate([]byte(`[1,2,3]`), small); err != nil {
		t.Fatal(err)
	}
	if err := s.Validate([]byte(`[1e300,2e300,3e300]`), big); err != nil {
		t.Fatal(err)
	}
	// The array (12 + 3×2), three integers of a visit, the allOf visit and
	// one exact reading: at least 8 steps, a step per 6 characters of the
	// number and of its exponent (5 + 300).
	if small.Spent() != 12+6+3*(24+8) || big.Spent() != 12+6+3*(24+305/6) {
		t.Fatalf("[1,2,3] cost %d steps, [1e300,…] %d", small.Spent(), big.Spent())
	}
}

func TestSchemaBounds(t *testing.T) {
	nums := func(n int) string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprint(i)
		}
		return strings.Join(out, ",")
	}
	longPattern := strings.Repeat(`\\p{L}`, MaxPatternLength/5+1) // \p{L}, escaped in JSON
	manyPatterns := make([]string, MaxPatterns+1)
	for i := range manyPatterns {
		manyPatterns[i] = fmt.Sprintf(`"p%d":{"pattern":"^a%d$"}`, i, i)
	}
	for name, c := range map[string]struct{ schema, want string }{
		"enum too long":     {`{"properties":{"a":{"enum":[` + nums(MaxEnumValues+1) + `]}}}`, "/properties/a/enum has 257 values"},
		"pattern too long":  {`{"pattern":"` + longPattern + `"}`, "characters; at most"},
		"key pattern long":  {`{"patternProperties":{"` + longPattern + `":{}}}`, "characters; at most"},
		"too many patterns": {`{"properties":{` + strings.Join(manyPatterns, ",") + `}}`, "more than 64 patterns"},
		"huge minimum":      {`{"minimum":1e999999}`, "range"},
		"ref into a value":  {`{"examples":[{"oneOf":[{"$ref":"#/examples/0"}]}],"$ref":"#/examples/0"}`, "not a subschema"},
		"ref into x-":       {`{"x-hidden":{"items":{"$ref":"#/x-hidden"}},"$ref":"#/x-hidden"}`, "not a subschema"},
	} {
		_, err := Compile([]byte(c.schema))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error saying %q", name, err, c.want)
		}
	}
	if _, err := Compile([]byte(`{"enum":[` + nums(MaxEnumValues) + `],"pattern":"^[\\p{L} ]+$"}`)); err != nil {
		t.Errorf("a schema at the bounds: %v", err)
	}
}

// Formats assert as each draft says: from 2019-09 on a format annotates,
// before it a format asserts (the cost format takes its place on every
// subschema, the schema's own moves under allOf).
func TestFormatsKeepTheirDraftsMeaning(t *testing.T) {
	annotate, err := Compile([]byte(`{"type":"object","properties":{"mail":{"type":"string","format":"email"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := annotate.Validate([]byte(`{"mail":"nope"}`), NewBudget(DefaultBudget)); err != nil {
		t.Errorf("2020-12 asserted a format: %v", err)
	}
	assert, err := Compile([]byte(`{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","properties":{"mail":{"type":"string","format":"email","allOf":[{"minLength":1}]}}}`))
	if err != nil {
		t.Fatal(err)
	}
	var de *DataError
	if err := assert.Validate([]byte(`{"mail":"nope"}`), NewBudget(DefaultBudget)); !errors.As(err, &de) || de.Path != "/mail" {
		t.Errorf("draft-07 did not assert its format: %v", err)
	}
	if err := assert.Validate([]byte(`{"mail":"a@example.com"}`), NewBudget(DefaultBudget)); err != nil {
		t.Errorf("draft-07, a good address: %v", err)
	}
}

// Validations of one schema at once each use a copy with a meter of its own.
func TestConcurrentValidationsKeepTheirOwnBudgets(t *testing.T) {
	s, err := Cached([]byte(`{"type":"array","items":{"type":"integer"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := Cached([]byte(`{"type":"array","items":{"type":"integer"}}`)); again != s {
		t.Fatal("the same text compiled twice")
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 64 {
		wg.Go(func() {
			n := 1 + i%7
			b := NewBudget(DefaultBudget)
			if err := s.Validate([]byte("["+strings.TrimSuffix(strings.Repeat("1,", n), ",")+"]"), b); err != nil {
				errs <- err
			} else if want := int64(12 + 2*n + n*(2*12+8)); b.Spent() != want { // the array; n integers
				errs <- fmt.Errorf("%d items spent %d steps, want %d", n, b.Spent(), want)
			} else if false {
				errs <- fmt.Errorf("%d items spent %d steps", n, b.Spent())
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// What a whole budget costs at the dearest steps there are (BENCHMARKS.md):
// failing oneOf branches, numbers against a full enum of numbers, patterns
// over long strings, and exponents near float64's limit.
func BenchmarkSpendTheBudget(b *testing.B) {
	enum := make([]string, MaxEnumValues)
	for i := range enum {
		enum[i] = fmt.Sprintf("%d.5", i)
	}
	namePatterns := make([]string, MaxPatterns)
	for i := range namePatterns {
		namePatterns[i] = fmt.Sprintf(`"^[a-z]{3}%d[\\p{L}]+$":{}`, i)
	}
	names := make([]string, 5000)
	for i := range names {
		names[i] = fmt.Sprintf(`"%030d":1`, i)
	}
	cases := []struct{ name, schema, data string }{
		{"exponential oneOf", `{"oneOf":[{"type":"array","items":{"$ref":"#"}},{"type":"array","items":{"$ref":"#"}}]}`,
			strings.Repeat("[", 60) + `"x"` + strings.Repeat("]", 60)},
		{"enum of numbers", `{"type":"array","items":{"enum":[` + strings.Join(enum, ",") + `]}}`,
			"[" + strings.TrimSuffix(strings.Repeat("1e300,", 40000), ",") + "]"},
		{"patterns", `{"type":"array","items":{"type":"string","pattern":"^(\\p{L}|\\p{N})+$"}}`,
			"[" + strings.TrimSuffix(strings.Repeat(`"`+strings.Repeat("é", 2000)+`",`, 60), ",") + "]"},
		{"uniqueItems of big numbers", `{"type":"array","uniqueItems":true}`,
			"[" + strings.TrimSuffix(strings.Repeat("1.7e308,", 30000), ",") + "]"},
		{"failing anyOf branches", `{"type":"array","items":{"anyOf":[` + strings.TrimSuffix(strings.Repeat(`{"type":"string"},`, 200), ",") + `]}}`,
			"[" + strings.TrimSuffix(strings.Repeat("1,", 20000), ",") + "]"},
		{"names against patterns", `{"patternProperties":{` + strings.Join(namePatterns, ",") + `}}`, "{" + strings.Join(names, ",") + "}"},
	}
	for _, c := range cases {
		s, err := Compile([]byte(c.schema))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name, func(b *testing.B) {
			var spent int64
			for b.Loop() {
				budget := NewBudget(DefaultBudget)
				_ = s.Validate([]byte(c.data), budget)
				spent = budget.Spent()
			}
			b.ReportMetric(float64(spent), "steps")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(spent), "ns/step")
		})
	}
}
