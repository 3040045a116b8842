package console

import (
	"crypto/hmac"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"net/url"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/internal/door"
	"github.com/heraldhq/herald/internal/problem"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/store"
)

//go:embed *.html
var consoleFiles embed.FS

// consoleCookie holds the console session's id (store.CreateSession), never
// the key: HttpOnly (no script reads it), SameSite=Strict (no other site
// sends it), scoped to /console, Secure over https.
const consoleCookie = "herald_console"

// A console session ends after consoleIdle without a request, and at
// consoleSessionTTL after sign-in whatever happens; signing out or revoking
// its key ends it at once.
const (
	consoleIdle       = time.Hour
	consoleSessionTTL = 12 * time.Hour
)

var consoleFuncs = template.FuncMap{
	"join":       func(s []string) string { return strings.Join(s, ", ") },
	"healthText": consoleHealth,
	"ago":        ago,
	"when":       when,
	"pretty":     prettyBody,
	"label":      attemptLabel,
	"outcomeBadge": func(o contract.EventStatus) string {
		switch o {
		case contract.StatusDelivered:
			return "delivered"
		case contract.StatusFailed:
			return "failed"
		case contract.StatusDelivering, contract.StatusPartial:
			return "retrying"
		}
		return "skipped"
	},
	"headers": func(h map[string][]string) string {
		keys := make([]string, 0, len(h))
		for k := range h {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b strings.Builder
		for _, k := range keys {
			fmt.Fprintf(&b, "%s: %s\n", k, strings.Join(h[k], ", "))
		}
		return b.String()
	},
	"waitingText": func(w contract.WaitingFor) string {
		switch w {
		case contract.WaitSlot:
			return "its send slot (the integration's rate limit)"
		case contract.WaitTurn:
			return "its turn (an earlier delivery of this fifo integration)"
		case contract.WaitInFlight:
			return "a place in flight (the integration's maxInFlight)"
		}
		return string(w)
	},
	"outcomeClass": func(o herald.Outcome) string {
		switch o {
		case herald.OutcomeDelivered:
			return "delivered"
		case herald.OutcomeRetry, herald.OutcomeThrottled:
			return "retrying"
		}
		return "failed"
	},
}

var consolePages = func() map[string]*template.Template {
	pages := map[string]*template.Template{}
	for _, name := range []string{"login", "integrations", "deliveries", "delivery", "error", "audit", "events", "event", "failures", "integration_form", "shown_once", "apidocs"} {
		pages[name] = template.Must(template.New(name).Funcs(consoleFuncs).ParseFS(consoleFiles, "layout.html", name+".html"))
	}
	return pages
}()

func consoleHealth(h api.HealthView) string {
	switch h.Status {
	case herald.HealthFailing:
		s := fmt.Sprintf("failing since %s", ago(h.FirstFailedAt))
		if h.ConsecutiveFailures > 0 {
			s += fmt.Sprintf(" · %d failed in a row", h.ConsecutiveFailures)
		}
		return s
	case herald.HealthDisabled:
		if h.DisabledReason != "" {
			return "disabled: " + h.DisabledReason
		}
		return "disabled"
	}
	return string(h.Status)
}

// ago is a time relative to now, for people.
func ago(v any) string {
	t, ok := timeOf(v)
	if !ok {
		return ""
	}
	d := time.Since(t)
	future := d < 0
	if future {
		d = -d
	}
	var s string
	switch {
	case d < time.Minute:
		s = fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		s = fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		s = fmt.Sprintf("%dh", int(d.Hours()))
	default:
		return t.UTC().Format("2006-01-02 15:04 UTC")
	}
	if future {
		return "in " + s
	}
	return s + " ago"
}

// timeOf is a template's time value (nil pointers and other values: none).
func timeOf(v any) (time.Time, bool) {
	switch x := v.(type) {
	case time.Time:
		return x, true
	case *time.Time:
		if x != nil {
			return *x, true
		}
	}
	return time.Time{}, false
}

// page is what every console template gets.
type consolePage struct {
	Title string
	Team  string
	// TeamName is what the header shows (the id on hover).
	TeamName string
	CSRF     string
	Flash    string
	// Refresh makes the page load itself again in a second (waiting for an
	// attempt a resend asked for).
	Refresh bool
}

func (s *Console) render(c *fiber.Ctx, status int, name string, data any) error {
	var b strings.Builder
	if err := consolePages[name].ExecuteTemplate(&b, name+".html", data); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set("X-Frame-Options", "DENY")
	c.Set("Content-Security-Policy", "default-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	return c.Status(status).SendString(b.String())
}

// csrfToken binds forms to the console session: a page from another site can
// neither read it nor forge it.
func csrfToken(session string) string {
	mac := hmac.New(sha256.New, []byte(session))
	mac.Write([]byte("herald console csrf"))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

func (s *Console) page(c *fiber.Ctx, title string) consolePage {
	key := c.Cookies(consoleCookie)
	p := consolePage{Title: title, Team: door.TeamID(c), TeamName: door.TeamID(c), CSRF: csrfToken(key), Flash: s.takeFlash(c)}
	if t, err := s.store.GetTeam(c.UserContext(), p.Team); err == nil {
		p.TeamName = t.Name
	}
	return p
}

// flashCookie carries the message an action leaves for the page it redirects
// to. A cookie, not the URL: a link from elsewhere cannot put words on the
// console's pages.
const flashCookie = "herald_console_flash"

// cookie is every cookie Herald sets: HttpOnly, scoped to path, Secure when
// browsers reach the gateway over https. maxAge -1 deletes it.
func (s *Console) cookie(name, value, path string, maxAge int, sameSite string) *fiber.Cookie {
	return &fiber.Cookie{Name: name, Value: value, Path: path, MaxAge: maxAge, HTTPOnly: true,
		SameSite: sameSite, Secure: s.cfg.SecureCookies()}
}

func (s *Console) consoleCookieOf(name, value string, maxAge int, sameSite string) *fiber.Cookie {
	return s.cookie(name, value, "/console", maxAge, sameSite)
}

// redirectWithFlash sends the browser to path with msg shown there once.
func (s *Console) redirectWithFlash(c *fiber.Ctx, path, msg string) error {
	c.Cookie(s.consoleCookieOf(flashCookie, base64.RawURLEncoding.EncodeToString([]byte(msg)), 60, fiber.CookieSameSiteStrictMode))
	return c.Redirect(path, fiber.StatusSeeOther)
}

func (s *Console) takeFlash(c *fiber.Ctx) string {
	raw := c.Cookies(flashCookie)
	if raw == "" {
		return ""
	}
	c.Cookie(s.consoleCookieOf(flashCookie, "", -1, fiber.CookieSameSiteStrictMode))
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil || !utf8.Valid(b) || len(b) > 500 {
		return ""
	}
	return string(b)
}

// sameOrigin refuses a console POST that a browser says came from another
// site (Origin, or Sec-Fetch-Site when Origin is absent).
func (s *Console) sameOrigin(c *fiber.Ctx) error {
	origin := c.Get(fiber.HeaderOrigin)
	if origin == "" {
		if site := c.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
			return problem.New(fiber.StatusForbidden, "the form did not come from this console")
		}
		return nil
	}
	if origin == c.BaseURL() || origin == originOf(s.cfg.PublicBaseURL()) {
		return nil
	}
	return problem.New(fiber.StatusForbidden, "the form came from %s, not from this console", origin)
}

func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// postedCSRF is the csrf field of a form body; a token in the query string
// does not count (it leaks through logs and Referer).
func postedCSRF(c *fiber.Ctx) []byte {
	if f, err := c.MultipartForm(); err == nil && len(f.Value["csrf"]) > 0 {
		return []byte(f.Value["csrf"][0])
	}
	return c.Request().PostArgs().Peek("csrf")
}

// consoleAuth finds the cookie's session and its key, or sends the browser to
// the login page.
func (s *Console) consoleAuth(c *fiber.Ctx) error {
	session := c.Cookies(consoleCookie)
	if !strings.HasPrefix(session, store.SessionPrefix) {
		return c.Redirect("/console/login", fiber.StatusSeeOther)
	}
	k, err := s.store.SessionKey(c.UserContext(), session, consoleIdle)
	if errors.Is(err, store.ErrNotFound) {
		s.guard.Fail(c.IP(), time.Now())
	}
	if err != nil || !k.Has(herald.ScopeManage) {
		c.Cookie(s.consoleCookieOf(consoleCookie, "", -1, fiber.CookieSameSiteStrictMode))
		return c.Redirect("/console/login", fiber.StatusSeeOther)
	}
	door.SetKey(c, k)
	c.SetUserContext(store.WithActor(c.UserContext(), actorOf(k)))
	if err := s.guard.Rate(k.ID); err != nil {
		return err
	}
	if c.Method() == fiber.MethodPost {
		if err := s.sameOrigin(c); err != nil {
			return err
		}
		if !hmac.Equal(postedCSRF(c), []byte(csrfToken(session))) {
			return problem.New(fiber.StatusForbidden, "the form has expired or did not come from this console; reload the page and try again")
		}
	}
	return c.Next()
}

func (s *Console) Mount(app *fiber.App) {
	// The API's contract as a page, for anyone (it holds no secret).
	app.Get("/docs/api", s.apiReference)
	app.Get("/console/login", func(c *fiber.Ctx) error {
		return s.renderLogin(c, 200, "")
	})
	app.Post("/console/login", s.consoleLogin)
	con := app.Group("/console", s.consoleAuth)
	con.Post("/logout", func(c *fiber.Ctx) error {
		if err := s.store.EndSession(c.UserContext(), door.Key(c), c.Cookies(consoleCookie)); err != nil {
			return err
		}
		c.Cookie(s.consoleCookieOf(consoleCookie, "", -1, fiber.CookieSameSiteStrictMode))
		return c.Redirect("/console/login", fiber.StatusSeeOther)
	})
	con.Get("/", s.consoleIntegrations)
	con.Get("/integrations/new", s.consoleNewIntegration)
	con.Post("/integrations", s.consoleCreateIntegration)
	con.Get("/integrations/:id", s.consoleDeliveries)
	con.Get("/integrations/:id/edit", s.consoleEditIntegration)
	con.Post("/integrations/:id/edit", s.consoleSaveIntegration)
	con.Get("/deliveries/:id", s.consoleDelivery)
	con.Get("/audit", s.consoleAudit)
	con.Get("/events", s.consoleEvents)
	con.Get("/events/:id", s.consoleEvent)
	con.Get("/search", s.consoleSearch)
	con.Get("/failures", s.consoleFailures)
	con.Post("/integrations/:id/:action", s.consoleIntegrationAction)
	con.Post("/deliveries/:id/resend", s.consoleResend)
}

// loginCookie is the login form's double-submit token: a page on another
// site can post to /console/login but can neither read nor set it, so it
// cannot sign a browser in with the attacker's key.
const loginCookie = "herald_console_login"

func (s *Console) renderLogin(c *fiber.Ctx, status int, msg string) error {
	token, err := store.RandomToken(24)
	if err != nil {
		return err
	}
	c.Cookie(s.consoleCookieOf(loginCookie, token, 3600, fiber.CookieSameSiteStrictMode))
	return s.render(c, status, "login", struct {
		consolePage
		Error string
	}{consolePage{Title: "Sign in", CSRF: token}, msg})
}

func (s *Console) consoleLogin(c *fiber.Ctx) error {
	if err := s.sameOrigin(c); err != nil {
		return err
	}
	if want := c.Cookies(loginCookie); want == "" || !hmac.Equal(postedCSRF(c), []byte(want)) {
		return s.renderLogin(c, fiber.StatusForbidden, "The sign-in form expired or did not come from this console. Try again.")
	}
	if err := s.guard.Check(c.IP(), time.Now()); err != nil {
		return err
	}
	key := strings.TrimSpace(string(c.Request().PostArgs().Peek("key")))
	k, err := store.APIKey{}, store.ErrNotFound
	if strings.HasPrefix(key, store.KeyPrefix) {
		k, err = s.store.Authenticate(c.UserContext(), key)
	}
	fail := func(why, msg string) error {
		// Audited without the key: the team's when the key is one, the
		// operator's (no team) when it is not.
		c.SetUserContext(store.WithActor(c.UserContext(), actorOf(k)))
		s.svc.RecordAudit(c.UserContext(), store.Audit{TeamID: k.TeamID, Action: store.AuditConsoleSignInFail, ObjectType: store.ObjectKey, ObjectID: k.ID,
			Summary: map[string]any{"from": c.IP(), "reason": why}})
		return s.renderLogin(c, fiber.StatusUnauthorized, msg)
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.guard.Fail(c.IP(), time.Now())
		return fail("unknown or revoked key", "That key is not valid or has been revoked.")
	case err != nil:
		return err
	case !k.Has(herald.ScopeManage):
		return fail("no manage scope", "That key lacks the manage scope the console needs.")
	}
	c.SetUserContext(store.WithActor(c.UserContext(), actorOf(k)))
	id, err := s.store.CreateSession(c.UserContext(), k, c.IP(), consoleSessionTTL, consoleIdle)
	if err != nil {
		return err
	}
	session := s.consoleCookieOf(consoleCookie, id, 0, fiber.CookieSameSiteStrictMode)
	session.Expires = time.Now().Add(consoleSessionTTL)
	c.Cookie(session)
	c.Cookie(s.consoleCookieOf(loginCookie, "", -1, fiber.CookieSameSiteStrictMode))
	return c.Redirect("/console", fiber.StatusSeeOther)
}

// consoleSetAside is how many set-aside events the integrations page lists.
const consoleSetAside = 20

func (s *Console) consoleIntegrations(c *fiber.Ctx) error {
	limit := service.MaxPageLimit
	cursor := c.Query("cursor")
	list, err := s.store.ListIntegrations(c.UserContext(), door.TeamID(c), cursor, limit+1)
	if err != nil {
		return err
	}
	next := ""
	if len(list) > limit {
		list = list[:limit]
		next = list[limit-1].ID
	}
	views := make([]api.IntegrationView, len(list))
	var autoDisabled []api.IntegrationView
	for i, in := range list {
		views[i] = s.svc.IntegrationView(in)
		if views[i].Health.Status == herald.HealthDisabled && views[i].Health.DisabledBy == contract.DisabledByHerald {
			autoDisabled = append(autoDisabled, views[i])
		}
	}
	aside, err := s.store.ListSetAside(c.UserContext(), door.TeamID(c), consoleSetAside)
	if err != nil {
		return err
	}
	return s.render(c, 200, "integrations", struct {
		consolePage
		Integrations []api.IntegrationView
		AutoDisabled []api.IntegrationView
		Next         string
		First        bool
		SetAside     []store.SetAsideEvent
	}{s.page(c, "Integrations"), views, autoDisabled, next, cursor == "", aside})
}

func (s *Console) consoleDeliveries(c *fiber.Ctx) error {
	in, p, f, err := s.svc.IntegrationDeliveries(c.UserContext(), door.Actor(c), c.Params("id"), service.DefaultPageLimit, door.Query(c))
	if err != nil {
		return err
	}
	st, err := s.svc.Stats(c.UserContext(), in, c.Query("window"))
	if err != nil {
		return err
	}
	return s.render(c, 200, "deliveries", struct {
		consolePage
		Integration   api.IntegrationView
		Deliveries    []api.DeliveryView
		Statuses      []herald.DeliveryStatus
		Status, Event string
		Next          string
		Chart         statsChart
	}{s.page(c, in.Name), s.svc.IntegrationView(in), p.Data, service.KnownStatuses, c.Query("status"), f.EventType, p.NextCursor, newStatsChart(st)})
}

func (s *Console) consoleIntegrationAction(c *fiber.Ctx) error {
	in, err := s.integration(c)
	if err != nil {
		return err
	}
	var msg string
	switch c.Params("action") {
	case "enable":
		if _, err := s.svc.Enable(c.UserContext(), door.Actor(c), in); err != nil {
			return err
		}
		msg = in.Name + " enabled."
	case "disable":
		if _, err := s.svc.Disable(c.UserContext(), door.Actor(c), in, "disabled in the console"); err != nil {
			return err
		}
		msg = in.Name + " disabled."
	case "rotate":
		out, err := s.svc.RotateSecret(c.UserContext(), door.Actor(c), in, nil)
		if err != nil {
			return err
		}
		v := s.svc.IntegrationView(out)
		v.Secret = service.ShownSecret(out.Secret)
		return s.renderShownOnce(c, v, "secret rotated")
	case "delete":
		if c.FormValue("confirm") != in.Name {
			return s.redirectWithFlash(c, "/console/integrations/"+url.PathEscape(in.ID), "Not deleted: type the integration's name to confirm.")
		}
		if err := s.store.DeleteIntegration(c.UserContext(), in.TeamID, in.ID); err != nil {
			return err
		}
		return s.redirectWithFlash(c, "/console", in.Name+" deleted; its delivery history stays.")
	case "replay":
		return s.consoleReplay(c, in)
	case "test":
		res, err := s.svc.TestIntegration(c.UserContext(), door.Actor(c), in)
		if err != nil {
			return err
		}
		msg = "Test notification to " + in.Name + ": " + res.Reason
		if !res.Delivered {
			msg = "Test notification to " + in.Name + " not delivered: " + res.Reason
		}
	default:
		return problem.New(fiber.StatusNotFound, "no such action")
	}
	return s.redirectWithFlash(c, "/console", msg)
}

// consoleError renders a problem as a console page.
func (s *Console) ErrorPage(c *fiber.Ctx, p *api.Problem) error {
	return s.render(c, p.Status, "error", struct {
		consolePage
		Status  int
		Heading string
		Detail  string
	}{consolePage{Title: p.Title}, p.Status, p.Title, p.Detail})
}
