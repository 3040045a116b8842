// Package problem makes Herald's typed errors: RFC 9457 problems
// (api.Problem) that say what was refused and why, with errors[].pointer at
// the field meant. The service layer returns them, the JSON API writes them
// as application/problem+json, and the console shows their words; any other
// error is internal (logged, never shown).
package problem

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/store"
)

// New is a problem of status with a formatted detail.
func New(status int, format string, args ...any) *api.Problem {
	return &api.Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: fmt.Sprintf(format, args...)}
}

// BadRequest is a 400.
func BadRequest(format string, args ...any) *api.Problem {
	return New(http.StatusBadRequest, format, args...)
}

// Field is a 400 about one field of the request's body: its detail says
// `field "name"` and then rest, and its errors[].pointer points at it
// ("retry.maxAttempts" is /retry/maxAttempts).
func Field(field, rest string, args ...any) *api.Problem {
	detail := fmt.Sprintf("field %q", field) + fmt.Sprintf(rest, args...)
	p := BadRequest("%s", detail)
	p.Errors = []api.ProblemError{{Pointer: Pointer(field), Detail: detail}}
	return p
}

// At points a problem at a field of the body, its words unchanged.
func At(field string, p *api.Problem) *api.Problem {
	p.Errors = []api.ProblemError{{Pointer: Pointer(field), Detail: p.Detail}}
	return p
}

// AtRoot points a problem at the whole body.
func AtRoot(p *api.Problem) *api.Problem {
	p.Errors = []api.ProblemError{{Pointer: "", Detail: p.Detail}}
	return p
}

// Pointer is the JSON pointer (RFC 6901) of a dotted field name.
func Pointer(field string) string {
	var b strings.Builder
	for _, tok := range strings.Split(field, ".") {
		b.WriteByte('/')
		b.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(tok))
	}
	return b.String()
}

// NotFound is the 404 of what, by id.
func NotFound(what, id string) *api.Problem {
	return New(http.StatusNotFound, "%s %q does not exist", what, id)
}

// OrNotFound is err, with the store's ErrNotFound said as the 404 of what id.
func OrNotFound(err error, what, id string) error {
	if errors.Is(err, store.ErrNotFound) {
		return NotFound(what, id)
	}
	return err
}

// Unavailable is a 503 that asks the client to retry shortly.
func Unavailable(detail string) *api.Problem {
	p := New(http.StatusServiceUnavailable, "%s", detail)
	p.RetryAfter = 5
	return p
}

// Conflict is a 409.
func Conflict(format string, args ...any) *api.Problem {
	return New(http.StatusConflict, format, args...)
}
