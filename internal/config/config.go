// Package config is Herald's one configuration struct, filled from flags and
// HERALD_* environment variables (a flag set on the command line wins over the
// environment, which wins over the default).
package config

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/heraldhq/herald/internal/keyring"
	"github.com/heraldhq/herald/internal/retry"
	"github.com/heraldhq/herald/internal/ssrf"
)

// Config is everything a Herald process can be told.
type Config struct {
	DatabaseURL string
	// DBMaxConns is this process's Postgres connection budget: queries beyond
	// it wait for a free connection. DEPLOY.md sizes it against max_connections.
	DBMaxConns int
	// SecretKeys seal integrations' URLs and secrets at rest: "kid:base64
	// of 32 bytes", several comma-separated (the first seals, all open).
	SecretKeys string
	// AllowPlaintextSecrets lets a server start without SecretKeys, storing
	// integrations' URLs and secrets as they are (said on purpose, never by default).
	AllowPlaintextSecrets bool
	TemporalAddress       string
	TemporalNamespace     string
	TaskQueue             string
	Listen                string

	// WebhookHeaderPrefix prefixes the seed-compatible webhook headers (…-Id, …-Name, …).
	WebhookHeaderPrefix string
	// AllowPrivateDestinations lets deliveries reach private and loopback
	// addresses: "true", "false", or a comma-separated list of CIDRs.
	AllowPrivateDestinations string

	Retry retry.Policy

	// AttemptTimeout bounds one HTTP attempt end to end; ConnectTimeout its TCP connect.
	AttemptTimeout time.Duration
	ConnectTimeout time.Duration
	// ResponseBodyLimit caps the stored response body of an attempt.
	ResponseBodyLimit int
	// EventBodyLimit caps the body of POST /v1/events (413 beyond).
	EventBodyLimit int
	// ValidationBudget is the steps one request may spend checking its
	// events against their schemas (catalog.DefaultBudget); beyond it the
	// request is refused.
	ValidationBudget int

	// MaxIntegrations bounds one team's integrations.
	MaxIntegrations int

	// DisableAfter consecutive failed deliveries disable an integration.
	DisableAfter int
	// RecoveryRate paces retries of waiting deliveries when an integration
	// recovers, per second per integration.
	RecoveryRate float64
	// BulkResendRate paces bulk resends, per second.
	BulkResendRate float64
	// ReplayRate paces replays: past events given a delivery per second.
	ReplayRate float64
	// DeliveryControl paces, caps and orders deliveries per integration
	// (rateLimit, maxInFlight, ordering). Off only to measure what it costs.
	DeliveryControl bool
	// LocalAttempts runs delivery attempts as local activities inside the
	// event's workflow task. Off only to measure what it saves.
	LocalAttempts bool

	// WithWorker runs a worker in the gateway's process too (herald dev always does).
	WithWorker bool
	// EagerStart hands a new event's first workflow task straight to this
	// process's own worker, when it runs one and has a free slot: the start
	// returns the task with it, and matching is skipped.
	EagerStart bool

	// SecretRotationGrace is how long a rotated-out secret keeps signing.
	SecretRotationGrace time.Duration
	// KeyCacheTTL is how long a gateway trusts a key it has checked (0: always ask Postgres).
	KeyCacheTTL time.Duration
	// KeyStaleFor is how long past KeyCacheTTL a checked key still ingests
	// while Postgres is unreachable (0: not at all).
	KeyStaleFor time.Duration
	// IngestConcurrency is the most events a gateway starts at once. The
	// limit in force adapts below it to Temporal's start latency; beyond it
	// events are answered 503 with Retry-After straight away, so a flood costs
	// neither memory nor goroutines, nor a backlog at Temporal.
	IngestConcurrency int
	// OutboxLimit is how many events may wait in the outbox (accepted over the
	// ingest limit, not yet started); beyond it events get 503. 0 turns the
	// outbox off.
	OutboxLimit int
	// RateLimit is requests per second per API key (RateBurst at once); 0 turns it off.
	RateLimit float64
	RateBurst int
	// Temporal connection security: TLS (with a CA, for private ones), mTLS
	// client certificates, or an API key (Temporal Cloud).
	TemporalTLS        bool
	TemporalCA         string
	TemporalCert       string
	TemporalKey        string
	TemporalServerName string
	TemporalAPIKey     string
	// TemporalCompression gzips requests to Temporal: "gzip", "none", or
	// "auto" (gzip unless the frontend is on a loopback address).
	TemporalCompression string

	// Worker tuning (0: the SDK's defaults).
	WorkerMaxActivities    int
	WorkerMaxWorkflowTasks int
	WorkerActivityPollers  int
	WorkerWorkflowPollers  int
	// WorkflowCacheSize bounds the workflows a worker keeps in memory between
	// tasks; deliveries waiting on backoff beyond it cost a replay when they
	// wake, not memory while they wait.
	WorkflowCacheSize int

	// Retention is how long events, deliveries and attempts are kept.
	Retention time.Duration
	// AuditRetention is how long the audit log is kept.
	AuditRetention time.Duration

	// MetricsListen is where a worker serves /metrics (the gateway serves it on Listen).
	MetricsListen string
	// MetricsToken, when set, must be presented as a bearer token to read any
	// /metrics (gateway and worker).
	MetricsToken string
	// TemporalUIURL is the Web UI the console links workflows to.
	TemporalUIURL string
	// SelfAddresses are further host:port listeners of Herald's or of its
	// Temporal server's (its HTTP API, metrics, other services) that no
	// delivery may reach, comma-separated; DestinationPolicy adds the ones
	// it knows.
	SelfAddresses string
	// UIOrigins may call the codec endpoints from a browser (the Temporal Web UI).
	UIOrigins string
	// PayloadKey encrypts everything Herald sends to Temporal: "kid:base64key",
	// several comma-separated for rotation (the first encrypts).
	PayloadKey string

	// TrustIncomingTrace makes an API request's span a child of the
	// caller's traceparent; otherwise Herald starts its own trace and links
	// the caller's.
	TrustIncomingTrace bool

	// PublicURL is where browsers reach the gateway (OAuth redirects); empty:
	// http:// and the listen address.
	PublicURL string
	// Slack "Add to Slack": the app's OAuth credentials, Slack's base URL, and
	// the key that signs install state (empty: derived from the client secret).
	SlackClientID     string
	SlackClientSecret string
	SlackBaseURL      string
	StateSecret       string

	LogLevel  string
	LogFormat string
}

// Defaults returns the documented defaults (README.md, "Configuration").
func Defaults() Config {
	return Config{
		DatabaseURL:              "postgres://postgres@127.0.0.1:5432/herald?sslmode=disable",
		DBMaxConns:               10,
		TemporalAddress:          "127.0.0.1:7233",
		TemporalNamespace:        "default",
		TemporalCompression:      "auto",
		TaskQueue:                "herald",
		Listen:                   "127.0.0.1:8080",
		WebhookHeaderPrefix:      "X-Northflank-Notification-Integration-",
		AllowPrivateDestinations: "false",
		Retry: retry.Policy{
			InitialInterval:    5 * time.Second,
			BackoffCoefficient: 3,
			MaxInterval:        2 * time.Hour,
			MaxAttempts:        10,
			Jitter:             retry.DefaultJitter,
		},
		AttemptTimeout:      15 * time.Second,
		ConnectTimeout:      5 * time.Second,
		ResponseBodyLimit:   64 << 10,
		EventBodyLimit:      256 << 10,
		ValidationBudget:    400_000,
		DisableAfter:        5,
		MaxIntegrations:     1000,
		RecoveryRate:        20,
		BulkResendRate:      10,
		ReplayRate:          20,
		DeliveryControl:     true,
		LocalAttempts:       true,
		EagerStart:          true,
		SlackBaseURL:        "https://slack.com",
		SecretRotationGrace: 24 * time.Hour,
		KeyCacheTTL:         5 * time.Second,
		KeyStaleFor:         10 * time.Minute,
		WorkflowCacheSize:   1000,
		IngestConcurrency:   256,
		OutboxLimit:         100000,
		RateLimit:           500,
		RateBurst:           1000,
		UIOrigins:           "http://127.0.0.1:8233,http://localhost:8233",
		MetricsListen:       "127.0.0.1:9464",
		Retention:           30 * 24 * time.Hour,
		AuditRetention:      365 * 24 * time.Hour,
		TemporalUIURL:       "http://127.0.0.1:8233",
		LogLevel:            "info",
		LogFormat:           "text",
	}
}

// StartsEagerly says whether this process starts event workflows on its own worker.
func (c *Config) StartsEagerly() bool { return c.EagerStart && c.WithWorker }

// Validate checks the values that flags and env cannot type-check.
func (c *Config) Validate() error {
	if err := c.Retry.Validate(); err != nil {
		return err
	}
	if c.AttemptTimeout <= 0 || c.ConnectTimeout <= 0 {
		return fmt.Errorf("attempt and connect timeouts must be positive")
	}
	if c.ResponseBodyLimit < 0 || c.EventBodyLimit <= 0 {
		return fmt.Errorf("body limits must be positive")
	}
	if c.ValidationBudget < 1 {
		return fmt.Errorf("validation budget %d: must be at least 1 step", c.ValidationBudget)
	}
	if _, err := ssrf.ParsePolicy(c.AllowPrivateDestinations); err != nil {
		return err
	}
	if c.AuditRetention < c.Retention {
		return fmt.Errorf("audit retention %s: must be at least the retention of events (%s)", c.AuditRetention, c.Retention)
	}
	if c.Retention < time.Hour {
		return fmt.Errorf("retention %s: must be at least 1h", c.Retention)
	}
	if err := CheckRetention(c.Retention, "the default retry schedule", c.Retry); err != nil {
		return err
	}
	if (c.TemporalCert == "") != (c.TemporalKey == "") {
		return fmt.Errorf("temporal mTLS needs both a certificate and a key")
	}
	for _, hp := range strings.Split(c.SelfAddresses, ",") {
		if hp = strings.TrimSpace(hp); hp != "" && selfAddrs(hp) == nil {
			return fmt.Errorf("HERALD_SELF_ADDRESSES: %q is not an IP:port or localhost:port", hp)
		}
	}
	if c.SecretKeys != "" {
		if _, err := keyring.Parse(c.SecretKeys, "secret key"); err != nil {
			return fmt.Errorf("HERALD_SECRET_KEYS: %w", err)
		}
	}
	switch c.TemporalCompression {
	case "auto", "gzip", "none":
	default:
		return fmt.Errorf("temporal compression %q: want auto, gzip or none", c.TemporalCompression)
	}
	if c.IngestConcurrency < 1 {
		return fmt.Errorf("ingest concurrency %d: must be at least 1", c.IngestConcurrency)
	}
	if c.KeyCacheTTL < 0 || c.KeyStaleFor < 0 {
		return fmt.Errorf("key cache durations must be 0 or more")
	}
	if c.OutboxLimit < 0 {
		return fmt.Errorf("outbox limit %d: must be 0 (off) or more", c.OutboxLimit)
	}
	if c.RateLimit < 0 || c.RateBurst < 1 {
		return fmt.Errorf("rate limit must be 0 or more and burst at least 1")
	}
	if c.MaxIntegrations < 1 {
		return fmt.Errorf("max integrations %d: a team must be able to have at least 1", c.MaxIntegrations)
	}
	if c.DisableAfter < 1 {
		return fmt.Errorf("disable after %d failed deliveries: must be at least 1", c.DisableAfter)
	}
	if c.RecoveryRate <= 0 || c.BulkResendRate <= 0 || c.ReplayRate <= 0 {
		return fmt.Errorf("recovery, bulk resend and replay rates must be positive")
	}
	if c.DBMaxConns < 1 {
		return fmt.Errorf("database connection budget %d: must be at least 1", c.DBMaxConns)
	}
	if c.TaskQueue == "" || c.TemporalNamespace == "" {
		return fmt.Errorf("task queue and namespace must not be empty")
	}
	return nil
}

// Group selects which settings a command exposes.
type Group int

const (
	// GroupDatabase: the Postgres URL.
	GroupDatabase Group = 1 << iota
	// GroupTemporal: Temporal address, namespace and task queue.
	GroupTemporal
	// GroupGateway: the HTTP listener and request limits.
	GroupGateway
	// GroupDelivery: retry schedule, timeouts and webhook options.
	GroupDelivery
)

type binding struct {
	flag string
	env  string
}

// Binder registers flags for a Config and applies HERALD_* variables for the
// flags the command line did not set.
type Binder struct {
	cfg      *Config
	fs       *pflag.FlagSet
	bindings []binding
}

// Bind registers the flags of the given groups on fs, with defaults from cfg.
func Bind(fs *pflag.FlagSet, cfg *Config, groups Group) *Binder {
	b := &Binder{cfg: cfg, fs: fs}
	b.str(&cfg.LogLevel, "log-level", "HERALD_LOG_LEVEL", "log level: debug, info, warn or error")
	b.str(&cfg.LogFormat, "log-format", "HERALD_LOG_FORMAT", "log format: text or json")
	if groups&GroupDatabase != 0 {
		b.str(&cfg.DatabaseURL, "database-url", "HERALD_DATABASE_URL", "Postgres connection URL")
		b.integer(&cfg.MaxIntegrations, "max-integrations", "HERALD_MAX_INTEGRATIONS", "most integrations one team may have")
		b.integer(&cfg.DBMaxConns, "db-max-conns", "HERALD_DB_MAX_CONNS", "most Postgres connections this process opens (queries beyond wait for one)")
		b.str(&cfg.SecretKeys, "secret-keys", "HERALD_SECRET_KEYS", "seal integration URLs and secrets at rest: kid:base64-256-bit-key[,kid:key…] (the first seals, all open); herald secrets new-key makes one")
		b.flag(&cfg.AllowPlaintextSecrets, "allow-plaintext-secrets", "HERALD_ALLOW_PLAINTEXT_SECRETS", "start without HERALD_SECRET_KEYS, storing integration URLs and secrets in plaintext (on purpose only)")
	}
	if groups&GroupTemporal != 0 {
		b.str(&cfg.PayloadKey, "payload-key", "HERALD_PAYLOAD_KEY", "encrypt Temporal payloads: kid:base64-256-bit-key[,kid:key…]")
		b.str(&cfg.TemporalAddress, "temporal-address", "HERALD_TEMPORAL_ADDRESS", "Temporal frontend host:port")
		b.str(&cfg.TemporalNamespace, "temporal-namespace", "HERALD_TEMPORAL_NAMESPACE", "Temporal namespace")
		b.str(&cfg.TaskQueue, "task-queue", "HERALD_TASK_QUEUE", "Temporal task queue for Herald's workflows and activities")
		b.flag(&cfg.TemporalTLS, "temporal-tls", "HERALD_TEMPORAL_TLS", "connect to Temporal over TLS")
		b.str(&cfg.TemporalCA, "temporal-ca", "HERALD_TEMPORAL_CA", "PEM file of the CA that signed Temporal's certificate")
		b.str(&cfg.TemporalCert, "temporal-cert", "HERALD_TEMPORAL_CERT", "client certificate PEM file (mTLS)")
		b.str(&cfg.TemporalKey, "temporal-key", "HERALD_TEMPORAL_KEY", "client key PEM file (mTLS)")
		b.str(&cfg.TemporalServerName, "temporal-server-name", "HERALD_TEMPORAL_SERVER_NAME", "TLS server name of the Temporal frontend")
		b.str(&cfg.TemporalCompression, "temporal-compression", "HERALD_TEMPORAL_COMPRESSION", "gzip requests to Temporal: gzip, none, or auto (gzip unless the frontend is on loopback)")
		b.str(&cfg.TemporalAPIKey, "temporal-api-key", "HERALD_TEMPORAL_API_KEY", "Temporal Cloud API key (implies TLS)")
		b.integer(&cfg.WorkerMaxActivities, "worker-max-activities", "HERALD_WORKER_MAX_ACTIVITIES", "delivery attempts a worker runs at once")
		b.integer(&cfg.WorkerMaxWorkflowTasks, "worker-max-workflow-tasks", "HERALD_WORKER_MAX_WORKFLOW_TASKS", "workflow tasks a worker runs at once")
		b.integer(&cfg.WorkerActivityPollers, "worker-activity-pollers", "HERALD_WORKER_ACTIVITY_POLLERS", "activity task pollers")
		b.integer(&cfg.WorkerWorkflowPollers, "worker-workflow-pollers", "HERALD_WORKER_WORKFLOW_POLLERS", "workflow task pollers")
		b.integer(&cfg.WorkflowCacheSize, "workflow-cache-size", "HERALD_WORKFLOW_CACHE_SIZE", "workflows a worker keeps in memory between tasks")
		b.duration(&cfg.Retention, "retention", "HERALD_RETENTION", "how long events, deliveries and attempts are kept")
		b.duration(&cfg.AuditRetention, "audit-retention", "HERALD_AUDIT_RETENTION", "how long the audit log (who changed what) is kept")
		b.str(&cfg.MetricsListen, "metrics-listen", "HERALD_METRICS_LISTEN", "where the worker serves /metrics (empty: nowhere)")
		b.str(&cfg.MetricsToken, "metrics-token", "HERALD_METRICS_TOKEN", "bearer token every /metrics request must present (empty: none)")
		b.str(&cfg.TemporalUIURL, "temporal-ui-url", "HERALD_TEMPORAL_UI_URL", "Temporal Web UI the console links workflows to")
		b.str(&cfg.SelfAddresses, "self-addresses", "HERALD_SELF_ADDRESSES", "further host:port listeners of Herald's or its Temporal server's that deliveries must never reach, comma-separated")
	}
	if groups&GroupGateway != 0 {
		b.str(&cfg.Listen, "listen", "HERALD_LISTEN", "gateway listen address")
		b.integer(&cfg.EventBodyLimit, "event-body-limit", "HERALD_EVENT_BODY_LIMIT", "largest accepted event body in bytes")
		b.integer(&cfg.ValidationBudget, "validation-budget", "HERALD_VALIDATION_BUDGET", "steps one request may spend checking its events against their schemas (about 8,000 per millisecond of a core)")
		b.duration(&cfg.SecretRotationGrace, "secret-rotation-grace", "HERALD_SECRET_ROTATION_GRACE", "how long a rotated-out webhook secret keeps signing")
		b.duration(&cfg.KeyCacheTTL, "key-cache-ttl", "HERALD_KEY_CACHE_TTL", "how long a checked API key is trusted without asking Postgres (revocations elsewhere take this long)")
		b.integer(&cfg.IngestConcurrency, "ingest-concurrency", "HERALD_INGEST_CONCURRENCY", "most events the gateway starts at once (the limit adapts below it); more are answered 503 with Retry-After")
		b.integer(&cfg.OutboxLimit, "outbox-limit", "HERALD_OUTBOX_LIMIT", "events accepted over the ingest limit that may wait for their workflow (0: none; answer 503)")
		b.duration(&cfg.KeyStaleFor, "key-stale-for", "HERALD_KEY_STALE_FOR", "how long past the cache TTL a checked key still ingests while Postgres is unreachable (0: not at all)")
		b.float(&cfg.RateLimit, "rate-limit", "HERALD_RATE_LIMIT", "requests per second per API key (0: no limit)")
		b.integer(&cfg.RateBurst, "rate-burst", "HERALD_RATE_BURST", "requests an API key may make at once")
		b.str(&cfg.UIOrigins, "ui-origins", "HERALD_UI_ORIGINS", "browser origins allowed to call the codec endpoints (the Temporal Web UI)")
		b.str(&cfg.PublicURL, "public-url", "HERALD_PUBLIC_URL", "URL where browsers reach the gateway (default http:// + listen address)")
		b.str(&cfg.SlackClientID, "slack-client-id", "HERALD_SLACK_CLIENT_ID", "Slack app client id (enables Add to Slack)")
		b.str(&cfg.SlackClientSecret, "slack-client-secret", "HERALD_SLACK_CLIENT_SECRET", "Slack app client secret")
		b.str(&cfg.SlackBaseURL, "slack-base-url", "HERALD_SLACK_BASE_URL", "Slack's base URL for OAuth")
		b.flag(&cfg.WithWorker, "with-worker", "HERALD_WITH_WORKER", "run a worker in this process too (new events then start on it eagerly)")
		b.flag(&cfg.EagerStart, "eager-start", "HERALD_EAGER_START", "start new events on this process's own worker when it runs one (false only to measure what it saves)")
		b.flag(&cfg.TrustIncomingTrace, "trust-incoming-trace", "HERALD_TRUST_INCOMING_TRACE", "continue callers' traceparent (true only where every caller is the operator's own; otherwise Herald starts its own trace and links theirs)")
		b.str(&cfg.StateSecret, "state-secret", "HERALD_STATE_SECRET", "key that signs OAuth state (default: derived from the Slack client secret)")
	}
	if groups&GroupDelivery != 0 {
		b.str(&cfg.WebhookHeaderPrefix, "webhook-header-prefix", "HERALD_WEBHOOK_HEADER_PREFIX", "prefix of the webhook integration headers")
		b.str(&cfg.AllowPrivateDestinations, "allow-private-destinations", "HERALD_ALLOW_PRIVATE_DESTINATIONS", "deliveries may reach private and loopback addresses: true, false, or CIDRs")
		b.duration(&cfg.Retry.InitialInterval, "retry-initial-interval", "HERALD_RETRY_INITIAL_INTERVAL", "delay before the first retry")
		b.float(&cfg.Retry.BackoffCoefficient, "retry-backoff", "HERALD_RETRY_BACKOFF", "factor between successive retry delays")
		b.duration(&cfg.Retry.MaxInterval, "retry-max-interval", "HERALD_RETRY_MAX_INTERVAL", "longest delay between retries")
		b.integer(&cfg.Retry.MaxAttempts, "retry-max-attempts", "HERALD_RETRY_MAX_ATTEMPTS", "attempts per delivery, the first included")
		b.float(&cfg.Retry.Jitter, "retry-jitter", "HERALD_RETRY_JITTER", "spread of each retry delay, as a fraction of it (0 to 0.5; 0: exact)")
		b.duration(&cfg.AttemptTimeout, "attempt-timeout", "HERALD_ATTEMPT_TIMEOUT", "timeout of one delivery attempt")
		b.duration(&cfg.ConnectTimeout, "connect-timeout", "HERALD_CONNECT_TIMEOUT", "TCP connect timeout of one delivery attempt")
		b.integer(&cfg.ResponseBodyLimit, "response-body-limit", "HERALD_RESPONSE_BODY_LIMIT", "bytes of each response body kept in the attempt log")
		b.integer(&cfg.DisableAfter, "disable-after", "HERALD_DISABLE_AFTER", "consecutive failed deliveries that disable an integration")
		b.float(&cfg.RecoveryRate, "recovery-rate", "HERALD_RECOVERY_RATE", "retries per second per integration when it recovers")
		b.float(&cfg.BulkResendRate, "bulk-resend-rate", "HERALD_BULK_RESEND_RATE", "resends per second of a bulk resend")
		b.float(&cfg.ReplayRate, "replay-rate", "HERALD_REPLAY_RATE", "past events per second a replay gives a delivery")
		b.flag(&cfg.LocalAttempts, "local-attempts", "HERALD_LOCAL_ATTEMPTS", "make delivery attempts as local activities inside the workflow task (false only to measure what it saves)")
		b.flag(&cfg.DeliveryControl, "delivery-control", "HERALD_DELIVERY_CONTROL", "pace, cap and order deliveries per integration (false only to measure its cost)")
	}
	return b
}

func (b *Binder) track(name, env string) {
	b.bindings = append(b.bindings, binding{name, env})
}

func (b *Binder) str(p *string, name, env, usage string) {
	b.fs.StringVar(p, name, *p, usage+" ($"+env+")")
	b.track(name, env)
}

func (b *Binder) integer(p *int, name, env, usage string) {
	b.fs.IntVar(p, name, *p, usage+" ($"+env+")")
	b.track(name, env)
}

func (b *Binder) float(p *float64, name, env, usage string) {
	b.fs.Float64Var(p, name, *p, usage+" ($"+env+")")
	b.track(name, env)
}

func (b *Binder) flag(p *bool, name, env, usage string) {
	b.fs.BoolVar(p, name, *p, usage+" ($"+env+")")
	b.track(name, env)
}

func (b *Binder) duration(p *time.Duration, name, env, usage string) {
	b.fs.DurationVar(p, name, *p, usage+" ($"+env+")")
	b.track(name, env)
}

// Load applies the environment to every flag not set on the command line, then
// validates the result. lookup is os.LookupEnv outside tests.
func (b *Binder) Load(lookup func(string) (string, bool)) (*Config, error) {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	for _, bd := range b.bindings {
		f := b.fs.Lookup(bd.flag)
		if f == nil || f.Changed {
			continue
		}
		v, ok := lookup(bd.env)
		if !ok {
			continue
		}
		if err := f.Value.Set(strings.TrimSpace(v)); err != nil {
			return nil, fmt.Errorf("%s=%q: %w", bd.env, v, err)
		}
	}
	if err := b.cfg.Validate(); err != nil {
		return nil, err
	}
	return b.cfg, nil
}

// DestinationPolicy is the SSRF policy deliveries run under; the gateway's own
// listener is never a destination.
func (c *Config) DestinationPolicy() ssrf.Policy {
	p, _ := ssrf.ParsePolicy(c.AllowPrivateDestinations) // validated by Validate
	// Herald's own services stay out of reach even where private
	// destinations are allowed: the gateway, the metrics listener, Temporal's
	// frontend, HTTP API and Web UI, Postgres, and what the operator names.
	for _, hp := range c.selfHostPorts() {
		p.Self = append(p.Self, selfAddrs(hp)...)
	}
	return p
}

// CheckRetention refuses a retention shorter than a retry schedule in force
// (what names it: the default, or an integration): a delivery still
// retrying keeps its event from retention (store.PruneEvents), so events
// would outlive the retention the operator set.
func CheckRetention(retention time.Duration, what string, p retry.Policy) error {
	if span := p.Span(); retention < span {
		return fmt.Errorf("retention %s is shorter than %s (%d attempts over up to %s): set HERALD_RETENTION to %s or more, or shorten the schedule",
			retention, what, p.MaxAttempts, span.Round(time.Second), span.Round(time.Hour)+time.Hour)
	}
	return nil
}

// CheckMetricsExposure refuses a gateway whose /metrics would answer
// anyone on its public listener: there it is served only with
// MetricsToken; without one, the metrics listener must be a separate one.
func (c *Config) CheckMetricsExposure() error {
	switch {
	case c.MetricsToken != "":
		return nil
	case c.MetricsListen == "":
		return fmt.Errorf("HERALD_METRICS_TOKEN is unset and HERALD_METRICS_LISTEN is empty: the gateway serves /metrics " +
			"on its public listener only with a token. Set HERALD_METRICS_TOKEN, or HERALD_METRICS_LISTEN to a separate, " +
			"non-public address (the default is 127.0.0.1:9464)")
	case samePort(c.MetricsListen, c.Listen):
		return fmt.Errorf("HERALD_METRICS_LISTEN (%s) is the gateway's own listener (%s), where /metrics needs "+
			"HERALD_METRICS_TOKEN: set the token, or give metrics a separate, non-public address", c.MetricsListen, c.Listen)
	}
	return nil
}

// samePort: two listen addresses on one port where either takes every
// interface, or on one host.
func samePort(a, b string) bool {
	ah, ap, aerr := net.SplitHostPort(a)
	bh, bp, berr := net.SplitHostPort(b)
	if aerr != nil || berr != nil || ap != bp || ap == "0" { // port 0: any free one, never the same
		return false
	}
	return ah == bh || ListensOnEveryInterface(a) || ListensOnEveryInterface(b)
}

// ListensOnEveryInterface: a listen address with no host, 0.0.0.0 or [::].
func ListensOnEveryInterface(hostport string) bool {
	h, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return false
	}
	if h == "" {
		return true
	}
	a, err := netip.ParseAddr(h)
	return err == nil && a.IsUnspecified()
}

// temporalHTTPOffset is how far above its gRPC port the Temporal server's
// frontend serves its HTTP API unless told otherwise (7233 and 7243).
const temporalHTTPOffset = 10

// selfHostPorts are the host:port of every listener DestinationPolicy keeps
// deliveries away from.
func (c *Config) selfHostPorts() []string {
	out := []string{c.Listen, c.MetricsListen, c.TemporalAddress, postgresHostPort(c.DatabaseURL)}
	if host, port, err := net.SplitHostPort(c.TemporalAddress); err == nil {
		if n, err := strconv.Atoi(port); err == nil {
			out = append(out, net.JoinHostPort(host, strconv.Itoa(n+temporalHTTPOffset)))
		}
	}
	if u, err := url.Parse(c.TemporalUIURL); err == nil && u.Host != "" {
		out = append(out, hostPort(u))
	}
	for _, hp := range strings.Split(c.SelfAddresses, ",") {
		if hp = strings.TrimSpace(hp); hp != "" {
			out = append(out, hp)
		}
	}
	return out
}

// hostPort is u's host:port, with the scheme's port when it names none.
func hostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	if u.Scheme == "https" {
		return net.JoinHostPort(u.Hostname(), "443")
	}
	return net.JoinHostPort(u.Hostname(), "80")
}

// selfAddrs reads host:port as the addresses it listens or answers on: an IP
// literal, or localhost's two. Other names are left out (resolving them on
// every check would cost a lookup; the default policy refuses the private
// addresses they usually have).
func selfAddrs(hostport string) []netip.AddrPort {
	if ap, err := netip.ParseAddrPort(hostport); err == nil {
		return []netip.AddrPort{ap}
	}
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return nil
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return nil
	}
	if host == "" {
		return []netip.AddrPort{netip.AddrPortFrom(netip.IPv4Unspecified(), uint16(n))}
	}
	if strings.EqualFold(host, "localhost") {
		return []netip.AddrPort{netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), uint16(n)),
			netip.AddrPortFrom(netip.IPv6Loopback(), uint16(n))}
	}
	return nil
}

// postgresHostPort is the host:port a postgres:// URL connects to.
func postgresHostPort(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return ""
	}
	if u.Port() == "" {
		return net.JoinHostPort(u.Hostname(), "5432")
	}
	return u.Host
}

// PublicBaseURL is where browsers reach the gateway, without a trailing
// slash: HERALD_PUBLIC_URL, else http:// and the listen address.
func (c *Config) PublicBaseURL() string {
	if c.PublicURL != "" {
		return strings.TrimRight(c.PublicURL, "/")
	}
	return "http://" + c.Listen
}

// SecureCookies says whether the gateway's cookies are marked Secure: when
// browsers reach it over https.
func (c *Config) SecureCookies() bool { return strings.HasPrefix(c.PublicBaseURL(), "https://") }
