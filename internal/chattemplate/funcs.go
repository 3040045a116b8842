package chattemplate

import (
	"fmt"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"text/template"
	"time"

	"github.com/heraldhq/herald/internal/runes"
)

// Names of the functions Parse's rewrite calls.
const (
	escapeFunc = "_escape"
	boundFunc  = "_bound"
)

// funcs is what a template may call: no function does I/O, and every one
// that makes text charges it to the execution's budget, so that text made
// and thrown away (an assignment in a loop) is bounded as output is.
// printf and the built-in print functions are replaced by charged ones.
// With the zero Dialect and a nil budget the functions only stand for their
// names while parsing.
func funcs(d Dialect, b *budget) template.FuncMap {
	text := func(f func(any) string) func(any) (string, error) {
		return func(v any) (string, error) { return b.charge(f(v)) }
	}
	return template.FuncMap{
		escapeFunc: text(func(v any) string { return escape(v, d) }),
		boundFunc:  bound,
		"default":  orDefault,
		"upper":    text(func(v any) string { return strings.ToUpper(str(v)) }),
		"lower":    text(func(v any) string { return strings.ToLower(str(v)) }),
		"truncate": func(n int, v any) (string, error) { return b.charge(runes.Truncate(str(v), max(n, 1))) },
		"join":     func(sep string, v any) (string, error) { return b.charge(join(sep, v)) },
		"date":     func(layout string, v any) (string, error) { return b.charge(date(layout, v)) },
		"link":     func(u, text any) (Markup, error) { s, err := b.charge(string(link(d, u, text))); return Markup(s), err },
		"printf": func(format string, args ...any) (string, error) {
			s, err := printf(format, args...)
			if err != nil {
				return "", err
			}
			return b.charge(s)
		},
		"print":    func(args ...any) (string, error) { return b.charge(fmt.Sprint(args...)) },
		"println":  func(args ...any) (string, error) { return b.charge(fmt.Sprintln(args...)) },
		"html":     unavailable("html"),
		"js":       unavailable("js"),
		"urlquery": unavailable("urlquery"),
	}
}

func unavailable(name string) func(...any) (string, error) {
	return func(...any) (string, error) {
		return "", fmt.Errorf("%s is not available: the output is escaped for the platform already", name)
	}
}

// budget is how much text one execution may make in all (MaxMade).
type budget struct{ left int }

// MaxMade bounds the text an execution's functions make, output or not.
const MaxMade = 1 << 20

func (b *budget) charge(s string) (string, error) {
	if b == nil {
		return s, nil
	}
	if b.left -= len(s); b.left < 0 {
		return "", fmt.Errorf("the template made more than %d bytes of text", MaxMade)
	}
	return s, nil
}

// escape is the end of every output action: Markup passes, anything else is
// event text and is escaped; a missing value prints nothing.
func escape(v any, d Dialect) string {
	switch v := v.(type) {
	case nil:
		return ""
	case Markup:
		return string(v)
	}
	if d.Escape == nil {
		return str(v)
	}
	return d.Escape(str(v))
}

// str prints a value as a template would (a JSON number 42 as 42).
func str(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case Markup:
		return string(v)
	}
	return fmt.Sprint(v)
}

// orDefault is default FALLBACK VALUE: the value, or the fallback when it is
// missing or empty.
func orDefault(fallback, v any) any {
	if v == nil || v == "" {
		return fallback
	}
	return v
}

// join is join SEP LIST.
func join(sep string, v any) string {
	list, ok := v.([]any)
	if !ok {
		return str(v)
	}
	parts := make([]string, 0, min(len(list), MaxRangeItems))
	for _, x := range list[:min(len(list), MaxRangeItems)] {
		parts = append(parts, str(x))
	}
	return strings.Join(parts, sep)
}

// date is date LAYOUT TIME: an RFC 3339 time (or Unix seconds) in a Go
// layout, in UTC; a value that is not a time prints as it is.
func date(layout string, v any) string {
	var t time.Time
	switch v := v.(type) {
	case string:
		parsed, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return v
		}
		t = parsed
	case float64:
		t = time.Unix(int64(v), 0)
	default:
		return str(v)
	}
	return runes.Truncate(t.UTC().Format(layout), 200)
}

// link is link URL TEXT: the platform's link to an http or https URL, its
// text escaped; anything else is the text alone.
func link(d Dialect, u, text any) Markup {
	s, label := str(u), str(text)
	parsed, err := url.Parse(s)
	if err != nil || (parsed.Scheme != "http" && parsed.Scheme != "https") || parsed.Host == "" || d.Link == nil {
		return Markup(escape(label, d))
	}
	return Markup(d.Link(parsed.String(), label))
}

// printf is fmt.Sprintf with widths and precisions of at most maxWidth and
// none taken from an argument.
func printf(format string, args ...any) (string, error) {
	n := 0
	for i := 0; i < len(format); i++ {
		c := format[i]
		switch {
		case c == '*':
			return "", fmt.Errorf("printf: a width from an argument (*) is not allowed")
		case c >= '0' && c <= '9':
			n = n*10 + int(c-'0')
			if n > maxWidth {
				return "", fmt.Errorf("printf: widths and precisions are at most %d", maxWidth)
			}
		default:
			n = 0
		}
	}
	return fmt.Sprintf(format, args...), nil
}

// bound is the end of every range's pipeline: at most MaxRangeItems items of
// a list, a map (in key order, as range takes them) or a count.
func bound(v any) any {
	switch v := v.(type) {
	case []any:
		return v[:min(len(v), MaxRangeItems)]
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		out := make(map[string]any, min(len(keys), MaxRangeItems))
		for _, k := range keys[:min(len(keys), MaxRangeItems)] {
			out[k] = v[k]
		}
		return out
	case float64:
		return min(int(v), MaxRangeItems)
	}
	if rv := reflect.ValueOf(v); rv.Kind() >= reflect.Int && rv.Kind() <= reflect.Uint64 {
		return min(int(rv.Convert(reflect.TypeOf(0)).Int()), MaxRangeItems)
	}
	return v
}
