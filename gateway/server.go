// Package gateway is Herald's HTTP front door: event ingestion, the management
// API, authentication and health endpoints, on Fiber.
package gateway

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sort"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"go.temporal.io/sdk/client"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/channels"
	"github.com/heraldhq/herald/internal/codec"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/console"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/internal/door"
	"github.com/heraldhq/herald/internal/ingest"
	"github.com/heraldhq/herald/internal/metrics"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/slackinstall"
	"github.com/heraldhq/herald/internal/ssrf"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/telemetry"
)

// Server is the gateway.
type Server struct {
	cfg      *config.Config
	store    *store.Store
	temporal client.Client
	log      *slog.Logger
	app      *fiber.App
	limiter  *keyLimiter
	metrics  *metrics.Metrics
	guesses  *guessLimiter
	channels *channels.Registry
	// svc is what Herald does; the handlers here decode, call it, encode.
	svc  *service.Service
	keys *keyCache
	// slack is "Add to Slack", on the routes under /v1/slack; console the
	// web console at /console and the API reference page at /docs/api.
	slack   *slackinstall.Installer
	console *console.Console
	// ingest bounds the event workflow starts in flight; outbox takes the
	// events over it.
	ingest  *ingest.Limiter
	outbox  *ingest.Outbox
	starter ingest.Starter
	// matches counts, for the 202, the integrations an event reaches.
	matches  *ttlCache[matchKey, int]
	observer observer
	// dataRules: each team's validateData and own schemas, for ingest;
	// validating bounds the checks against them one team runs at once.
	dataRules  *ttlCache[string, dataRules]
	validating *teamGate
}

// New builds the gateway and its routes.
// m (may be nil) is served at /metrics, with herald_integrations counted from st.
func New(cfg *config.Config, st *store.Store, tc client.Client, log *slog.Logger, m *metrics.Metrics) (*Server, error) {
	s := &Server{cfg: cfg, store: st, temporal: tc, log: log, metrics: m,
		ingest: ingest.NewLimiter(max(cfg.IngestConcurrency, 1)), guesses: newGuessLimiter(), matches: newMatchCache(2*time.Second, st), dataRules: newDataRulesCache(2*time.Second, st), validating: newTeamGate(),
		channels: channels.NewRegistry(channels.Options{WebhookHeaderPrefix: cfg.WebhookHeaderPrefix})}
	s.svc = service.New(cfg, st, tc, s.channels, log)
	s.svc.OnDataRulesChange(s.dataRules.forget)
	s.slack = slackinstall.New(cfg, st, s.svc, log, door.Actor)
	s.console = console.New(cfg, st, s.svc, tc, log, guard{s})
	dispatch := contract.DispatchQueued
	if cfg.StartsEagerly() {
		dispatch = contract.DispatchEager
	}
	s.starter = ingest.NewStarter(tc, cfg.TaskQueue, dispatch)
	if cfg.RateLimit > 0 {
		s.limiter = newKeyLimiter(cfg.RateLimit, cfg.RateBurst)
	}
	if cfg.KeyCacheTTL > 0 {
		s.keys = newKeyCache(cfg.KeyCacheTTL, cfg.KeyStaleFor)
	}
	s.app = fiber.New(fiber.Config{
		AppName: "herald",
		// Values from the request (params, headers) outlive the handler in Temporal calls and logs.
		Immutable: true,
		// The hard limit stays above the API's own so that a body a little too
		// large is read whole and answered 413 (cutting the connection mid-upload
		// shows clients a broken pipe instead of the answer).
		BodyLimit:             max(4*cfg.EventBodyLimit, 1<<20),
		DisableStartupMessage: true,
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          30 * time.Second,
		IdleTimeout:           120 * time.Second,
		ErrorHandler:          s.errorHandler,
	})
	s.app.Use(s.observe, s.requestLog, s.checkURLText)
	if tracer := telemetry.Tracer(); tracer != nil {
		s.app.Use(traceRequests(tracer, incomingTraceOf(cfg)))
	}
	s.app.Get("/healthz", s.healthz)
	s.app.Get("/readyz", s.readyz)
	if m != nil {
		s.watch(m)
	}

	if cfg.PayloadKey != "" {
		c, err := codec.Parse(cfg.PayloadKey)
		if err != nil {
			return nil, err
		}
		s.mountCodec(c)
	}

	s.console.Mount(s.app)

	s.mountAPI()
	s.outbox = ingest.NewOutbox(st, s.starter, cfg.OutboxLimit, s.ingest, log)
	return s, nil
}

// watch has m count what the gateway holds, and serves it at /metrics on
// the public listener behind its token.
func (s *Server) watch(m *metrics.Metrics) {
	m.WatchIntegrations(s.store.CountIntegrations)
	m.WatchDeliveries(s.store.CountOpenDeliveries)
	m.WatchIngestLimit(func() float64 { return float64(s.ingest.Current()) })
	m.WatchOutbox(func() float64 { return float64(s.outbox.Depth()) }, func() float64 { return float64(s.outbox.SetAside()) })
	// On the public listener only behind its token; without one, the
	// process serves it on its separate metrics listener (config.CheckMetricsExposure).
	if s.cfg.MetricsToken != "" {
		s.app.Get("/metrics", adaptor.HTTPHandler(m.Handler(s.cfg.MetricsToken)))
	}
}

// mountAPI mounts the JSON API at /v1, each route behind the scopes it takes.
func (s *Server) mountAPI() {
	// Ahead of the body limit, so a 413 is counted too.
	s.app.Use("/v1/events", s.countIngestErrors)
	v1 := s.app.Group("/v1", s.limitBody)
	// The API's contract, for anyone (it holds no secret): JSON and a page.
	v1.Get("/openapi.json", s.openAPIDocument)
	ingest := s.authenticate(herald.ScopeIngest)
	v1.Post("/events", ingest, s.postEvent)
	v1.Post("/events/batch", ingest, s.postEventBatch)

	admin := s.authenticate(herald.ScopeAdmin)
	v1.Post("/teams", admin, s.createTeam)
	v1.Get("/teams", admin, s.listTeams)
	// Keys: an owner's of its own team, the operator's (admin) of any.
	owner := s.authenticate(herald.ScopeOwner)
	v1.Post("/keys", owner, s.createKey)
	v1.Get("/keys", owner, s.listKeys)
	v1.Delete("/keys/:id", owner, s.revokeKey)

	manage := s.authenticate(herald.ScopeManage)
	v1.Get("/events", manage, s.listEvents)
	v1.Get("/events/:id", manage, s.getEvent)
	v1.Post("/integrations", manage, s.createIntegration)
	v1.Post("/integrations/preview", manage, s.previewSettings)
	v1.Get("/integrations", manage, s.listIntegrations)
	v1.Get("/integrations/:id", manage, s.getIntegration)
	v1.Patch("/integrations/:id", manage, s.updateIntegration)
	v1.Delete("/integrations/:id", manage, s.deleteIntegration)
	v1.Post("/integrations/:id/test", manage, s.testIntegration)
	v1.Post("/integrations/:id/preview", manage, s.previewIntegration)
	v1.Get("/integrations/:id/stats", manage, s.integrationStats)
	v1.Post("/integrations/:id/rotate-secret", manage, s.rotateSecret)
	v1.Post("/integrations/:id/enable", manage, s.enableIntegration)
	v1.Post("/integrations/:id/disable", manage, s.disableIntegration)
	v1.Get("/integrations/:id/deliveries", manage, s.listDeliveries)
	policy := s.authenticate(herald.ScopeManage, herald.ScopeOwner)
	v1.Get("/alert-policy", policy, s.getAlertPolicy)
	v1.Put("/alert-policy", policy, s.putAlertPolicy)
	// Who changed what: the team's managers and owners read it.
	v1.Get("/audit", policy, s.listAudit)
	// The team's own settings (validateData), by its managers and owners.
	v1.Get("/team", policy, s.getTeam)
	v1.Patch("/team", policy, s.patchTeam)
	// The event catalog: Herald's types and the team's own, with schemas.
	v1.Get("/event-types", manage, s.listEventTypes)
	v1.Post("/event-types", manage, s.createEventType)
	v1.Get("/event-types/:name", manage, s.getEventType)
	v1.Patch("/event-types/:name", manage, s.updateEventType)
	v1.Delete("/event-types/:name", manage, s.deleteEventType)
	v1.Post("/integrations/:id/resend", manage, s.bulkResend)
	v1.Get("/resends/:id", manage, s.bulkResendStatus)
	v1.Delete("/resends/:id", manage, s.cancelBulkResend)
	v1.Post("/integrations/:id/replay", manage, s.replay)
	v1.Get("/replays/:id", manage, s.replayState)
	v1.Delete("/replays/:id", manage, s.cancelReplay)
	v1.Get("/deliveries", manage, s.listTeamDeliveries)
	v1.Get("/deliveries/:id", manage, s.getDelivery)
	v1.Post("/deliveries/:id/resend", manage, s.resendDelivery)
	v1.Get("/slack/install", manage, s.slack.Install)
	// Slack redirects the browser here: the signed state, not a key, says whose it is.
	v1.Get("/slack/oauth/callback", s.slack.Callback)
	v1.Get("/slack/begin", s.slack.Begin)
}

// Serve serves on ln until Shutdown.
// It also runs the outbox dispatcher, which starts queued events.
func (s *Server) Serve(ln net.Listener) error {
	s.outbox.Start()
	return s.app.Listener(ln)
}

// Shutdown stops accepting connections and waits for in-flight requests.
// The outbox dispatcher stops after the last request: queued events it has
// not started stay in Postgres for the next gateway.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.app.ShutdownWithContext(ctx)
	s.outbox.Stop()
	return err
}

func (s *Server) requestLog(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	status := answeredStatus(c, err)
	s.log.Debug("http request", "method", c.Method(), "path", loggedPath(c), "status", status,
		"durationMs", time.Since(start).Milliseconds())
	return err
}

// answeredStatus is the status the client gets: the error handler runs
// after a middleware returns, so an error's status is what it will send.
func answeredStatus(c *fiber.Ctx, err error) int {
	if err == nil {
		return c.Response().StatusCode()
	}
	var p *api.Problem
	var fe *fiber.Error
	switch {
	case errors.As(err, &p):
		return p.Status
	case errors.As(err, &fe):
		return fe.Code
	}
	return fiber.StatusInternalServerError
}

// loggedPath is the request's path with any API key in it (the Web UI's
// codec URL carries one) replaced by the route's placeholder.
func loggedPath(c *fiber.Ctx) string {
	if r := c.Route(); r != nil && strings.Contains(r.Path, ":key") {
		return r.Path
	}
	return c.Path()
}

// limitBody answers 413 for a body over the configured limit.
func (s *Server) limitBody(c *fiber.Ctx) error {
	if len(c.Body()) > s.cfg.EventBodyLimit {
		return fiber.ErrRequestEntityTooLarge
	}
	return c.Next()
}

func (s *Server) healthz(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"status": "ok"})
}

// readyz checks that Postgres and Temporal both answer.
func (s *Server) readyz(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
	defer cancel()
	checks := fiber.Map{"postgres": "ok", "temporal": "ok"}
	ready := true
	if err := s.store.Ping(ctx); err != nil {
		checks["postgres"], ready = "unreachable", false
		s.log.Warn("readyz: postgres", "error", err)
	}
	if _, err := s.temporal.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		checks["temporal"], ready = "unreachable", false
		s.log.Warn("readyz: temporal", "error", err)
	}
	if !ready {
		c.Status(fiber.StatusServiceUnavailable)
		checks["status"] = "unavailable"
	} else {
		checks["status"] = "ok"
	}
	return c.JSON(checks)
}

// Routes lists the routes served under /v1 and /codec as "METHOD /path"
// (path parameters as :name), for the tests that walk every one.
func (s *Server) Routes() []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range s.app.GetRoutes(true) {
		if r.Method == fiber.MethodHead || !(strings.HasPrefix(r.Path, "/v1/") || strings.HasPrefix(r.Path, "/codec/")) {
			continue
		}
		if k := r.Method + " " + r.Path; !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// SetResolver replaces the resolver that checks integration URLs.
func (s *Server) SetResolver(r ssrf.Resolver) { s.svc.SetResolver(r) }
