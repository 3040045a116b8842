package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/channels"
	"github.com/heraldhq/herald/internal/chattemplate"
	"github.com/heraldhq/herald/internal/eventtype"
	"github.com/heraldhq/herald/internal/health"
	"github.com/heraldhq/herald/internal/pacing"
	"github.com/heraldhq/herald/internal/redact"
	"github.com/heraldhq/herald/internal/retry"
)

// Integration is a destination for a team's events.
type Integration struct {
	ID        string                 `db:"id"`
	TeamID    string                 `db:"team_id"`
	Name      string                 `db:"name"`
	Type      herald.IntegrationType `db:"type"`
	URL       string                 `db:"url"`
	Secret    string                 `db:"secret"`
	Events    pq.StringArray         `db:"events"`
	Projects  pq.StringArray         `db:"projects"`
	Enabled   bool                   `db:"enabled"`
	CreatedAt time.Time              `db:"created_at"`
	UpdatedAt time.Time              `db:"updated_at"`
	DeletedAt *time.Time             `db:"deleted_at"`

	// Health.
	FailedRequests      int        `db:"failed_requests"`
	FirstFailedAt       *time.Time `db:"first_failed_at"`
	ConsecutiveFailures int        `db:"consecutive_failures"`
	DisabledReason      string     `db:"disabled_reason"`
	DisabledAt          *time.Time `db:"disabled_at"`
	DisabledBy          string     `db:"disabled_by"`
	DisablePending      string     `db:"disable_pending"`

	// Retry overrides the default schedule (nil: the default).
	Retry RetryJSON `db:"retry_policy"`
	// AutoRecover: once disabled, probe the endpoint and re-enable it on success.
	AutoRecover bool `db:"auto_recover"`
	// Format picks the message format where a channel has several (Teams).
	Format string `db:"format"`
	// Channel is where a Slack installation posts (for display).
	Channel string `db:"channel"`
	// PreviousSecret still signs, beside Secret, until PreviousSecretExpiresAt.
	PreviousSecret          string     `db:"previous_secret"`
	PreviousSecretExpiresAt *time.Time `db:"previous_secret_expires_at"`
	// AlertPolicy overrides the team's alert policy field by field.
	AlertPolicy PolicyJSON `db:"alert_policy"`
	// RateLimit overrides the channel's send rate (nil: its default).
	RateLimit RateJSON `db:"rate_limit"`
	// MaxInFlight caps concurrent requests (nil: the channel's default).
	MaxInFlight *int `db:"max_in_flight"`
	// DisableAfter is its own threshold of failed deliveries in a row
	// (nil: the server's).
	DisableAfter *int `db:"disable_after"`
	// DisableNoticeReached is how many of the team's integrations the
	// notice of its last disable was addressed to (nil: not disabled since
	// it was counted).
	DisableNoticeReached *int `db:"disable_notice_reached"`
	// Ordering is herald.OrderingNone or herald.OrderingFIFO.
	Ordering herald.Ordering `db:"ordering"`
	// Auth is how the receiver authenticates Herald beyond the signature
	// (custom headers, mutual TLS, OAuth 2.0), stored sealed as JSON in
	// auth (AuthRaw: the column as read, sealed).
	Auth    channels.EndpointAuth `db:"-"`
	AuthRaw string                `db:"auth"`
	// Filter is a CEL expression an event must pass after its type and
	// project matched ("": none); Transform makes a webhook's body (""
	// none); Template shapes a chat message (nil: the built-in one).
	Filter    string       `db:"filter"`
	Template  TemplateJSON `db:"template"`
	Transform string       `db:"transform"`
}

// TemplateJSON stores a chat message template (NULL: none).
type TemplateJSON = JSON[chattemplate.Spec]

// RateJSON stores a rate-limit override (NULL: none).
type RateJSON = JSON[pacing.Override]

// SigningSecrets are the secrets that sign a request at t: the current one,
// then the previous one while its rotation grace lasts.
func (i Integration) SigningSecrets(t time.Time) []string {
	var out []string
	if i.Secret != "" {
		out = append(out, i.Secret)
	}
	if i.PreviousSecret != "" && i.PreviousSecretExpiresAt != nil && t.Before(*i.PreviousSecretExpiresAt) {
		out = append(out, i.PreviousSecret)
	}
	return out
}

// DisableThreshold is the failed deliveries in a row that disable the
// integration: its own, else the server's.
func (i Integration) DisableThreshold(server int) int {
	if i.DisableAfter != nil {
		return *i.DisableAfter
	}
	return server
}

// DisableNotice says whom the notice of the integration's disable reached
// ("" when it is not disabled, or when that was not counted).
func (i Integration) DisableNotice() string {
	switch {
	case i.Enabled || i.DisableNoticeReached == nil:
		return ""
	case *i.DisableNoticeReached == 0:
		return "the disable notice reached no integration: subscribe one to integration:* to hear of the next"
	}
	return fmt.Sprintf("the disable notice went to %d integration(s) subscribed to integration:disabled", *i.DisableNoticeReached)
}

// Health is the integration's health state.
func (i Integration) Health() health.State {
	return health.State{Enabled: i.Enabled, FailedRequests: i.FailedRequests,
		FirstFailedAt: i.FirstFailedAt, ConsecutiveFailures: i.ConsecutiveFailures, DisablePending: i.DisablePending}
}

// RetryJSON stores a retry override (NULL: none).
type RetryJSON = JSON[retry.Override]

// IntegrationPatch changes the fields that are not nil.
type IntegrationPatch struct {
	Name        *string
	URL         *string
	Secret      *string
	Events      *[]string
	Projects    *[]string
	Retry       *RetryJSON
	AutoRecover *bool
	Format      *string
	Channel     *string
	AlertPolicy *PolicyJSON
	RateLimit   *RateJSON
	MaxInFlight **int
	// DisableAfter: a pointer to nil restores the server's threshold.
	DisableAfter **int
	Ordering     *herald.Ordering
	Auth         *channels.EndpointAuth
	Filter       *string
	Template     *TemplateJSON
	Transform    *string
}

const integrationCols = `id, team_id, name, type, url, secret, events, projects, enabled, created_at, updated_at, deleted_at,
	failed_requests, first_failed_at, consecutive_failures, disabled_reason, disabled_at, disabled_by,
	disable_pending, retry_policy, auto_recover, format, channel,
	previous_secret, previous_secret_expires_at, alert_policy, rate_limit, max_in_flight, ordering, auth,
	disable_after, disable_notice_reached, filter, template, transform`

// lockTeam holds the team's row until tx ends, serializing the changes
// that count the team's rows against a bound. Its own statement: a count in
// the same statement would read a snapshot taken before the lock was
// granted, and miss what the transaction that held it added.
func lockTeam(ctx context.Context, tx *sqlx.Tx, teamID string) error {
	if _, err := tx.ExecContext(ctx, `SELECT 1 FROM teams WHERE id = $1 FOR UPDATE`, teamID); err != nil {
		return fmt.Errorf("lock team %s: %w", teamID, err)
	}
	return nil
}

// checkIntegrationLimit refuses one integration more for a team at its
// bound. The team's row serializes concurrent creations, so the bound holds.
func (s *Store) checkIntegrationLimit(ctx context.Context, tx *sqlx.Tx, teamID string) error {
	if s.maxIntegrations <= 0 {
		return nil
	}
	if err := lockTeam(ctx, tx, teamID); err != nil {
		return err
	}
	var n int
	if err := tx.GetContext(ctx, &n, `SELECT count(*) FROM integrations WHERE team_id = $1 AND deleted_at IS NULL`, teamID); err != nil {
		return fmt.Errorf("count integrations: %w", err)
	}
	if n >= s.maxIntegrations {
		return fmt.Errorf("a team has at most %d integrations: %w", s.maxIntegrations, ErrTooMany)
	}
	return nil
}

// CreateIntegration stores a validated integration and its subscriptions
// (ErrTooMany: the team has as many as LimitIntegrations allows).
func (s *Store) CreateIntegration(ctx context.Context, in Integration) (Integration, error) {
	in.ID = NewID("int")
	if in.Projects == nil {
		in.Projects = pq.StringArray{}
	}
	url, err := s.seal(in.URL, in.ID)
	if err != nil {
		return Integration{}, err
	}
	secret, err := s.seal(in.Secret, in.ID)
	if err != nil {
		return Integration{}, err
	}
	auth, err := s.sealAuth(in.Auth, in.ID)
	if err != nil {
		return Integration{}, err
	}
	var out Integration
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := s.checkIntegrationLimit(ctx, tx, in.TeamID); err != nil {
			return err
		}
		err := tx.GetContext(ctx, &out, `
			INSERT INTO integrations (id, team_id, name, type, url, secret, events, projects, enabled,
				retry_policy, auto_recover, format, channel, alert_policy, rate_limit, max_in_flight, ordering, auth, disable_after,
				filter, template, transform)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)
			RETURNING `+integrationCols,
			in.ID, in.TeamID, in.Name, in.Type, url, secret, in.Events, in.Projects, in.Enabled,
			in.Retry, in.AutoRecover, in.Format, in.Channel, in.AlertPolicy, in.RateLimit, in.MaxInFlight, in.Ordering.OrNone(), auth,
			in.DisableAfter, in.Filter, in.Template, in.Transform)
		if err != nil {
			return fmt.Errorf("insert integration: %w", err)
		}
		if err := setSubscriptions(ctx, tx, out); err != nil {
			return err
		}
		return s.audit(ctx, tx, Audit{TeamID: in.TeamID, Action: AuditIntegrationCreate, ObjectType: ObjectIntegration, ObjectID: in.ID,
			Summary: integrationSummary(in)})
	})
	if err != nil {
		return Integration{}, fmt.Errorf("create integration: %w", err)
	}
	if err := s.openIntegration(&out); err != nil {
		return Integration{}, err
	}
	return out, nil
}

func setSubscriptions(ctx context.Context, tx *sqlx.Tx, in Integration) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM integration_subscriptions WHERE integration_id = $1`, in.ID); err != nil {
		return fmt.Errorf("clear subscriptions: %w", err)
	}
	_, err := tx.ExecContext(ctx, `
		INSERT INTO integration_subscriptions (team_id, pattern, integration_id)
		SELECT $1, p, $2 FROM unnest($3::text[]) AS p
		ON CONFLICT DO NOTHING`, in.TeamID, in.ID, in.Events)
	if err != nil {
		return fmt.Errorf("insert subscriptions: %w", err)
	}
	return nil
}

// GetIntegration loads one of a team's integrations.
func (s *Store) GetIntegration(ctx context.Context, teamID, id string) (Integration, error) {
	var out Integration
	err := s.db.GetContext(ctx, &out, `SELECT `+integrationCols+` FROM integrations
		WHERE team_id = $1 AND id = $2 AND deleted_at IS NULL`, teamID, id)
	if err != nil {
		return Integration{}, notFound(err, "integration", id)
	}
	if err := s.openIntegration(&out); err != nil {
		return Integration{}, err
	}
	return out, nil
}

// LoadIntegration loads an integration by id alone, for activities that got the
// id from a delivery row (never from a client).
func (s *Store) LoadIntegration(ctx context.Context, id string) (Integration, error) {
	var out Integration
	err := s.db.GetContext(ctx, &out, `SELECT `+integrationCols+` FROM integrations WHERE id = $1`, id)
	if err != nil {
		return Integration{}, notFound(err, "integration", id)
	}
	if err := s.openIntegration(&out); err != nil {
		return Integration{}, err
	}
	return out, nil
}

// ListIntegrations returns up to limit of a team's integrations after the cursor
// id (oldest first).
func (s *Store) ListIntegrations(ctx context.Context, teamID, after string, limit int) ([]Integration, error) {
	out := []Integration{}
	err := s.db.SelectContext(ctx, &out, `SELECT `+integrationCols+` FROM integrations
		WHERE team_id = $1 AND deleted_at IS NULL AND id > $2
		ORDER BY id LIMIT $3`, teamID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list integrations: %w", err)
	}
	if err := s.openIntegrations(out); err != nil {
		return nil, err
	}
	return out, nil
}

// UpdateIntegration applies a patch to one of a team's integrations.
func (s *Store) UpdateIntegration(ctx context.Context, teamID, id string, p IntegrationPatch) (Integration, error) {
	var out Integration
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &out, `SELECT `+integrationCols+` FROM integrations
			WHERE team_id = $1 AND id = $2 AND deleted_at IS NULL FOR UPDATE`, teamID, id)
		if err != nil {
			return notFound(err, "integration", id)
		}
		if err := s.openIntegration(&out); err != nil {
			return err
		}
		p.ApplyTo(&out)
		auth, err := s.sealAuth(out.Auth, id)
		if err != nil {
			return err
		}
		url, err := s.seal(out.URL, id)
		if err != nil {
			return err
		}
		secret, err := s.seal(out.Secret, id)
		if err != nil {
			return err
		}
		err = tx.GetContext(ctx, &out, `
			UPDATE integrations SET name = $3, url = $4, secret = $5, events = $6, projects = $7,
				retry_policy = $8, auto_recover = $9, format = $10, channel = $11, alert_policy = $12,
				rate_limit = $13, max_in_flight = $14, ordering = $15, auth = $16, disable_after = $17,
				filter = $18, template = $19, transform = $20, updated_at = now()
			WHERE team_id = $1 AND id = $2
			RETURNING `+integrationCols,
			teamID, id, out.Name, url, secret, out.Events, out.Projects, out.Retry, out.AutoRecover,
			out.Format, out.Channel, out.AlertPolicy, out.RateLimit, out.MaxInFlight, out.Ordering.OrNone(), auth, out.DisableAfter,
			out.Filter, out.Template, out.Transform)
		if err != nil {
			return fmt.Errorf("update integration %s: %w", id, err)
		}
		if p.Events != nil {
			if err := setSubscriptions(ctx, tx, out); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, Audit{TeamID: teamID, Action: AuditIntegrationUpdate, ObjectType: ObjectIntegration, ObjectID: id,
			Summary: p.summary()})
	})
	if err != nil {
		return Integration{}, err
	}
	if err := s.openIntegration(&out); err != nil {
		return Integration{}, err
	}
	return out, nil
}

// ApplyTo changes in i what p sets.
func (p IntegrationPatch) ApplyTo(i *Integration) {
	setIf(&i.Name, p.Name)
	setIf(&i.URL, p.URL)
	setIf(&i.Secret, p.Secret)
	if p.Events != nil {
		i.Events = *p.Events
	}
	if p.Projects != nil {
		i.Projects = *p.Projects
	}
	setIf(&i.Retry, p.Retry)
	setIf(&i.AutoRecover, p.AutoRecover)
	setIf(&i.Format, p.Format)
	setIf(&i.Channel, p.Channel)
	setIf(&i.AlertPolicy, p.AlertPolicy)
	setIf(&i.RateLimit, p.RateLimit)
	setIf(&i.MaxInFlight, p.MaxInFlight)
	setIf(&i.DisableAfter, p.DisableAfter)
	setIf(&i.Ordering, p.Ordering)
	setIf(&i.Auth, p.Auth)
	setIf(&i.Filter, p.Filter)
	setIf(&i.Template, p.Template)
	setIf(&i.Transform, p.Transform)
}

func setIf[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// DeleteIntegration removes an integration from matching and from the API. Its
// deliveries and attempts stay, so history remains inspectable.
func (s *Store) DeleteIntegration(ctx context.Context, teamID, id string) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE integrations SET deleted_at = now(), updated_at = now()
			WHERE team_id = $1 AND id = $2 AND deleted_at IS NULL`, teamID, id)
		if err != nil {
			return fmt.Errorf("delete integration %s: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("integration %s: %w", id, ErrNotFound)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM integration_subscriptions WHERE integration_id = $1`, id); err != nil {
			return fmt.Errorf("delete subscriptions of %s: %w", id, err)
		}
		return s.audit(ctx, tx, Audit{TeamID: teamID, Action: AuditIntegrationDelete, ObjectType: ObjectIntegration, ObjectID: id})
	})
}

// DisableIntegration turns an integration off for a reason. It reports whether
// this call changed anything (false: it was disabled already).
func (s *Store) DisableIntegration(ctx context.Context, id, reason, by string) (Integration, bool, error) {
	var out Integration
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		// The notice's audience (integration:disabled goes to the team's
		// enabled integrations subscribed to it, never this one), counted
		// with the disable so that views can say when it reaches no one.
		err := tx.GetContext(ctx, &out, `
			UPDATE integrations i SET enabled = false, disabled_reason = $2, disabled_at = now(),
				disabled_by = $3, disable_pending = '', updated_at = now(),
				disable_notice_reached = (SELECT count(DISTINCT o.id) FROM integration_subscriptions s
					JOIN integrations o ON o.id = s.integration_id
					WHERE s.team_id = i.team_id AND s.pattern = ANY($4) AND o.id <> i.id AND o.enabled AND o.deleted_at IS NULL)
			WHERE i.id = $1 AND i.enabled AND i.deleted_at IS NULL
			RETURNING `+integrationCols, id, reason, by, pq.Array(eventtype.Candidates(eventtype.IntegrationDisabled)))
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, Audit{TeamID: out.TeamID, Action: AuditIntegrationDisable, ObjectType: ObjectIntegration, ObjectID: id,
			Summary: map[string]any{"reason": reason}})
	})
	if errors.Is(err, sql.ErrNoRows) {
		out, err = s.LoadIntegration(ctx, id)
		return out, false, err
	}
	if err != nil {
		return Integration{}, false, fmt.Errorf("disable integration %s: %w", id, err)
	}
	if err := s.openIntegration(&out); err != nil {
		return Integration{}, false, err
	}
	return out, true, nil
}

// EnableIntegration turns one of a team's integrations on with fresh health.
// teamID may be empty for internal callers holding an id from the database.
func (s *Store) EnableIntegration(ctx context.Context, teamID, id string) (Integration, error) {
	var out Integration
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var was bool
		if err := tx.GetContext(ctx, &was, `SELECT enabled FROM integrations
			WHERE id = $2 AND ($1 = '' OR team_id = $1) AND deleted_at IS NULL FOR UPDATE`, teamID, id); err != nil {
			return err
		}
		err := tx.GetContext(ctx, &out, `
			UPDATE integrations SET enabled = true, failed_requests = 0, first_failed_at = NULL,
				consecutive_failures = 0, disabled_reason = '', disabled_at = NULL, disabled_by = '',
				disable_pending = '',
				updated_at = now()
			WHERE id = $1
			RETURNING `+integrationCols, id)
		if err != nil || was {
			return err // enabling an enabled integration changes nothing worth an entry
		}
		return s.audit(ctx, tx, Audit{TeamID: out.TeamID, Action: AuditIntegrationEnable, ObjectType: ObjectIntegration, ObjectID: id})
	})
	if err != nil {
		return Integration{}, notFound(err, "integration", id)
	}
	if err := s.openIntegration(&out); err != nil {
		return Integration{}, err
	}
	return out, nil
}

// ResetFailures clears an enabled integration's failure counters: its
// destination changed, so the old one's failures say nothing about it.
func (s *Store) ResetFailures(ctx context.Context, teamID, id string) (Integration, error) {
	var out Integration
	err := s.db.GetContext(ctx, &out, `
		UPDATE integrations SET failed_requests = 0, first_failed_at = NULL, consecutive_failures = 0,
			disable_pending = '', updated_at = now()
		WHERE team_id = $1 AND id = $2 AND deleted_at IS NULL
		RETURNING `+integrationCols, teamID, id)
	if err != nil {
		return Integration{}, notFound(err, "integration", id)
	}
	if err := s.openIntegration(&out); err != nil {
		return Integration{}, err
	}
	return out, nil
}

// RotateSecret makes secret the integration's secret; the old one keeps
// signing for grace.
func (s *Store) RotateSecret(ctx context.Context, teamID, id, secret string, grace time.Duration) (Integration, error) {
	secret, err := s.seal(secret, id)
	if err != nil {
		return Integration{}, err
	}
	var out Integration
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &out, `
			UPDATE integrations SET previous_secret = secret,
				previous_secret_expires_at = CASE WHEN secret = '' THEN NULL ELSE now() + $4 * interval '1 millisecond' END,
				secret = $3, updated_at = now()
			WHERE team_id = $1 AND id = $2 AND deleted_at IS NULL
			RETURNING `+integrationCols, teamID, id, secret, grace.Milliseconds())
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, Audit{TeamID: teamID, Action: AuditIntegrationRotate, ObjectType: ObjectIntegration, ObjectID: id,
			Summary: map[string]any{"previousSecretExpiresAt": out.PreviousSecretExpiresAt}})
	})
	if err != nil {
		return Integration{}, notFound(err, "integration", id)
	}
	if err := s.openIntegration(&out); err != nil {
		return Integration{}, err
	}
	return out, nil
}

// CountIntegrations counts live integrations by health status (all teams).
func (s *Store) CountIntegrations(ctx context.Context) (map[string]int, error) {
	var rows []struct {
		Enabled             bool `db:"enabled"`
		FailedRequests      int  `db:"failed_requests"`
		ConsecutiveFailures int  `db:"consecutive_failures"`
		N                   int  `db:"n"`
	}
	err := s.db.SelectContext(ctx, &rows, `
		SELECT enabled, least(failed_requests, 1) AS failed_requests,
			least(consecutive_failures, 1) AS consecutive_failures, count(*) AS n
		FROM integrations WHERE deleted_at IS NULL GROUP BY 1, 2, 3`)
	if err != nil {
		return nil, fmt.Errorf("count integrations: %w", err)
	}
	out := map[string]int{}
	for _, r := range rows {
		st := health.State{Enabled: r.Enabled, FailedRequests: r.FailedRequests, ConsecutiveFailures: r.ConsecutiveFailures}
		out[string(st.Status())] += r.N
	}
	return out, nil
}

// integrationSummary is what an audit entry says of a new integration:
// everything but its secrets (the URL masked as views show it).
func integrationSummary(in Integration) map[string]any {
	m := map[string]any{"name": in.Name, "type": in.Type, "url": redact.URL(in.URL), "events": in.Events,
		"projects": in.Projects, "enabled": in.Enabled, "signing": channels.SigningOf(in.Secret)}
	for k, v := range map[string]any{"filter": in.Filter, "transform": in.Transform} {
		if v != "" {
			m[k] = v
		}
	}
	if in.Template.V != nil {
		m["template"] = in.Template.V
	}
	for k, v := range authSummary(in.Auth) {
		m[k] = v
	}
	return m
}

// authSummary names the endpoint authentication without its secrets.
func authSummary(a channels.EndpointAuth) map[string]any {
	m := map[string]any{}
	if len(a.Headers) > 0 {
		m["headers"] = a.HeaderNames()
	}
	if a.TLS != nil {
		m["clientCertificate"] = a.TLS.Summary().Fingerprint
	}
	if a.OAuth2 != nil {
		m["oauth2"] = map[string]any{"clientId": a.OAuth2.ClientID, "tokenUrl": redact.URL(a.OAuth2.TokenURL), "scopes": a.OAuth2.Scopes}
	}
	return m
}

// summary is what an audit entry says of a change: the fields changed, with
// the new values of those that are not secrets.
func (p IntegrationPatch) summary() map[string]any {
	changed := []string{}
	m := map[string]any{}
	// shown: the field changed, with its new value; hidden: the field
	// changed, its value a secret (or not worth repeating).
	shown := func(field string, value any) {
		if value != nil {
			changed = append(changed, field)
			m[field] = value
		}
	}
	hidden := func(field string, set any) {
		if set != nil {
			changed = append(changed, field)
		}
	}
	shown("name", deref(p.Name))
	hidden("url", deref(p.URL))
	hidden("secret", deref(p.Secret))
	shown("events", deref(p.Events))
	shown("projects", deref(p.Projects))
	shown("retry", deref(p.Retry))
	shown("autoRecover", deref(p.AutoRecover))
	shown("format", deref(p.Format))
	shown("channel", deref(p.Channel))
	shown("alertPolicy", deref(p.AlertPolicy))
	shown("rateLimit", deref(p.RateLimit))
	hidden("maxInFlight", deref(p.MaxInFlight))
	hidden("disableAfter", deref(p.DisableAfter))
	shown("ordering", deref(p.Ordering))
	if p.Auth != nil {
		shown("endpointAuth", authSummary(*p.Auth))
	}
	shown("filter", deref(p.Filter))
	shown("template", deref(p.Template))
	shown("transform", deref(p.Transform))
	m["changed"] = changed
	return m
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

// openDeliveriesQuery's predicate is the partial index deliveries_open's
// (migration 0014), so a scrape reads the open rows only.
const openDeliveriesQuery = `SELECT status, count(*) AS n FROM deliveries
	WHERE status IN ('pending', 'retrying', 'grouped') GROUP BY status`

// CountOpenDeliveries counts the deliveries not yet final, by status
// (pending, retrying, grouped), over every team.
func (s *Store) CountOpenDeliveries(ctx context.Context) (map[string]int, error) {
	var rows []struct {
		Status string `db:"status"`
		N      int    `db:"n"`
	}
	if err := s.db.SelectContext(ctx, &rows, openDeliveriesQuery); err != nil {
		return nil, fmt.Errorf("count open deliveries: %w", err)
	}
	out := map[string]int{}
	for _, r := range rows {
		out[r.Status] = r.N
	}
	return out, nil
}

// RetryOverride is an integration's own retry schedule.
type RetryOverride struct {
	ID    string    `db:"id"`
	Name  string    `db:"name"`
	Retry RetryJSON `db:"retry_policy"`
}

// RetryOverrides are the retry schedules of every integration that has one.
func (s *Store) RetryOverrides(ctx context.Context) ([]RetryOverride, error) {
	out := []RetryOverride{}
	if err := s.db.SelectContext(ctx, &out, `SELECT id, name, retry_policy FROM integrations
		WHERE retry_policy IS NOT NULL AND deleted_at IS NULL ORDER BY id`); err != nil {
		return nil, fmt.Errorf("read retry schedules: %w", err)
	}
	return out, nil
}
