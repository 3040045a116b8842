package gateway

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/alerts"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/internal/redact"
	"github.com/heraldhq/herald/internal/store"
)

// Page is a list response with an opaque cursor for the next page.
type Page[T any] struct {
	Data       []T    `json:"data"`
	NextCursor string `json:"nextCursor,omitempty"`
}

const (
	defaultPageLimit = 50
	maxPageLimit     = 200
)

func pageLimit(c *fiber.Ctx) (int, error) {
	q := c.Query("limit")
	if q == "" {
		return defaultPageLimit, nil
	}
	n, err := strconv.Atoi(q)
	if err != nil || n < 1 || n > maxPageLimit {
		return 0, badRequest("limit must be a whole number from 1 to %d", maxPageLimit)
	}
	return n, nil
}

// IntegrationView is an integration as the API shows it.
type IntegrationView struct {
	ID   string                 `json:"id"`
	Name string                 `json:"name"`
	Type herald.IntegrationType `json:"type"`
	// URL is masked (redact.URL) except in the response that created or changed it.
	URL       string `json:"url"`
	HasSecret bool   `json:"hasSecret"`
	// Secret is filled only in the response that created or regenerated it.
	Secret      string     `json:"secret,omitempty"`
	Events      []string   `json:"events"`
	Projects    []string   `json:"projects"`
	Enabled     bool       `json:"enabled"`
	Health      HealthView `json:"health"`
	Retry       RetryView  `json:"retry"`
	AutoRecover bool       `json:"autoRecover"`
	Format      string     `json:"format,omitempty"`
	Channel     string     `json:"channel,omitempty"`
	// AlertPolicy is the integration's override of the team's alert policy.
	AlertPolicy *alerts.Policy `json:"alertPolicy,omitempty"`
	// Confirmation says whether the welcome message of a new chat integration arrived.
	Confirmation *contract.TestResult `json:"confirmation,omitempty"`
	CreatedAt    time.Time            `json:"createdAt"`
	UpdatedAt    time.Time            `json:"updatedAt"`
}

// HealthView is an integration's health (the seed's status).
type HealthView struct {
	Status herald.Health `json:"status"`
	// FirstFailedAt and FailedRequests describe failed requests since the last success.
	FirstFailedAt  *time.Time `json:"firstFailedAt,omitempty"`
	FailedRequests int        `json:"failedRequests"`
	// ConsecutiveFailures counts failed deliveries since the last success.
	ConsecutiveFailures int        `json:"consecutiveFailures"`
	DisabledReason      string     `json:"disabledReason,omitempty"`
	DisabledAt          *time.Time `json:"disabledAt,omitempty"`
	DisabledBy          string     `json:"disabledBy,omitempty"`
}

// RetryView is the retry schedule in force.
type RetryView struct {
	MaxAttempts        int     `json:"maxAttempts"`
	InitialInterval    string  `json:"initialInterval"`
	MaxInterval        string  `json:"maxInterval"`
	BackoffCoefficient float64 `json:"backoffCoefficient"`
	// Custom is true when the integration overrides the default.
	Custom bool `json:"custom"`
}

func (s *Server) integrationView(i store.Integration) IntegrationView {
	p, err := i.Retry.V.Apply(s.cfg.Retry)
	if err != nil {
		p = s.cfg.Retry
	}
	h := i.Health()
	return IntegrationView{
		// The URL is shown whole only in the response that set it: chat
		// webhook URLs are credentials, and webhook URLs often carry tokens.
		ID: i.ID, Name: i.Name, Type: i.Type, URL: redact.URL(i.URL), HasSecret: i.Secret != "",
		Events: i.Events, Projects: i.Projects, Enabled: i.Enabled,
		Health: HealthView{Status: h.Status(), FirstFailedAt: i.FirstFailedAt, FailedRequests: i.FailedRequests,
			ConsecutiveFailures: i.ConsecutiveFailures, DisabledReason: i.DisabledReason,
			DisabledAt: i.DisabledAt, DisabledBy: i.DisabledBy},
		Retry: RetryView{MaxAttempts: p.MaxAttempts, InitialInterval: p.InitialInterval.String(),
			MaxInterval: p.MaxInterval.String(), BackoffCoefficient: p.BackoffCoefficient, Custom: i.Retry.V != nil},
		AutoRecover: i.AutoRecover, Format: i.Format, Channel: i.Channel, AlertPolicy: i.AlertPolicy.V,
		CreatedAt: i.CreatedAt, UpdatedAt: i.UpdatedAt,
	}
}

// EventView is an event as the API shows it.
type EventView struct {
	ID         string          `json:"id"`
	Event      string          `json:"event"`
	ProjectID  string          `json:"projectId,omitempty"`
	Data       json.RawMessage `json:"data"`
	WorkflowID string          `json:"workflowId"`
	ReceivedAt time.Time       `json:"receivedAt"`
	Deliveries []DeliveryView  `json:"deliveries,omitempty"`
}

func newEventView(ev store.Event, ds []store.Delivery) EventView {
	v := EventView{ID: ev.ID, Event: ev.Type, ProjectID: ev.ProjectID, Data: ev.Data,
		WorkflowID: ev.WorkflowID, ReceivedAt: ev.ReceivedAt}
	if ds != nil {
		v.Deliveries = make([]DeliveryView, len(ds))
		for i, d := range ds {
			v.Deliveries[i] = newDeliveryView(d)
		}
	}
	return v
}

// DeliveryView is a delivery as the API shows it; AttemptLog only on GET /v1/deliveries/{id}.
type DeliveryView struct {
	ID              string                 `json:"id"`
	EventID         string                 `json:"eventId"`
	IntegrationID   string                 `json:"integrationId"`
	IntegrationName string                 `json:"integrationName"`
	IntegrationType herald.IntegrationType `json:"integrationType"`
	Status          herald.DeliveryStatus  `json:"status"`
	Reason          string                 `json:"reason,omitempty"`
	Attempts        int                    `json:"attempts"`
	LastStatusCode  *int                   `json:"lastStatusCode,omitempty"`
	LastAttemptAt   *time.Time             `json:"lastAttemptAt,omitempty"`
	NextAttemptAt   *time.Time             `json:"nextAttemptAt,omitempty"`
	CreatedAt       time.Time              `json:"createdAt"`
	CompletedAt     *time.Time             `json:"completedAt,omitempty"`
	// CarrierDeliveryID is the alert group message that carried a grouped alert.
	CarrierDeliveryID *string       `json:"carrierDeliveryId,omitempty"`
	AttemptLog        []AttemptView `json:"attemptLog,omitempty"`
}

func newDeliveryView(d store.Delivery) DeliveryView {
	return DeliveryView{
		ID: d.ID, EventID: d.EventID, IntegrationID: d.IntegrationID, IntegrationName: d.IntegrationName,
		IntegrationType: d.IntegrationType, Status: d.Status, Reason: d.Reason, Attempts: d.AttemptCount,
		LastStatusCode: d.LastStatusCode, LastAttemptAt: d.LastAttemptAt, NextAttemptAt: d.NextAttemptAt,
		CreatedAt: d.CreatedAt, CompletedAt: d.CompletedAt, CarrierDeliveryID: d.CarrierDeliveryID,
	}
}

// RequestView is the request an attempt sent.
type RequestView struct {
	Method  string              `json:"method"`
	URL     string              `json:"url"`
	Headers map[string][]string `json:"headers"`
	Body    string              `json:"body"`
}

// ResponseView is the answer an attempt got.
type ResponseView struct {
	Status        int                 `json:"status"`
	Headers       map[string][]string `json:"headers"`
	Body          string              `json:"body"`
	BodyTruncated bool                `json:"bodyTruncated,omitempty"`
}

// AttemptView is one attempt as the API shows it.
type AttemptView struct {
	AttemptNo    int            `json:"attemptNo"`
	Trigger      herald.Trigger `json:"trigger"`
	Outcome      herald.Outcome `json:"outcome"`
	Reason       string         `json:"reason"`
	StartedAt    time.Time      `json:"startedAt"`
	DurationMS   int            `json:"durationMs"`
	Request      RequestView    `json:"request"`
	Response     *ResponseView  `json:"response"`
	Error        string         `json:"error,omitempty"`
	RetryAfterMS *int64         `json:"retryAfterMs,omitempty"`
}

func newAttemptView(a store.Attempt) AttemptView {
	v := AttemptView{
		AttemptNo: a.AttemptNo, Trigger: a.Trigger, Outcome: a.Outcome, Reason: a.Reason, StartedAt: a.StartedAt,
		DurationMS: a.DurationMS, Error: a.Error, RetryAfterMS: a.RetryAfterMS,
		Request: RequestView{Method: a.RequestMethod, URL: redact.URL(a.RequestURL), Headers: a.RequestHeaders, Body: a.RequestBody},
	}
	if a.ResponseStatus != nil {
		v.Response = &ResponseView{Status: *a.ResponseStatus, Headers: a.ResponseHeaders,
			Body: a.ResponseBody, BodyTruncated: a.ResponseBodyTruncated}
	}
	return v
}
