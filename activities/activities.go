// Package activities holds Herald's Temporal activities. They are methods on
// Activities, which holds their dependencies; secrets are loaded here, by id,
// and never travel through workflow inputs or results.
package activities

import (
	"time"

	"go.temporal.io/sdk/client"

	"github.com/heraldhq/herald/internal/channels"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/metrics"
	"github.com/heraldhq/herald/internal/retry"
	"github.com/heraldhq/herald/internal/ssrf"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/telemetry"
)

// Activities is the receiver of every Herald activity.
type Activities struct {
	Store    *store.Store
	Channels *channels.Registry
	Sender   *channels.Sender
	// Tokens caches OAuth 2.0 tokens of webhook endpoints (sent through Sender).
	Tokens *channels.Tokens
	// Temporal signals event workflows (recovery, bulk resend). May be nil where
	// those activities are not run.
	Temporal  client.Client
	TaskQueue string
	// Retry is the default delivery schedule.
	Retry retry.Policy
	// AttemptTimeout bounds one HTTP attempt.
	AttemptTimeout time.Duration
	// DisableAfter consecutive failed deliveries disable an integration.
	DisableAfter int
	// RecoveryRate paces retries of waiting deliveries when an integration recovers.
	RecoveryRate float64
	// DeliveryControl paces, caps and orders deliveries per integration.
	DeliveryControl bool
	// LocalAttempts runs attempts as local activities (the fast path).
	LocalAttempts bool
	// Metrics records attempts and finished deliveries (nil: nothing).
	Metrics *metrics.Metrics
	// Now is the clock (time.Now outside tests).
	Now func() time.Time
}

// New builds Activities from the configuration.
func New(cfg *config.Config, st *store.Store, tc client.Client) *Activities {
	sender := channels.NewSender(channels.SenderOptions{
		Timeout:        cfg.AttemptTimeout,
		ConnectTimeout: cfg.ConnectTimeout,
		BodyLimit:      cfg.ResponseBodyLimit,
		DialContext:    (&ssrf.Dialer{Policy: cfg.DestinationPolicy(), Timeout: cfg.ConnectTimeout}).DialContext,
		Tracer:         telemetry.Provider(),
	})
	return &Activities{
		Store:           st,
		Channels:        channels.NewRegistry(channels.Options{WebhookHeaderPrefix: cfg.WebhookHeaderPrefix, UserAgent: UserAgent}),
		Sender:          sender,
		Tokens:          channels.NewTokens(sender, nil),
		Temporal:        tc,
		TaskQueue:       cfg.TaskQueue,
		Retry:           cfg.Retry,
		AttemptTimeout:  cfg.AttemptTimeout,
		DisableAfter:    cfg.DisableAfter,
		RecoveryRate:    cfg.RecoveryRate,
		DeliveryControl: cfg.DeliveryControl,
		LocalAttempts:   cfg.LocalAttempts,
		Now:             time.Now,
	}
}

// UserAgent identifies Herald to receivers.
const UserAgent = "Herald/1 (+https://github.com/heraldhq/herald)"
