package gateway

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

	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/store"
)

//go:embed console/*.html
var consoleFiles embed.FS

// consoleCookie holds the signed-in manage key: HttpOnly (no script reads
// it), SameSite=Strict (no other site sends it), scoped to /console.
const consoleCookie = "herald_console"

var consoleFuncs = template.FuncMap{
	"join":       func(s []string) string { return strings.Join(s, ", ") },
	"healthText": consoleHealth,
	"ago":        ago,
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
	"outcomeClass": func(o herald.Outcome) string {
		switch o {
		case herald.OutcomeDelivered:
			return "delivered"
		case herald.OutcomeRetry:
			return "retrying"
		}
		return "failed"
	},
}

var consolePages = func() map[string]*template.Template {
	pages := map[string]*template.Template{}
	for _, name := range []string{"login", "integrations", "deliveries", "delivery", "error"} {
		pages[name] = template.Must(template.New(name).Funcs(consoleFuncs).ParseFS(consoleFiles, "console/layout.html", "console/"+name+".html"))
	}
	return pages
}()

func consoleHealth(h HealthView) string {
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
	var t time.Time
	switch x := v.(type) {
	case time.Time:
		t = x
	case *time.Time:
		if x == nil {
			return ""
		}
		t = *x
	default:
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

// page is what every console template gets.
type consolePage struct {
	Title string
	Team  string
	CSRF  string
	Flash string
}

func (s *Server) render(c *fiber.Ctx, status int, name string, data any) error {
	var b strings.Builder
	if err := consolePages[name].ExecuteTemplate(&b, name+".html", data); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set("X-Frame-Options", "DENY")
	c.Set("Content-Security-Policy", "default-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	return c.Status(status).SendString(b.String())
}

// csrfToken binds forms to the signed-in key: a page from another site can
// neither read it nor forge it.
func csrfToken(key string) string {
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte("herald console csrf"))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

func (s *Server) page(c *fiber.Ctx, title string) consolePage {
	key := c.Cookies(consoleCookie)
	return consolePage{Title: title, Team: teamID(c), CSRF: csrfToken(key), Flash: c.Query("msg")}
}

// consoleAuth signs the cookie's key in, or sends the browser to the login page.
func (s *Server) consoleAuth(c *fiber.Ctx) error {
	key := c.Cookies(consoleCookie)
	if key == "" {
		return c.Redirect("/console/login", fiber.StatusSeeOther)
	}
	k, err := s.store.Authenticate(c.UserContext(), key)
	if err != nil || !k.Has(herald.ScopeManage) {
		c.ClearCookie(consoleCookie)
		return c.Redirect("/console/login", fiber.StatusSeeOther)
	}
	c.Locals(localKey, k)
	if c.Method() == fiber.MethodPost && !hmac.Equal([]byte(c.FormValue("csrf")), []byte(csrfToken(key))) {
		return problemf(fiber.StatusForbidden, "the form has expired or did not come from this console; reload the page and try again")
	}
	return c.Next()
}

func (s *Server) mountConsole() {
	s.app.Get("/console/login", func(c *fiber.Ctx) error {
		return s.render(c, 200, "login", struct {
			consolePage
			Error string
		}{consolePage: consolePage{Title: "Sign in"}})
	})
	s.app.Post("/console/login", s.consoleLogin)
	con := s.app.Group("/console", s.consoleAuth)
	con.Post("/logout", func(c *fiber.Ctx) error {
		c.ClearCookie(consoleCookie)
		return c.Redirect("/console/login", fiber.StatusSeeOther)
	})
	con.Get("/", s.consoleIntegrations)
	con.Get("/integrations/:id", s.consoleDeliveries)
	con.Get("/deliveries/:id", s.consoleDelivery)
	con.Post("/integrations/:id/:action", s.consoleIntegrationAction)
	con.Post("/deliveries/:id/resend", s.consoleResend)
}

func (s *Server) consoleLogin(c *fiber.Ctx) error {
	key := strings.TrimSpace(c.FormValue("key"))
	k, err := s.store.Authenticate(c.UserContext(), key)
	fail := func(msg string) error {
		return s.render(c, fiber.StatusUnauthorized, "login", struct {
			consolePage
			Error string
		}{consolePage{Title: "Sign in"}, msg})
	}
	switch {
	case errors.Is(err, store.ErrNotFound) || !strings.HasPrefix(key, store.KeyPrefix):
		return fail("That key is not valid or has been revoked.")
	case err != nil:
		return err
	case !k.Has(herald.ScopeManage):
		return fail("That key lacks the manage scope the console needs.")
	}
	c.Cookie(&fiber.Cookie{
		Name: consoleCookie, Value: key, Path: "/console", HTTPOnly: true, SameSite: fiber.CookieSameSiteStrictMode,
		Secure: strings.HasPrefix(s.publicURL(), "https://"), Expires: time.Now().Add(12 * time.Hour),
	})
	return c.Redirect("/console", fiber.StatusSeeOther)
}

func (s *Server) consoleIntegrations(c *fiber.Ctx) error {
	list, err := s.store.ListIntegrations(c.UserContext(), teamID(c), "", maxPageLimit)
	if err != nil {
		return err
	}
	views := make([]IntegrationView, len(list))
	for i, in := range list {
		views[i] = s.integrationView(in)
	}
	return s.render(c, 200, "integrations", struct {
		consolePage
		Integrations []IntegrationView
	}{s.page(c, "Integrations"), views})
}

func (s *Server) consoleDeliveries(c *fiber.Ctx) error {
	in, p, f, err := s.deliveryPage(c, defaultPageLimit)
	if err != nil {
		return err
	}
	return s.render(c, 200, "deliveries", struct {
		consolePage
		Integration   IntegrationView
		Deliveries    []DeliveryView
		Statuses      []herald.DeliveryStatus
		Status, Event string
		Next          string
	}{s.page(c, in.Name), s.integrationView(in), p.Data, knownStatuses, string(f.Status), f.EventType, p.NextCursor})
}

func (s *Server) consoleDelivery(c *fiber.Ctx) error {
	team := teamID(c)
	v, d, err := s.deliveryDetail(c, team, c.Params("id"))
	if err != nil {
		return err
	}
	ev, err := s.store.GetEvent(c.UserContext(), team, d.EventID)
	if err != nil {
		return err
	}
	wfURL := strings.TrimRight(s.cfg.TemporalUIURL, "/") + "/namespaces/" + url.PathEscape(s.cfg.TemporalNamespace) +
		"/workflows/" + url.PathEscape(ev.WorkflowID)
	return s.render(c, 200, "delivery", struct {
		consolePage
		Delivery    DeliveryView
		WorkflowURL string
	}{s.page(c, "Delivery "+d.ID), v, wfURL})
}

func (s *Server) consoleIntegrationAction(c *fiber.Ctx) error {
	in, err := s.pathIntegration(c)
	if err != nil {
		return err
	}
	id := in.ID
	var msg string
	switch c.Params("action") {
	case "enable":
		if _, err := s.setEnabled(c, in, true, ""); err != nil {
			return err
		}
		msg = in.Name + " enabled."
	case "disable":
		if _, err := s.setEnabled(c, in, false, "disabled in the console"); err != nil {
			return err
		}
		msg = in.Name + " disabled."
	case "test":
		res, err := s.runTest(c, id, false)
		if err != nil {
			return unavailable("the test could not be sent because the workflow service is unavailable")
		}
		msg = "Test notification to " + in.Name + ": " + res.Reason
		if !res.Delivered {
			msg = "Test notification to " + in.Name + " not delivered: " + res.Reason
		}
	default:
		return problemf(fiber.StatusNotFound, "no such action")
	}
	return c.Redirect("/console?msg="+url.QueryEscape(msg), fiber.StatusSeeOther)
}

func (s *Server) consoleResend(c *fiber.Ctx) error {
	id := c.Params("id")
	if _, err := s.resend(c, teamID(c), id); err != nil {
		return err
	}
	return c.Redirect("/console/deliveries/"+url.PathEscape(id)+"?msg="+url.QueryEscape("Resend requested: the new attempt appears below in a moment."), fiber.StatusSeeOther)
}

// consoleError renders a problem as a console page.
func (s *Server) consoleError(c *fiber.Ctx, p *Problem) error {
	return s.render(c, p.Status, "error", struct {
		consolePage
		Status  int
		Heading string
		Detail  string
	}{consolePage{Title: p.Title}, p.Status, p.Title, p.Detail})
}
