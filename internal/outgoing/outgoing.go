// Package outgoing makes the one request an integration gets for an event:
// the attempt that sends it and the preview that only shows it both start
// here, so a preview is the request, byte for byte.
package outgoing

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/channels"
	"github.com/heraldhq/herald/internal/chattemplate"
	"github.com/heraldhq/herald/internal/eventtype"
	"github.com/heraldhq/herald/internal/expr"
	"github.com/heraldhq/herald/internal/store"
)

// Complete fills in m (which carries the event: ids, type, data, project)
// for integ at now: its destination, format, secrets (the previous one still
// signing during a rotation), endpoint authentication, template and
// transform. The template and transform were checked when saved: an error
// is a stored one that no longer compiles, and nothing can be sent.
func Complete(integ store.Integration, m channels.Message, now time.Time) (channels.Message, error) {
	m.IntegrationID, m.IntegrationName = integ.ID, integ.Name
	m.URL, m.Secret, m.Format, m.Timestamp = integ.URL, integ.Secret, integ.Format, now
	m.Auth = integ.Auth
	if secrets := integ.SigningSecrets(now); len(secrets) == 2 {
		m.PreviousSecret = secrets[1]
	}
	if integ.Template.V != nil {
		t, err := chattemplate.Cached(*integ.Template.V)
		if err != nil {
			return m, fmt.Errorf("the integration's template: %w", err)
		}
		m.Template = t
	}
	if integ.Transform != "" {
		p, err := expr.Cached(expr.KindTransform, integ.Transform)
		if err != nil {
			return m, fmt.Errorf("the integration's transform: %w", err)
		}
		m.Transform = p
	}
	return m, nil
}

// SecretHeaders name the request headers masked wherever a request is
// stored or shown: the channel's, and those the endpoint authentication adds.
func SecretHeaders(ch channels.Channel, integ store.Integration) []string {
	return append(ch.SecretHeaders(), integ.Auth.SecretHeaders()...)
}

// masked replaces secret header values in stored and shown requests.
const masked = "••••••"

// Masked is h with the values of the secret headers masked.
func Masked(h http.Header, secret []string) store.Headers {
	out := store.Headers(h.Clone())
	for _, name := range secret {
		k := http.CanonicalHeaderKey(name)
		if _, ok := out[k]; ok {
			out[k] = []string{masked}
		}
	}
	return out
}

// Reaches says whether integ gets an event: its patterns, its projects,
// then its filter; and why not. Recording an event asks the same in SQL
// (store's matchQuery, an index lookup): both match patterns through
// eventtype.Candidates, and the project rule (none listed, or the event's
// among them; Herald's own events belong to every project) is the same
// three conditions there.
func Reaches(integ store.Integration, in expr.Input) (bool, string) {
	typed := false
	for _, p := range integ.Events {
		typed = typed || eventtype.Matches(p, in.Event)
	}
	if !typed {
		return false, fmt.Sprintf("it does not subscribe to %s (events: %s)", in.Event, strings.Join(integ.Events, ", "))
	}
	if len(integ.Projects) > 0 && !eventtype.HeraldsOwn(in.Event) && !slices.Contains(integ.Projects, in.Project) {
		return false, fmt.Sprintf("the event's project %q is not one of its projects", in.Project)
	}
	return Passes(integ.Filter, in)
}

// Passes applies a filter ("": none) to an event: whether it passes, and
// why not. The one filter decision, for deliveries and previews.
func Passes(filter string, in expr.Input) (bool, string) {
	if filter == "" {
		return true, ""
	}
	p, err := expr.Cached(expr.KindFilter, filter)
	if err != nil {
		return false, "the filter does not compile: " + err.Error()
	}
	return p.Match(in)
}
