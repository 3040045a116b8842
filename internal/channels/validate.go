package channels

import (
	"fmt"
	"net/url"

	"github.com/heraldhq/herald/internal/alerts"
	"github.com/heraldhq/herald/internal/pacing"

	"github.com/heraldhq/herald"
)

// Settings are the parts of an integration its channel checks: where it
// posts, how (Teams' message format), and the secret that signs requests.
type Settings struct {
	URL    string
	Format string // "" is the channel's default
	Secret string // "" is none
}

// FieldError is a setting the channel refuses, named as the API names it.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return fmt.Sprintf("field %q: %s", e.Field, e.Msg) }

// MaxURLLen is the longest destination URL accepted.
const MaxURLLen = 2048

// ValidateURL checks what every channel needs of a destination: an absolute
// http(s) URL with a host and no fragment. (Where it may point is the SSRF
// guard's business, at creation and at every dial.)
func ValidateURL(raw string) error {
	if len(raw) > MaxURLLen {
		return fmt.Errorf("longer than %d characters", MaxURLLen)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("not a valid URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("must be an http or https URL")
	}
	if u.Host == "" || u.Hostname() == "" {
		return fmt.Errorf("must name a host")
	}
	if u.Fragment != "" {
		return fmt.Errorf("must not have a #fragment")
	}
	return nil
}

// validateCommon checks the URL and the secret, which every channel takes.
func validateCommon(s Settings) error {
	if err := ValidateURL(s.URL); err != nil {
		return &FieldError{"url", err.Error()}
	}
	if s.Secret != "" {
		if err := ValidateSecret(s.Secret); err != nil {
			return &FieldError{"secret", err.Error()}
		}
	}
	return nil
}

// noFormat is the rule of every channel but Teams.
func noFormat(s Settings) error {
	if s.Format != "" {
		return &FieldError{"format", "applies to teams integrations only"}
	}
	return nil
}

// Traits say how a channel's integrations behave beyond rendering.
type Traits struct {
	// Signed: requests carry a signature from the integration's secret, so
	// the secret can be rotated.
	Signed bool
	// Confirms: a new or reinstalled integration gets a confirmation
	// message, which people in the channel see.
	Confirms bool
	// Alerts: grouped unless a policy says otherwise where people read the
	// channel; a webhook's receiver gets each alert as itself.
	Alerts alerts.Default
	// Rate is the default send rate (platform-limits.md); zero is unpaced.
	Rate pacing.Limit
	// MaxInFlight is the default cap on concurrent requests; 0 is no cap.
	MaxInFlight int
	// Shaping is how an integration may shape what it gets: a chat
	// message template, or a webhook body transform.
	Shaping Shaping
}

// Shaping is how a channel's messages may be shaped.
type Shaping int

// The ways to shape a message.
const (
	ShapeNone Shaping = iota
	// ShapeTemplate: a chat message template (internal/chattemplate).
	ShapeTemplate
	// ShapeTransform: a CEL transform yielding the body (internal/expr).
	ShapeTransform
)

// TraitsOf is the traits of integration type t (none for an unknown type).
func (r *Registry) TraitsOf(t herald.IntegrationType) Traits {
	if ch, err := r.For(t); err == nil {
		return ch.Traits()
	}
	return Traits{}
}

func first(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// Validate checks settings with the channel of type t.
func (r *Registry) Validate(t herald.IntegrationType, s Settings) error {
	ch, err := r.For(t)
	if err != nil {
		return &FieldError{"type", err.Error()}
	}
	return ch.Validate(s)
}
