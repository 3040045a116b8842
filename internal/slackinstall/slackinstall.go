// Package slackinstall is "Add to Slack": the OAuth flow that ends in a Slack
// integration (or points an existing one at a newly chosen channel). Its
// state is signed and single use, bound to the browser that started it; the
// integration is made through the service layer's rules.
package slackinstall

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/internal/problem"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/store"
)

// Installer runs the flow. Its routes are the gateway's: Install behind a
// manage key, Begin and Callback reached by the browser with the signed state.
type Installer struct {
	cfg   *config.Config
	store *store.Store
	svc   *service.Service
	log   *slog.Logger
	// client asks Slack for the webhook (its own, with a deadline).
	client *http.Client
	// actorOf is the caller of Install, from the gateway's authentication.
	actorOf func(*fiber.Ctx) service.Actor
}

// New is the flow over st and svc; actorOf names the caller of Install.
func New(cfg *config.Config, st *store.Store, svc *service.Service, log *slog.Logger, actorOf func(*fiber.Ctx) service.Actor) *Installer {
	return &Installer{cfg: cfg, store: st, svc: svc, log: log, client: &http.Client{Timeout: exchangeTimeout}, actorOf: actorOf}
}

// exchangeTimeout bounds the exchange of the code for the webhook.
const exchangeTimeout = 10 * time.Second

// installTTL is how long an "Add to Slack" link stays valid.
const installTTL = 10 * time.Minute

// installState travels through Slack's OAuth round trip, signed.
type installState struct {
	Team        string   `json:"t"`
	Integration string   `json:"i,omitempty"` // set on a reinstall
	Name        string   `json:"n,omitempty"`
	Events      []string `json:"e,omitempty"`
	Projects    []string `json:"p,omitempty"`
	Expires     int64    `json:"x"`
	Nonce       string   `json:"r"`
}

func (s *Installer) slackConfigured() error {
	if s.cfg.SlackClientID == "" || s.cfg.SlackClientSecret == "" {
		return problem.New(fiber.StatusNotFound, "Add to Slack is not configured: set HERALD_SLACK_CLIENT_ID and HERALD_SLACK_CLIENT_SECRET")
	}
	return nil
}

func (s *Installer) stateKey() []byte {
	if s.cfg.StateSecret != "" {
		return []byte(s.cfg.StateSecret)
	}
	mac := hmac.New(sha256.New, []byte(s.cfg.SlackClientSecret))
	mac.Write([]byte("herald slack install state"))
	return mac.Sum(nil)
}

// installCookie holds the secret that ties an install to the browser that
// started it; Postgres keeps only its hash.
const installCookie = "herald_slack_install"

func browserHash(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// bindBrowser gives the browser a new install secret and returns its hash.
func (s *Installer) bindBrowser(c *fiber.Ctx) ([]byte, error) {
	secret, err := store.RandomToken(32)
	if err != nil {
		return nil, err
	}
	// Lax: Slack's redirect back is a top-level GET from another site.
	c.Cookie(&fiber.Cookie{Name: installCookie, Value: secret, Path: "/v1/slack", MaxAge: int(installTTL.Seconds()), HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode, Secure: s.cfg.SecureCookies()})
	return browserHash(secret), nil
}

func (s *Installer) clearInstallCookie(c *fiber.Ctx) {
	c.Cookie(&fiber.Cookie{Name: installCookie, Path: "/v1/slack", MaxAge: -1, HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode, Secure: s.cfg.SecureCookies()})
}

func (s *Installer) signState(st installState) (string, error) {
	payload, err := json.Marshal(st)
	if err != nil {
		return "", err
	}
	p := base64.RawURLEncoding.EncodeToString(payload)
	mac := hmac.New(sha256.New, s.stateKey())
	mac.Write([]byte(p))
	return p + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil)), nil
}

var errBadState = errors.New("the installation link is invalid or has expired; start the installation again")

func (s *Installer) verifyState(raw string, now time.Time) (installState, error) {
	p, sig, ok := strings.Cut(raw, ".")
	if !ok {
		return installState{}, errBadState
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil {
		return installState{}, errBadState
	}
	mac := hmac.New(sha256.New, s.stateKey())
	mac.Write([]byte(p))
	if !hmac.Equal(got, mac.Sum(nil)) {
		return installState{}, errBadState
	}
	payload, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil {
		return installState{}, errBadState
	}
	var st installState
	if err := json.Unmarshal(payload, &st); err != nil || now.Unix() > st.Expires {
		return installState{}, errBadState
	}
	return st, nil
}

func (s *Installer) slackRedirectURI() string {
	return s.cfg.PublicBaseURL() + "/v1/slack/oauth/callback"
}

// Install sends the browser to Slack's consent screen (or, for API
// clients asking for JSON, returns the URL to open).
func (s *Installer) Install(c *fiber.Ctx) error {
	if err := s.slackConfigured(); err != nil {
		return err
	}
	st := installState{Team: s.actorOf(c).TeamID, Expires: time.Now().Add(installTTL).Unix()}
	if id := c.Query("integration"); id != "" {
		in, err := s.store.GetIntegration(c.UserContext(), st.Team, id)
		if errors.Is(err, store.ErrNotFound) {
			return problem.NotFound("integration", id)
		} else if err != nil {
			return err
		}
		if in.Type != herald.IntegrationSlack {
			return problem.BadRequest("integration %q is a %s integration; only Slack integrations can be reinstalled", id, in.Type)
		}
		st.Integration = id
	} else {
		events := []string{"*"}
		if q := c.Query("events"); q != "" {
			events = strings.Split(q, ",")
		}
		pats, err := service.NormalizePatterns(events)
		if err != nil {
			return err
		}
		st.Events = pats
		// The same rules as the API's: the callback stores what the state carries.
		req := api.IntegrationRequest{Name: ptr(c.Query("name", "slack"))}
		if q, ok := c.Queries()["projects"]; ok {
			req.Projects = ptr(strings.Split(q, ","))
		}
		if err := service.ValidateRequest(&req, api.Updating, s.cfg); err != nil {
			return err
		}
		st.Name = *req.Name
		if req.Projects != nil {
			st.Projects = *req.Projects
		}
	}
	var err error
	if st.Nonce, err = store.RandomToken(16); err != nil {
		return err
	}
	state, err := s.signState(st)
	if err != nil {
		return err
	}
	row := store.SlackInstallState{Nonce: st.Nonce, TeamID: st.Team, ExpiresAt: time.Unix(st.Expires, 0)}
	forAPI := c.Query("redirect") == "false" || strings.Contains(c.Get(fiber.HeaderAccept), "application/json")
	if !forAPI {
		// A browser started the install: it alone may finish it.
		if row.BrowserHash, err = s.bindBrowser(c); err != nil {
			return err
		}
	}
	if err := s.store.CreateSlackInstallState(c.UserContext(), row); err != nil {
		return err
	}
	if forAPI {
		// The link binds the first browser that opens it (see slackBegin).
		begin := s.cfg.PublicBaseURL() + "/v1/slack/begin?" + url.Values{"state": {state}}.Encode()
		return c.JSON(api.SlackInstallLink{URL: begin, ExpiresAt: time.Unix(st.Expires, 0).UTC()})
	}
	return c.Redirect(s.authorizeURL(state), fiber.StatusFound)
}

func (s *Installer) authorizeURL(state string) string {
	q := url.Values{
		"client_id":    {s.cfg.SlackClientID},
		"scope":        {"incoming-webhook"},
		"redirect_uri": {s.slackRedirectURI()},
		"state":        {state},
	}
	return strings.TrimRight(s.cfg.SlackBaseURL, "/") + "/oauth/v2/authorize?" + q.Encode()
}

// Begin opens a link made for an API client (herald integrations
// slack-install): the first browser to open it is bound to the install and
// sent on to Slack; any other browser is refused.
func (s *Installer) Begin(c *fiber.Ctx) error {
	if err := s.slackConfigured(); err != nil {
		return err
	}
	raw := c.Query("state")
	st, err := s.verifyState(raw, time.Now())
	if err != nil {
		return problem.BadRequest("%s", err)
	}
	hash, err := s.bindBrowser(c)
	if err != nil {
		return err
	}
	if err := s.store.BindSlackInstallState(c.UserContext(), st.Team, st.Nonce, hash); err != nil {
		s.clearInstallCookie(c)
		return installStateProblem(err)
	}
	return c.Redirect(s.authorizeURL(raw), fiber.StatusFound)
}

// installStateProblem says why a state could not be used.
func installStateProblem(err error) error {
	switch {
	case errors.Is(err, store.ErrStateUsed):
		return problem.BadRequest("this installation link was already used or has expired; start the installation again")
	case errors.Is(err, store.ErrStateOtherBrowser):
		return problem.BadRequest("this installation was started in another browser; finish it there, or start it again here")
	}
	return err
}

func ptr[T any](v T) *T { return &v }

// slackProblem is a 502: Slack, not the caller, stopped the installation.
func slackProblem(format string, args ...any) *api.Problem {
	return problem.New(fiber.StatusBadGateway, format, args...)
}

// slackAccess is oauth.v2.access's answer.
type slackAccess struct {
	OK              bool   `json:"ok"`
	Error           string `json:"error"`
	IncomingWebhook struct {
		URL       string `json:"url"`
		Channel   string `json:"channel"`
		ChannelID string `json:"channel_id"`
	} `json:"incoming_webhook"`
	Team struct {
		Name string `json:"name"`
	} `json:"team"`
}

// Callback finishes the OAuth flow: it exchanges the code for an
// incoming webhook and creates the Slack integration, or on a reinstall
// points the existing one at the new webhook.
func (s *Installer) Callback(c *fiber.Ctx) error {
	if err := s.slackConfigured(); err != nil {
		return err
	}
	if e := c.Query("error"); e != "" {
		return problem.BadRequest("Slack says %s: the installation was not completed", e)
	}
	code, rawState := c.Query("code"), c.Query("state")
	if code == "" || rawState == "" {
		return problem.BadRequest("the callback needs code and state from Slack")
	}
	st, err := s.verifyState(rawState, time.Now())
	if err != nil {
		return problem.BadRequest("%s", err)
	}
	// Single use, and only in the browser that started it: the row goes
	// before Slack is asked, so a replayed state exchanges no code.
	if err := s.store.ConsumeSlackInstallState(c.UserContext(), st.Team, st.Nonce, browserHash(c.Cookies(installCookie))); err != nil {
		return installStateProblem(err)
	}
	s.clearInstallCookie(c)
	access, err := s.exchangeSlackCode(c.UserContext(), code)
	if err != nil {
		s.log.Warn("slack oauth exchange", "error", err)
		return err
	}
	hook := access.IncomingWebhook
	// A browser redirect carries no key: the audit log records the install
	// as Herald's own, through Slack's door.
	installer := service.Actor{TeamID: st.Team, Actor: store.Actor{Kind: store.ActorHerald, Name: "add to slack", Via: "slack-install"}}
	c.SetUserContext(store.WithActor(c.UserContext(), installer.Actor))
	var out store.Integration
	status := fiber.StatusCreated
	var confirmation *contract.TestResult
	if st.Integration != "" {
		out, err = s.store.UpdateIntegration(c.UserContext(), st.Team, st.Integration, store.IntegrationPatch{URL: &hook.URL, Channel: &hook.Channel})
		if errors.Is(err, store.ErrNotFound) {
			return problem.NotFound("integration", st.Integration)
		}
		if err == nil {
			// A reinstall is a new destination: a fresh start.
			out, confirmation, err = s.svc.FreshStart(c.UserContext(), installer, out)
		}
		status = fiber.StatusOK
	} else {
		out, err = s.store.CreateIntegration(c.UserContext(), store.Integration{
			TeamID: st.Team, Name: st.Name, Type: herald.IntegrationSlack, URL: hook.URL,
			Events: st.Events, Projects: st.Projects, Enabled: true, Channel: hook.Channel,
		})
		if err == nil {
			out, confirmation = s.svc.Confirm(c.UserContext(), installer, out)
		}
	}
	if err != nil {
		return s.svc.LimitProblem(err)
	}
	v := s.svc.IntegrationView(out)
	v.Confirmation = confirmation
	if strings.Contains(c.Get(fiber.HeaderAccept), "text/html") {
		c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
		return c.Status(status).SendString(renderInstalled(v, access.Team.Name))
	}
	return c.Status(status).JSON(v)
}

func (s *Installer) exchangeSlackCode(ctx context.Context, code string) (slackAccess, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	form := url.Values{"code": {code}, "redirect_uri": {s.slackRedirectURI()}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(s.cfg.SlackBaseURL, "/")+"/api/oauth.v2.access", strings.NewReader(form.Encode()))
	if err != nil {
		return slackAccess{}, slackProblem("Slack could not be asked: %v", err)
	}
	req.SetBasicAuth(s.cfg.SlackClientID, s.cfg.SlackClientSecret)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := s.client.Do(req)
	if err != nil {
		return slackAccess{}, slackProblem("Slack did not answer the code exchange; try the installation again")
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var a slackAccess
	if err := json.Unmarshal(body, &a); err != nil {
		return a, slackProblem("Slack answered the code exchange with HTTP %d and no JSON", resp.StatusCode)
	}
	if !a.OK {
		return a, slackProblem("Slack refused the installation: %s", a.Error)
	}
	if a.IncomingWebhook.URL == "" {
		return a, slackProblem("Slack granted no incoming webhook: the app must request the incoming-webhook scope")
	}
	return a, nil
}

var installedPage = template.Must(template.New("installed").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Herald · Slack connected</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 36rem; margin: 3rem auto; padding: 0 1rem">
<h1>Slack connected</h1>
<p>Integration <strong>{{.V.Name}}</strong> posts to <strong>{{.V.Channel}}</strong>{{if .Workspace}} in {{.Workspace}}{{end}}.</p>
{{with .V.Confirmation}}<p>{{if .Delivered}}A confirmation message was sent to the channel.{{else}}The confirmation message did not arrive: {{.Reason}}{{end}}</p>{{end}}
</body></html>`))

func renderInstalled(v api.IntegrationView, workspace string) string {
	var b strings.Builder
	_ = installedPage.Execute(&b, struct {
		V         api.IntegrationView
		Workspace string
	}{v, workspace})
	return b.String()
}
