// Package metrics holds Herald's Prometheus metrics and bridges the Temporal
// SDK's worker and client metrics into the same registry.
package metrics

import (
	"context"
	"crypto/subtle"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/uber-go/tally/v4"
	tallyprom "github.com/uber-go/tally/v4/prometheus"
	"go.temporal.io/sdk/client"
	sdktally "go.temporal.io/sdk/contrib/tally"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/channels"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/internal/eventtype"
)

// Metrics is one process's registry and Herald's instruments in it. A nil
// *Metrics records nothing, so code paths need no checks.
type Metrics struct {
	Registry        *prometheus.Registry
	eventsIngested  *prometheus.CounterVec
	eventsShed      prometheus.Counter
	eventsQueued    prometheus.Counter
	deliveries      *prometheus.CounterVec
	attemptDuration *prometheus.HistogramVec
	retryAfter      prometheus.Histogram
	pacedWait       *prometheus.HistogramVec
	throttled       *prometheus.CounterVec
	inFlight        *prometheus.GaugeVec
	ingestErrors    *prometheus.CounterVec
	inFlightMu      sync.Mutex
	inFlightCount   map[string]int
	temporal        client.MetricsHandler
	closeTemporal   func()
}

// New builds a registry with Herald's metrics, the Go runtime's and the
// process's.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		Registry: reg,
		eventsIngested: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "herald_events_ingested_total", Help: "Events accepted by the gateway, by type (types outside the catalogue as <category>:other or other).",
		}, []string{"type"}),
		eventsShed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "herald_events_shed_total", Help: "Events answered 503: neither started (over the ingest limit, or Temporal did not answer in time) nor queued (outbox off or full, or Postgres unreachable).",
		}),
		eventsQueued: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "herald_events_queued_total", Help: "Events accepted over the ingest limit into the outbox, started as the limit allows.",
		}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "herald_deliveries_total", Help: "Deliveries that reached a final state, by channel and outcome (delivered, failed, skipped).",
		}, []string{"channel", "outcome"}),
		attemptDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "herald_delivery_attempt_duration_seconds", Help: "Duration of one HTTP delivery attempt, by channel.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 15},
		}, []string{"channel"}),
		retryAfter: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "herald_retry_after_seconds", Help: "Delays receivers asked for with Retry-After (or Discord's retry_after).",
			Buckets: []float64{1, 5, 15, 30, 60, 300, 900, 3600},
		}),
		pacedWait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "herald_paced_wait_seconds", Help: "Waits of deliveries before an attempt, by channel and what they waited for (slot: the integration's rate; in-flight: its cap on concurrent requests; turn: an earlier delivery of a fifo integration).",
			Buckets: []float64{.1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300},
		}, []string{"channel", "waiting_for"}),
		throttled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "herald_throttled_total", Help: "Answers that asked Herald to slow down (429, Teams' 200-with-429), by channel.",
		}, []string{"channel"}),
		inFlight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "herald_requests_in_flight", Help: "Requests this process has in flight, by integration (a series exists only while one is).",
		}, []string{"integration"}),
		inFlightCount: map[string]int{},
		ingestErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "herald_ingest_errors_total", Help: "Events the gateway refused, by cause (" + strings.Join(causeNames(), ", ") + ").",
		}, []string{"cause"}),
	}
	reg.MustRegister(m.eventsIngested, m.eventsShed, m.eventsQueued, m.deliveries, m.attemptDuration, m.retryAfter,
		m.pacedWait, m.throttled, m.inFlight, m.ingestErrors,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Every series a dashboard or alert reads exists from the start: a rate
	// of 0, not "no data" (deploy/grafana, deploy/prometheus).
	for _, c := range IngestCauses {
		m.ingestErrors.WithLabelValues(string(c))
	}
	for _, ch := range channels.Supported() {
		for _, o := range []herald.DeliveryStatus{herald.DeliveryDelivered, herald.DeliveryFailed, herald.DeliverySkipped} {
			m.deliveries.WithLabelValues(string(ch), string(o))
		}
		for _, w := range []contract.WaitingFor{contract.WaitSlot, contract.WaitInFlight, contract.WaitTurn} {
			m.pacedWait.WithLabelValues(string(ch), string(w))
		}
		m.attemptDuration.WithLabelValues(string(ch))
		m.throttled.WithLabelValues(string(ch))
	}
	reporter := tallyprom.NewReporter(tallyprom.Options{Registerer: reg})
	scope, closer := tally.NewRootScope(tally.ScopeOptions{
		CachedReporter:  reporter,
		Separator:       tallyprom.DefaultSeparator,
		SanitizeOptions: &sdktally.PrometheusSanitizeOptions,
	}, time.Second)
	m.temporal = sdktally.NewMetricsHandler(scope)
	m.closeTemporal = func() { _ = closer.Close() }
	return m
}

// Temporal is the SDK metrics handler reporting into this registry.
func (m *Metrics) Temporal() client.MetricsHandler {
	if m == nil {
		return nil
	}
	return m.temporal
}

// Close flushes the SDK metrics bridge.
func (m *Metrics) Close() {
	if m != nil {
		m.closeTemporal()
	}
}

// Handler serves the registry in the Prometheus text format. With a token,
// only requests that present it as "Authorization: Bearer <token>" are
// answered; the rest get 401 and learn nothing.
func (m *Metrics) Handler(token string) http.Handler {
	return RequireToken(token, promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry}))
}

// RequireToken answers only requests bearing token (none needed when empty).
func RequireToken(token string, h http.Handler) http.Handler {
	if token == "" {
		return h
	}
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, "metrics need the token set in HERALD_METRICS_TOKEN", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// EventIngested counts an accepted event under eventtype.Label, so senders
// cannot grow the label set: types outside the catalogue are folded into
// "<category>:other" or "other".
func (m *Metrics) EventIngested(typ string) {
	if m == nil {
		return
	}
	m.eventsIngested.WithLabelValues(eventtype.Label(typ)).Inc()
}

// EventQueued counts an event accepted into the outbox.
func (m *Metrics) EventQueued() {
	if m == nil {
		return
	}
	m.eventsQueued.Inc()
}

// EventShed counts an event turned away because the gateway was at its ingest concurrency.
func (m *Metrics) EventShed() {
	if m == nil {
		return
	}
	m.eventsShed.Inc()
}

// DeliveryFinished counts a delivery that reached a final state.
func (m *Metrics) DeliveryFinished(channel, outcome string) {
	if m != nil {
		m.deliveries.WithLabelValues(channel, outcome).Inc()
	}
}

// Attempt records an attempt's duration and any delay the receiver asked for.
func (m *Metrics) Attempt(channel string, d, retryAfter time.Duration) {
	if m == nil {
		return
	}
	m.attemptDuration.WithLabelValues(channel).Observe(d.Seconds())
	if retryAfter > 0 {
		m.retryAfter.Observe(retryAfter.Seconds())
	}
}

// PacedWait records a delivery's wait for its slot, its turn or a place in flight.
func (m *Metrics) PacedWait(channel string, waitingFor contract.WaitingFor, d time.Duration) {
	if m != nil {
		m.pacedWait.WithLabelValues(channel, string(waitingFor)).Observe(d.Seconds())
	}
}

// Throttled counts an answer that asked Herald to slow down.
func (m *Metrics) Throttled(channel string) {
	if m != nil {
		m.throttled.WithLabelValues(channel).Inc()
	}
}

// InFlight moves an integration's count of requests in flight by delta; the
// series goes away at zero, so idle integrations cost nothing.
func (m *Metrics) InFlight(integrationID string, delta int) {
	if m == nil {
		return
	}
	m.inFlightMu.Lock()
	defer m.inFlightMu.Unlock()
	n := m.inFlightCount[integrationID] + delta
	if n <= 0 {
		delete(m.inFlightCount, integrationID)
		m.inFlight.DeleteLabelValues(integrationID)
		return
	}
	m.inFlightCount[integrationID] = n
	m.inFlight.WithLabelValues(integrationID).Set(float64(n))
}

// IngestCause is why the gateway refused an event.
type IngestCause string

// Causes of refused events.
const (
	// IngestInvalid: the body or the event is not what the API takes (400).
	IngestInvalid IngestCause = "invalid"
	// IngestSchema: the data does not match its type's schema (validateData, 400).
	IngestSchema IngestCause = "schema"
	// IngestUnauthenticated: no key, or an unknown or revoked one (401).
	IngestUnauthenticated IngestCause = "unauthenticated"
	// IngestForbidden: a key without the ingest scope (403).
	IngestForbidden IngestCause = "forbidden"
	// IngestTooLarge: a body or batch over the limit (413).
	IngestTooLarge IngestCause = "too_large"
	// IngestRateLimited: the key's rate was exceeded (429).
	IngestRateLimited IngestCause = "rate_limited"
	// IngestUnavailable: neither started nor queued (503; also counted in herald_events_shed_total).
	IngestUnavailable IngestCause = "unavailable"
	// IngestInternal: anything else (5xx).
	IngestInternal IngestCause = "internal"
)

// IngestCauses are every cause, each exported from the start at 0.
var IngestCauses = []IngestCause{IngestInvalid, IngestSchema, IngestUnauthenticated, IngestForbidden,
	IngestTooLarge, IngestRateLimited, IngestUnavailable, IngestInternal}

func causeNames() []string {
	out := make([]string, len(IngestCauses))
	for i, c := range IngestCauses {
		out[i] = string(c)
	}
	return out
}

// IngestError counts one refused event.
func (m *Metrics) IngestError(cause IngestCause) {
	if m == nil {
		return
	}
	m.ingestErrors.WithLabelValues(string(cause)).Inc()
}

// DeliveryCounter counts deliveries not yet final, by status.
type DeliveryCounter func(ctx context.Context) (map[string]int, error)

// WatchDeliveries exports herald_deliveries_waiting{status} (pending,
// retrying, grouped), counted at each scrape.
func (m *Metrics) WatchDeliveries(count DeliveryCounter) {
	m.Registry.MustRegister(&countCollector{count: count, labels: []string{string(herald.DeliveryPending), string(herald.DeliveryRetrying), string(herald.DeliveryGrouped)},
		desc: prometheus.NewDesc("herald_deliveries_waiting", "Deliveries not yet final, by status: pending (not attempted yet), retrying (waiting for their next attempt), grouped (held by an alert group).", []string{"status"}, nil)})
}

// IntegrationCounter counts integrations by health status.
type IntegrationCounter func(ctx context.Context) (map[string]int, error)

// WatchIntegrations exports herald_integrations{status}, counted at each scrape.
func (m *Metrics) WatchIntegrations(count IntegrationCounter) {
	m.Registry.MustRegister(&countCollector{count: count, labels: []string{string(herald.HealthHealthy), string(herald.HealthFailing), string(herald.HealthDisabled)},
		desc: prometheus.NewDesc("herald_integrations", "Integrations by health status.", []string{"status"}, nil)})
}

// WatchIngestLimit exports the gateway's adaptive ingest limit.
func (m *Metrics) WatchIngestLimit(limit func() float64) {
	m.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "herald_ingest_limit", Help: "Event starts the gateway lets be in flight at once now (adapts to Temporal's start latency).",
	}, limit))
}

// WatchOutbox exports how many accepted events wait in the outbox.
func (m *Metrics) WatchOutbox(depth, setAside func() float64) {
	m.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "herald_outbox_events", Help: "Accepted events waiting in the outbox for their workflow to start.",
	}, depth), prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "herald_outbox_set_aside_events", Help: "Accepted events set aside because their workflow could not be started (GET /v1/events/{id} says why).",
	}, setAside))
}

// countCollector exports counts by status read at each scrape (from
// Postgres), every label present, 0 when none.
type countCollector struct {
	count  func(ctx context.Context) (map[string]int, error)
	labels []string
	desc   *prometheus.Desc
}

func (c *countCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *countCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts, err := c.count(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, err)
		return
	}
	for _, status := range c.labels {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(counts[status]), status)
	}
}
