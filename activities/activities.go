// Package activities holds Herald's Temporal activities. They are methods on
// Activities, which holds their dependencies; secrets are loaded here, by id,
// and never travel through workflow inputs or results.
package activities

import (
	"time"

	"github.com/heraldhq/herald/channels"
	"github.com/heraldhq/herald/config"
	"github.com/heraldhq/herald/store"
)

// Error types returned by Deliver. The workflow's retry policy lists the
// non-retryable ones; the workflow reads them with errors.As on ApplicationError.
const (
	ErrTypeRetry       = "DeliveryRetry"
	ErrTypePermanent   = "DeliveryPermanent"
	ErrTypeGone        = "DeliveryGone"
	ErrTypeDisabled    = "IntegrationDisabled"
	ErrTypeUnavailable = "StoreUnavailable"
)

// NonRetryableErrorTypes are the Deliver failures that end a delivery at once.
var NonRetryableErrorTypes = []string{ErrTypePermanent, ErrTypeGone, ErrTypeDisabled}

// Activities is the receiver of every Herald activity.
type Activities struct {
	Store    *store.Store
	Channels *channels.Registry
	Sender   *channels.Sender
	// Retry is the default delivery schedule.
	Retry config.RetryPolicy
	// AttemptTimeout bounds one HTTP attempt.
	AttemptTimeout time.Duration
	// Now is the clock (time.Now outside tests).
	Now func() time.Time
}

// New builds Activities from the configuration.
func New(cfg *config.Config, st *store.Store) *Activities {
	return &Activities{
		Store:    st,
		Channels: channels.NewRegistry(channels.Options{WebhookHeaderPrefix: cfg.WebhookHeaderPrefix, UserAgent: UserAgent}),
		Sender: channels.NewSender(channels.SenderOptions{
			Timeout:        cfg.AttemptTimeout,
			ConnectTimeout: cfg.ConnectTimeout,
			BodyLimit:      cfg.ResponseBodyLimit,
		}),
		Retry:          cfg.Retry,
		AttemptTimeout: cfg.AttemptTimeout,
		Now:            time.Now,
	}
}

// UserAgent identifies Herald to receivers.
const UserAgent = "Herald/1 (+https://github.com/heraldhq/herald)"
