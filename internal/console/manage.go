package console

import (
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/channels"
	"github.com/heraldhq/herald/internal/chattemplate"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/internal/door"
	"github.com/heraldhq/herald/internal/jsontime"
	"github.com/heraldhq/herald/internal/problem"
	"github.com/heraldhq/herald/internal/retry"
	"github.com/heraldhq/herald/internal/store"
)

// integrationForm is the console's form for an integration: what was typed,
// so a refused form comes back as it was (secrets excepted).
type integrationForm struct {
	ID, Name, Type, URL, Events, Projects, Signing string
	MaxAttempts, InitialInterval, MaxInterval      string
	GenerateSecret                                 bool
	// MaskedURL is the URL in force (edit), shown as the placeholder.
	MaskedURL string
	// Filter, the template's title and text, and Transform: shown and
	// sent whole ("" removes one on edit).
	Filter, TemplateTitle, TemplateText, Transform string
}

// words splits a list typed as "build:*, job-run:failure" or one a line.
func words(s string) []string {
	return append([]string{}, strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })...)
}

// request is the API request the form says: on edit only what was filled in
// (an empty URL or secret keeps the one in force).
func (f integrationForm) request(intent api.Intent, secret string) (api.IntegrationRequest, error) {
	var r api.IntegrationRequest
	if intent == api.Creating || f.Name != "" {
		r.Name = &f.Name
	}
	if intent == api.Creating {
		r.Type = &f.Type
	}
	if f.URL != "" || intent == api.Creating {
		r.URL = &f.URL
	}
	if ev := words(f.Events); intent == api.Creating || len(ev) > 0 {
		r.Events = &ev
	}
	pr := words(f.Projects)
	r.Projects = &pr
	if secret != "" {
		r.Secret = &secret
	}
	r.GenerateSecret = f.GenerateSecret
	if f.Signing != "" {
		r.Signing = &f.Signing
	}
	var o retry.Override
	if f.MaxAttempts != "" {
		n, err := strconv.Atoi(f.MaxAttempts)
		if err != nil {
			return r, problem.BadRequest("attempts: %q is not a whole number", f.MaxAttempts)
		}
		o.MaxAttempts = &n
	}
	for _, d := range []struct {
		name, v string
		into    **jsontime.Duration
	}{{"first retry after", f.InitialInterval, &o.InitialInterval}, {"longest wait", f.MaxInterval, &o.MaxInterval}} {
		if d.v == "" {
			continue
		}
		v, err := time.ParseDuration(d.v)
		if err != nil {
			return r, problem.BadRequest("%s: %q is not a duration such as 30s or 2h", d.name, d.v)
		}
		dv := jsontime.Duration(v)
		*d.into = &dv
	}
	if o != (retry.Override{}) {
		r.Retry = &o
	}
	r.Filter, r.Transform = &f.Filter, &f.Transform
	r.Template = &chattemplate.Spec{Title: f.TemplateTitle, Text: f.TemplateText}
	return r, nil
}

func readForm(c *fiber.Ctx) integrationForm {
	return integrationForm{Name: strings.TrimSpace(c.FormValue("name")), Type: c.FormValue("type"), URL: strings.TrimSpace(c.FormValue("url")),
		Events: c.FormValue("events"), Projects: c.FormValue("projects"), Signing: c.FormValue("signing"),
		MaxAttempts: strings.TrimSpace(c.FormValue("maxAttempts")), InitialInterval: strings.TrimSpace(c.FormValue("initialInterval")),
		MaxInterval: strings.TrimSpace(c.FormValue("maxInterval")), GenerateSecret: c.FormValue("generateSecret") == "1",
		Filter: strings.TrimSpace(c.FormValue("filter")), Transform: strings.TrimSpace(c.FormValue("transform")),
		TemplateTitle: c.FormValue("templateTitle"), TemplateText: c.FormValue("templateText")}
}

// formPage is the create or edit form: what was typed, the problem that
// refused it, and the preview of its settings.
type formPage struct {
	consolePage
	Form    integrationForm
	Types   []herald.IntegrationType
	Problem string
	// Preview is the request the settings make for the team's newest event
	// they subscribe to; Previewed says a preview was looked for.
	Preview   *api.Preview
	Previewed bool
}

// renderForm shows the create or edit form, with the problem that refused it.
func (s *Console) renderForm(c *fiber.Ctx, status int, f integrationForm, problem string) error {
	return s.render(c, status, "integration_form", formPage{consolePage: s.page(c, formTitle(f)), Form: f, Types: channels.Supported(), Problem: problem})
}

func formTitle(f integrationForm) string {
	if f.ID != "" {
		return "Edit " + f.Name
	}
	return "New integration"
}

// renderPreview shows the form with the preview of its settings (saved: the
// integration edited; nil for a create); nothing is saved or sent.
func (s *Console) renderPreview(c *fiber.Ctx, f integrationForm, saved *store.Integration) error {
	intent := api.Creating
	if saved != nil {
		intent = api.Updating
	}
	req, err := f.request(intent, c.FormValue("secret"))
	var p *api.Preview
	if err == nil {
		p, err = s.svc.FormPreview(c.UserContext(), door.Actor(c), saved, req)
	}
	if err != nil {
		if msg, ok := problemText(err); ok {
			return s.renderForm(c, 400, f, msg)
		}
		return err
	}
	return s.render(c, 200, "integration_form", formPage{consolePage: s.page(c, formTitle(f)), Form: f, Types: channels.Supported(),
		Preview: p, Previewed: true})
}

// problemText is what a refused form says (its detail), or the error.
func problemText(err error) (string, bool) {
	var p *api.Problem
	if errors.As(err, &p) && p.Status < 500 {
		return p.Detail, true
	}
	return "", false
}

func (s *Console) consoleNewIntegration(c *fiber.Ctx) error {
	return s.renderForm(c, 200, integrationForm{Type: string(herald.IntegrationWebhook), Events: "*"}, "")
}

// consoleCreateIntegration makes an integration through the API's own path
// and shows what is shown once: its secret, and a chat channel's
// confirmation.
func (s *Console) consoleCreateIntegration(c *fiber.Ctx) error {
	f := readForm(c)
	if c.FormValue("action") == "preview" {
		return s.renderPreview(c, f, nil)
	}
	req, err := f.request(api.Creating, c.FormValue("secret"))
	if err == nil {
		var v api.IntegrationView
		if v, err = s.svc.CreateIntegration(c.UserContext(), door.Actor(c), req); err == nil {
			return s.renderShownOnce(c, v, "created")
		}
	}
	if msg, ok := problemText(err); ok {
		return s.renderForm(c, 400, f, msg)
	}
	return err
}

// renderShownOnce is the page after a create or a rotation: the secret (an
// HMAC secret; an Ed25519 key stays with Herald) and the confirmation.
func (s *Console) renderShownOnce(c *fiber.Ctx, v api.IntegrationView, what string) error {
	// Secrets on this page must not linger in caches.
	c.Set(fiber.HeaderCacheControl, "no-store")
	return s.render(c, 200, "shown_once", struct {
		consolePage
		Integration api.IntegrationView
		What        string
	}{s.page(c, v.Name+" "+what), v, what})
}

func (s *Console) consoleEditIntegration(c *fiber.Ctx) error {
	in, err := s.integration(c)
	if err != nil {
		return err
	}
	v := s.svc.IntegrationView(in)
	f := integrationForm{ID: in.ID, Name: in.Name, Type: string(in.Type), MaskedURL: v.URL, Events: strings.Join(in.Events, ", "),
		Projects: strings.Join(in.Projects, ", "), Signing: v.Signing, Filter: in.Filter, Transform: in.Transform}
	if t := in.Template.V; t != nil {
		f.TemplateTitle, f.TemplateText = t.Title, t.Text
	}
	if in.Retry.V != nil {
		f.MaxAttempts, f.InitialInterval, f.MaxInterval = strconv.Itoa(v.Retry.MaxAttempts), v.Retry.InitialInterval, v.Retry.MaxInterval
	}
	return s.renderForm(c, 200, f, "")
}

// consoleSaveIntegration changes an integration through the API's own path.
func (s *Console) consoleSaveIntegration(c *fiber.Ctx) error {
	in, err := s.integration(c)
	if err != nil {
		return err
	}
	f := readForm(c)
	f.ID, f.Type, f.MaskedURL = in.ID, string(in.Type), s.svc.IntegrationView(in).URL
	if c.FormValue("action") == "preview" {
		return s.renderPreview(c, f, &in)
	}
	req, err := f.request(api.Updating, c.FormValue("secret"))
	if err == nil {
		req.Signing = nil // a new scheme is a rotation (its own button)
		var v api.IntegrationView
		if v, err = s.svc.ChangeIntegration(c.UserContext(), door.Actor(c), c.Params("id"), req); err == nil {
			msg := v.Name + " saved."
			if v.Confirmation != nil {
				msg += " Confirmation message: " + confirmationText(*v.Confirmation)
			}
			if len(v.Warnings) > 0 {
				msg += " " + strings.Join(v.Warnings, " ")
			}
			return s.redirectWithFlash(c, "/console/integrations/"+url.PathEscape(in.ID), msg)
		}
	}
	if msg, ok := problemText(err); ok {
		return s.renderForm(c, 400, f, msg)
	}
	return err
}

func confirmationText(r contract.TestResult) string {
	if r.Delivered {
		return "delivered."
	}
	return "not delivered: " + r.Reason
}
