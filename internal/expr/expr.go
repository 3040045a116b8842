// Package expr holds the CEL expressions an integration may carry: a filter
// (does this event reach it?) and a webhook body transform (what body does
// it get?). Both run inside Herald's workers for every tenant, so both are
// bounded: an expression whose estimated cost is over EstimatedCostLimit is
// refused when it is saved, and one that runs past RuntimeCostLimit stops
// with an error.
package expr

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/cost"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/ext"

	"github.com/heraldhq/herald/internal/lru"
	"google.golang.org/protobuf/types/known/structpb"
)

// Limits of every expression.
const (
	// MaxSourceLen bounds an expression's text.
	MaxSourceLen = 4096
	// RuntimeCostLimit is how much one evaluation may spend, in CEL's cost
	// units (about one per comparison or field access): the per-call limit
	// Kubernetes uses for its validation rules.
	RuntimeCostLimit = 1_000_000
	// EstimatedCostLimit refuses, when an expression is saved, one whose
	// worst case over the largest event Herald takes is beyond ten times
	// the runtime limit: a loop over a list inside a loop over a list.
	EstimatedCostLimit = 10 * RuntimeCostLimit
	// maxDataSize is the largest list or string an event can hold: the
	// event body limit (256 KiB), which bounds every size the estimate uses.
	maxDataSize = 256 << 10
)

// Kind is what an expression yields.
type Kind int

// The kinds of expression.
const (
	// KindFilter yields a bool: whether the event reaches the integration.
	KindFilter Kind = iota + 1
	// KindTransform yields an object: the webhook body.
	KindTransform
)

func (k Kind) String() string {
	if k == KindFilter {
		return "filter"
	}
	return "transform"
}

// Input is what an expression sees of an event.
type Input struct {
	Event   string
	Data    json.RawMessage
	Project string
	// Decoded is Data already decoded (Decode), when several expressions
	// read one event; nil: Data is decoded for each.
	Decoded any
	// Budget is what the event has left to spend on expressions (nil:
	// only each evaluation's own limit).
	Budget *Budget
}

// EventCostBudget is what one event may spend on all the filters of its
// team's integrations together: a team with many costly filters makes its
// own events slower, within a bound, and no more.
const EventCostBudget = 5 * RuntimeCostLimit

// Budget is an event's cost left for expressions.
type Budget struct{ left uint64 }

// NewBudget is a full EventCostBudget.
func NewBudget() *Budget { return &Budget{left: EventCostBudget} }

// ErrBudgetSpent is an expression not run: the event spent its budget.
var ErrBudgetSpent = fmt.Errorf("the event spent its budget of %d on the team's other filters", EventCostBudget)

// Decode reads an event's data once for several expressions.
func Decode(data json.RawMessage) (any, error) {
	var v any = map[string]any{}
	if len(data) > 0 {
		if err := json.Unmarshal(data, &v); err != nil {
			return nil, fmt.Errorf("read the event's data: %w", err)
		}
	}
	return v, nil
}

// CompileError is an expression that cannot be saved: its position (1-based
// line and column; 0 when the error is not about one place) and why.
type CompileError struct {
	Line, Column int
	Msg          string
}

func (e *CompileError) Error() string {
	if e.Line == 0 {
		return e.Msg
	}
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
}

// Program is a compiled expression.
type Program struct {
	kind Kind
	prg  cel.Program
}

var env = mustEnv()

func mustEnv() *cel.Env {
	e, err := cel.NewEnv(
		cel.Variable("event", cel.StringType),
		cel.Variable("data", cel.DynType),
		cel.Variable("project", cel.StringType),
		cel.CrossTypeNumericComparisons(true),
		ext.Strings(),
	)
	if err != nil {
		panic(fmt.Sprintf("expr: CEL environment: %v", err))
	}
	return e
}

// Compile parses and checks src as an expression of kind k and estimates its
// cost over the largest event.
func Compile(k Kind, src string) (*Program, error) {
	if strings.TrimSpace(src) == "" {
		return nil, &CompileError{Msg: "the expression is empty"}
	}
	if len(src) > MaxSourceLen {
		return nil, &CompileError{Msg: fmt.Sprintf("the expression is %d bytes long; at most %d", len(src), MaxSourceLen)}
	}
	ast, iss := env.Compile(src)
	if iss != nil && iss.Err() != nil {
		return nil, firstIssue(iss)
	}
	if err := checkType(k, ast.OutputType()); err != nil {
		return nil, err
	}
	est, err := env.EstimateCost(ast, sizes{})
	if err != nil {
		return nil, &CompileError{Msg: fmt.Sprintf("its cost cannot be estimated: %v", err)}
	}
	if est.Max > EstimatedCostLimit {
		return nil, &CompileError{Msg: fmt.Sprintf("its estimated cost over the largest event (%s) is over the limit of %d: loop over fewer lists, or over a list once", costWords(est.Max), EstimatedCostLimit)}
	}
	prg, err := env.Program(ast, cel.CostLimit(RuntimeCostLimit), cel.InterruptCheckFrequency(100))
	if err != nil {
		return nil, fmt.Errorf("expr: program: %w", err)
	}
	return &Program{kind: k, prg: prg}, nil
}

func costWords(c uint64) string {
	if c == ^uint64(0) {
		return "unbounded"
	}
	return fmt.Sprint(c)
}

func checkType(k Kind, t *cel.Type) error {
	if t.IsExactType(types.DynType) {
		return nil
	}
	switch k {
	case KindFilter:
		if !t.IsExactType(types.BoolType) {
			return &CompileError{Msg: fmt.Sprintf("a filter yields true or false; this one yields %s", t)}
		}
	case KindTransform:
		if t.Kind() != types.MapKind {
			return &CompileError{Msg: fmt.Sprintf("a transform yields an object (the body); this one yields %s", t)}
		}
	}
	return nil
}

func firstIssue(iss *cel.Issues) error {
	errs := iss.Errors()
	if len(errs) == 0 {
		return &CompileError{Msg: iss.String()}
	}
	e := errs[0]
	return &CompileError{Line: e.Location.Line(), Column: e.Location.Column() + 1, Msg: e.Message}
}

// sizes bounds every list, map and string an expression may meet by the
// largest event Herald takes: without it a loop's cost is unknown.
type sizes struct{}

func (sizes) EstimateSize(cost.AstNode) *cost.SizeEstimate {
	return &cost.SizeEstimate{Min: 0, Max: maxDataSize}
}

func (sizes) EstimateCallCost(string, string, *cost.AstNode, []cost.AstNode) *cost.CallEstimate {
	return nil
}

func (p *Program) eval(in Input) (ref.Val, error) {
	data := in.Decoded
	if data == nil {
		var err error
		if data, err = Decode(in.Data); err != nil {
			return nil, err
		}
	}
	if in.Budget != nil && in.Budget.left == 0 {
		return nil, ErrBudgetSpent
	}
	out, det, err := p.prg.Eval(map[string]any{"event": in.Event, "data": data, "project": in.Project})
	if in.Budget != nil && det != nil && det.ActualCost() != nil {
		in.Budget.left -= min(*det.ActualCost(), in.Budget.left)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Match evaluates a filter: whether the event passes, and why not when it
// does not. An evaluation error (a field the event lacks, read without
// has()) is "not matched", with the error as the reason.
func (p *Program) Match(in Input) (bool, string) {
	out, err := p.eval(in)
	if err != nil {
		return false, "the filter failed on this event: " + err.Error()
	}
	b, ok := out.(types.Bool)
	if !ok {
		return false, fmt.Sprintf("the filter yielded %s, not true or false", out.Type().TypeName())
	}
	if !b {
		return false, "the filter is false for this event"
	}
	return true, ""
}

// ErrNotObject is a transform whose result is not an object.
var ErrNotObject = errors.New("the transform did not yield an object")

// Body evaluates a transform into the JSON body it yields.
func (p *Program) Body(in Input) ([]byte, error) {
	out, err := p.eval(in)
	if err != nil {
		return nil, fmt.Errorf("the transform failed on this event: %w", err)
	}
	native, err := out.ConvertToNative(reflect.TypeOf(&structpb.Value{}))
	if err != nil {
		return nil, fmt.Errorf("the transform's result is not JSON: %w", err)
	}
	v := native.(*structpb.Value)
	if v.GetStructValue() == nil {
		return nil, fmt.Errorf("%w: it yielded %s", ErrNotObject, kindName(v))
	}
	// encoding/json, not protojson: its output is the same bytes every time.
	body, err := json.Marshal(v.AsInterface())
	if err != nil {
		return nil, fmt.Errorf("encode the transform's result: %w", err)
	}
	return body, nil
}

func kindName(v *structpb.Value) string {
	switch v.Kind.(type) {
	case *structpb.Value_ListValue:
		return "a list"
	case *structpb.Value_StringValue:
		return "a string"
	case *structpb.Value_NumberValue:
		return "a number"
	case *structpb.Value_BoolValue:
		return "a bool"
	}
	return "null"
}

type cacheKey struct {
	kind Kind
	src  string
}

// compiled holds programs by their text: a changed expression is a new
// key, so an integration's new version never runs its old program.
var compiled = lru.New[cacheKey, *Program](10_000, 0)

// Cached is Compile's program, compiled once per text.
func Cached(k Kind, src string) (*Program, error) {
	return compiled.GetOr(cacheKey{k, src}, len(src), func() (*Program, error) { return Compile(k, src) })
}
