package openapi

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/jsontime"
)

// obj is a JSON object of the document, keys sorted when encoded.
type obj = map[string]any

// schemas turns Go wire types into JSON Schema (2020-12, as OpenAPI 3.1
// uses it) components, one per named struct type, exactly as encoding/json
// writes and reads them:
//   - a field tagged omitempty may be absent; any other field is required in
//     an answer (the server always writes it);
//   - a pointer, slice or map field without omitempty may be null (a nil
//     slice encodes as null);
//   - a request type (reached from a request body) requires nothing and
//     takes null for any pointer (encoding/json reads null as absent), and
//     refuses unknown fields, as the gateway's decoder does.
type schemas struct {
	components obj
	// names maps a Go type to its component name.
	names map[reflect.Type]string
	// requestTypes were made as request types.
	requestTypes map[reflect.Type]bool
}

func newSchemas() *schemas {
	return &schemas{components: obj{}, names: map[reflect.Type]string{}, requestTypes: map[reflect.Type]bool{}}
}

// renamed are components whose Go name alone would be ambiguous or unclear.
var renamed = map[string]string{
	"retry.Override":     "RetryOverride",
	"pacing.Override":    "RateLimitOverride",
	"alerts.Policy":      "AlertPolicy",
	"channels.ClientTLS": "ClientTLS",
	"channels.OAuth2":    "OAuth2Grant",
	"chattemplate.Spec":  "MessageTemplate",
}

var (
	timeType     = reflect.TypeFor[time.Time]()
	rawType      = reflect.TypeFor[json.RawMessage]()
	durationType = reflect.TypeFor[jsontime.Duration]()
)

// componentName is the name of a named struct type's component: its Go
// name, or for a page (api.Page[api.IntegrationView]) IntegrationPage.
func componentName(t reflect.Type) string {
	name := t.Name()
	if base, elem, ok := strings.Cut(name, "["); ok && base == "Page" {
		elem = strings.TrimSuffix(elem, "]")
		elem = elem[strings.LastIndex(elem, ".")+1:]
		return strings.TrimSuffix(elem, "View") + "Page"
	}
	pkg := t.PkgPath()[strings.LastIndex(t.PkgPath(), "/")+1:]
	if r, ok := renamed[pkg+"."+name]; ok {
		return r
	}
	return name
}

// goType is how Go names the type from another package (x-go-type), and
// the import path it needs.
func goType(t reflect.Type) (string, string) {
	pkg := t.PkgPath()[strings.LastIndex(t.PkgPath(), "/")+1:]
	name := t.Name()
	if base, elem, ok := strings.Cut(name, "["); ok {
		elem = strings.TrimSuffix(elem, "]")
		return pkg + "." + base + "[" + pkg + "." + elem[strings.LastIndex(elem, ".")+1:] + "]", t.PkgPath()
	}
	return pkg + "." + name, t.PkgPath()
}

// ref is a $ref to the component of t, made on first use.
func (s *schemas) ref(t reflect.Type, use wireUse) obj {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if name, ok := s.names[t]; ok {
		return obj{"$ref": "#/components/schemas/" + name}
	}
	name := componentName(t)
	for other, n := range s.names {
		if n == name && other != t {
			panic(fmt.Sprintf("openapi: two types named %s (%v, %v): add one to renamed", name, t, other))
		}
	}
	s.names[t] = name
	s.requestTypes[t] = use == inRequest
	s.components[name] = obj{} // reserved: a type may refer to itself
	c := s.object(t, use)
	gt, imp := goType(t)
	c["x-go-type"] = gt
	c["x-go-type-import"] = obj{"path": imp}
	s.components[name] = c
	return obj{"$ref": "#/components/schemas/" + name}
}

// object is the schema of a struct type's fields.
func (s *schemas) object(t reflect.Type, use wireUse) obj {
	props := obj{}
	var required []string
	s.fields(t, use, props, &required)
	out := obj{"type": "object", "properties": props}
	if len(required) > 0 {
		out["required"] = required
	}
	if use == inRequest {
		out["additionalProperties"] = false
	}
	return out
}

func (s *schemas) fields(t reflect.Type, use wireUse, props obj, required *[]string) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			s.fields(f.Type, use, props, required) // embedded: its fields are ours
			continue
		}
		if name == "" {
			name = f.Name
		}
		omitempty := strings.Contains(","+opts+",", ",omitempty,")
		nulls := nullNever
		if use == inRequest || !omitempty {
			nulls = nullAllowed
		}
		props[name] = s.of(f.Type, use, nulls)
		if use != inRequest && !omitempty {
			*required = append(*required, name)
		}
	}
}

// wireUse is where a type travels: in an answer or in a request body.
type wireUse int

const (
	inAnswer wireUse = iota
	inRequest
)

// nullability says whether a nil pointer, slice or map may show as null.
type nullability int

const (
	nullNever nullability = iota
	nullAllowed
)

// of is the schema of a value of type t.
func (s *schemas) of(t reflect.Type, use wireUse, nulls nullability) obj {
	switch {
	case t == timeType:
		return obj{"type": "string", "format": "date-time"}
	case t == rawType:
		return obj{} // any JSON value
	case t == durationType:
		return obj{"type": "string", "description": "a duration: 30s, 5m, 1h30m", "examples": []string{"30s"}}
	}
	switch t.Kind() {
	case reflect.Pointer:
		inner := s.of(t.Elem(), use, nullNever)
		if nulls == nullAllowed {
			return orNull(inner)
		}
		return inner
	case reflect.Bool:
		return obj{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return obj{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return obj{"type": "number"}
	case reflect.String:
		return obj{"type": "string"}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return obj{"type": "string", "contentEncoding": "base64"}
		}
		out := obj{"type": "array", "items": s.of(t.Elem(), use, nullNever)}
		if nulls == nullAllowed && t.Kind() == reflect.Slice {
			out["type"] = []string{"array", "null"}
		}
		return out
	case reflect.Map:
		out := obj{"type": "object", "additionalProperties": s.of(t.Elem(), use, nullNever)}
		if nulls == nullAllowed {
			out["type"] = []string{"object", "null"}
		}
		return out
	case reflect.Interface:
		return obj{}
	case reflect.Struct:
		if t.Name() == "" {
			return s.object(t, use)
		}
		return s.ref(t, use)
	}
	panic(fmt.Sprintf("openapi: no schema for %v", t))
}

// orNull lets a schema also be null: a type list gains "null"; a $ref is
// wrapped.
func orNull(s obj) obj {
	if _, ok := s["$ref"]; ok {
		return obj{"anyOf": []any{s, obj{"type": "null"}}}
	}
	if typ, ok := s["type"].(string); ok {
		out := obj{}
		for k, v := range s {
			out[k] = v
		}
		out["type"] = []string{typ, "null"}
		return out
	}
	return s
}
