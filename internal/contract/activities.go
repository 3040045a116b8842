package contract

// The inputs and results of Herald's activities: they travel through
// workflow history, so their Go field names (the JSON keys) do not change.

import (
	"encoding/json"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/health"
	"github.com/heraldhq/herald/internal/pacing"
	"github.com/heraldhq/herald/internal/retry"
)

// Activity type names: the methods of activities.Activities, registered by
// name (the worker registers the struct), so workflows name them without
// importing the package that touches Postgres and the network. They are in
// recorded histories: never rename one.
const (
	ActivityRecordEvent        = "RecordEvent"
	ActivityFinishDelivery     = "FinishDelivery"
	ActivityDeliver            = "Deliver"
	ActivityBuildGroupMessage  = "BuildGroupMessage"
	ActivityCountDeliveries    = "CountDeliveries"
	ActivityResendPage         = "ResendPage"
	ActivityDisableIntegration = "DisableIntegration"
	ActivityEnableIntegration  = "EnableIntegration"
	ActivityProbe              = "Probe"
	ActivityRecoverWaiting     = "RecoverWaiting"
	ActivityPruneOld           = "PruneOld"
	ActivityTestIntegration    = "TestIntegration"
	ActivityReserveSlot        = "ReserveSlot"
	ActivityAwaitTurn          = "AwaitTurn"
	ActivityPassTurn           = "PassTurn"
	ActivityReplayPage         = "ReplayPage"
)

// ActivityNames lists every activity type above.
var ActivityNames = []string{ActivityRecordEvent, ActivityFinishDelivery, ActivityDeliver, ActivityBuildGroupMessage, ActivityCountDeliveries, ActivityResendPage, ActivityDisableIntegration, ActivityEnableIntegration, ActivityProbe, ActivityRecoverWaiting, ActivityPruneOld, ActivityTestIntegration, ActivityReserveSlot, ActivityAwaitTurn, ActivityPassTurn, ActivityReplayPage}

// Error types of activity failures, read by workflows with errors.As.
const (
	// ErrTypeNotFound: the delivery or integration no longer exists; not retried.
	ErrTypeNotFound = "NotFound"
	// ErrTypeUnsendable: the attempt's request cannot be made (its channel
	// is unknown, or the message does not render); trying again makes the
	// same failure, so it is not retried.
	ErrTypeUnsendable = "Unsendable"
)

// FinalErrorTypes are the activity failures no retry can mend.
var FinalErrorTypes = []string{ErrTypeNotFound, ErrTypeUnsendable}

// PlannedDelivery is a delivery the workflow must run (or account for).
type PlannedDelivery struct {
	DeliveryID    string `json:"deliveryId"`
	IntegrationID string `json:"integrationId"`
	// IntegrationName names it in the Web UI's current details (histories
	// from before it have none: the id is shown).
	IntegrationName string                `json:"integrationName,omitempty"`
	Status          herald.DeliveryStatus `json:"status"`
	AttemptCount    int                   `json:"attemptCount"`
	// Retry is the schedule: the integration's own, else the default.
	Retry retry.Policy `json:"retry"`
	// AttemptTimeout bounds one HTTP attempt.
	AttemptTimeout time.Duration `json:"attemptTimeout"`
	// Group is set for an alert held by its group: the workflow hands it to
	// the group instead of delivering it.
	Group *GroupPlan `json:"group"`
	// Resolve is set for an event that resolves an alert: it is delivered at
	// once and closes the group.
	Resolve *GroupPlan `json:"resolve"`
	// Pace is how the integration is paced, capped and ordered.
	Pace Pace `json:"pace"`
	// LocalAttempts: attempts run as local activities inside the workflow
	// task (the fast path), falling back to an activity.
	LocalAttempts bool `json:"localAttempts"`
}

// Pace is an integration's delivery control as a delivery's workflow uses it.
type Pace struct {
	// Channel is the integration's type (metrics label).
	Channel herald.IntegrationType `json:"channel"`
	// Limit is the send rate; zero is unpaced.
	Limit pacing.Limit `json:"limit"`
	// MaxInFlight caps concurrent requests; 0 is no cap.
	MaxInFlight int `json:"maxInFlight"`
	// FIFO: attempts go in the order the events were received.
	FIFO bool `json:"fifo"`
}

// ReserveInput asks for the next send slot of an integration.
type ReserveInput struct {
	DeliveryID    string `json:"deliveryId"`
	IntegrationID string `json:"integrationId"`
	Pace          Pace   `json:"pace"`
}

// TurnInput asks whether a delivery to a fifo integration may go.
type TurnInput struct {
	DeliveryID    string                 `json:"deliveryId"`
	IntegrationID string                 `json:"integrationId"`
	Channel       herald.IntegrationType `json:"channel"`
	// WaitedFor is how long it has waited for its turn already.
	WaitedFor time.Duration `json:"waitedFor"`
}

// Turn says whether a delivery may go, and if not, for how long it may wait.
type Turn struct {
	Go bool `json:"go"`
	// OutOfOrder: it goes past an earlier delivery that is still open,
	// because it waited the head-of-line limit.
	OutOfOrder bool `json:"outOfOrder"`
	// Ahead is the delivery it waits behind.
	Ahead string `json:"ahead"`
	// Wait is the rest of the head-of-line limit.
	Wait time.Duration `json:"wait"`
}

// GroupPlan names an alert group and its timing.
type GroupPlan struct {
	WorkflowID     string        `json:"workflowId"`
	Key            string        `json:"key"`
	GroupWait      time.Duration `json:"groupWait"`
	RepeatInterval time.Duration `json:"repeatInterval"`
}

// Schedule is where an attempt stands in its delivery's retry schedule.
type Schedule struct {
	// Attempt is the 1-based number of this attempt in the schedule.
	Attempt int          `json:"attempt"`
	Policy  retry.Policy `json:"policy"`
	// Throttled is how long the delivery has waited on rate limits so far:
	// up to MaxThrottled, a 429 is waited out without using an attempt.
	Throttled time.Duration `json:"throttled"`
}

// MaxThrottled bounds the time one delivery waits out rate limits (429s)
// without using up its attempts: past it, each 429 counts as a failed
// attempt of the schedule.
const MaxThrottled = time.Hour

// DeliverInput names the delivery and the attempt; everything else is loaded
// from Postgres.
type DeliverInput struct {
	DeliveryID string         `json:"deliveryId"`
	AttemptNo  int            `json:"attemptNo"`
	Trigger    herald.Trigger `json:"trigger"`
	// Schedule is nil for a one-off manual attempt at a finished delivery.
	Schedule *Schedule `json:"schedule"`
	// Pace is the integration's delivery control: the attempt checks its
	// send slot and takes a place in flight before the request goes.
	Pace Pace `json:"pace"`
	// SendSlotHeld: the previous call reserved this attempt's send slot and
	// the workflow has waited for it.
	SendSlotHeld bool `json:"sendSlotHeld"`
}

// DeliverResult is one attempt's outcome and what follows from it.
type DeliverResult struct {
	AttemptNo int `json:"attemptNo"`
	// Outcome is empty when no request was made (the integration is disabled).
	Outcome herald.Outcome        `json:"outcome"`
	Status  herald.DeliveryStatus `json:"status"`
	Reason  string                `json:"reason"`
	// Delay is the wait before the next scheduled attempt (Status retrying).
	Delay time.Duration `json:"delay"`
	// RetryAfter is the part of Delay the receiver asked for (Retry-After):
	// only a manual resend may come sooner, not an integration's recovery.
	RetryAfter time.Duration `json:"retryAfter"`
	// Decision is what the integration's health asks the workflow to do.
	Decision health.Decision `json:"decision"`
	// Paced: no request was made; the integration's pace or its cap on
	// requests in flight says to wait Delay and try the same attempt again.
	Paced bool `json:"paced"`
	// WaitingFor says what a paced result waits for (WaitSlot, WaitInFlight).
	WaitingFor WaitingFor `json:"waitingFor"`
	// SlotHeld: the paced result reserved the attempt's send slot; the next
	// call, after Delay, goes without reserving again.
	SlotHeld bool `json:"slotHeld"`
}

// WaitingFor is what a delivery waits for before its next attempt.
type WaitingFor string

// What a delivery waits for: its integration's send rate, a place among its
// requests in flight, or its turn behind an earlier delivery (fifo).
const (
	WaitSlot     WaitingFor = "slot"
	WaitInFlight WaitingFor = "in-flight"
	WaitTurn     WaitingFor = "turn"
)

// FinishInput sets a delivery's final status.
type FinishInput struct {
	DeliveryID string                `json:"deliveryId"`
	Status     herald.DeliveryStatus `json:"status"`
	Reason     string                `json:"reason"`
}

// GroupMessageInput is what an alert group is about to send.
type GroupMessageInput struct {
	TeamID  string        `json:"teamId"`
	Key     string        `json:"key"`
	Held    []AlertSignal `json:"held"`
	Summary bool          `json:"summary"` // a summary after the repeat interval, not the first message
}

// GroupMessage is the alert:group event to deliver.
type GroupMessage struct {
	EventID string          `json:"eventId"`
	Data    json.RawMessage `json:"data"`
	// Type is the message's event type: empty for an alert:group message
	// (so histories from before it replay), the alert's own type when the
	// group held one alert, which is then sent as itself.
	Type string `json:"type"`
}

// DisabledIntegration is what DisableIntegration did, without secrets.
type DisabledIntegration struct {
	Changed     bool      `json:"changed"`
	TeamID      string    `json:"teamId"`
	Name        string    `json:"name"`
	DisabledAt  time.Time `json:"disabledAt"`
	AutoRecover bool      `json:"autoRecover"`
	// EventData is the data of the integration:disabled event to emit.
	EventData json.RawMessage `json:"eventData"`
}

// EnabledIntegration is what EnableIntegration did, without secrets.
type EnabledIntegration struct {
	TeamID string `json:"teamId"`
	Name   string `json:"name"`
	// EventData is the data of the integration:recovered event to emit.
	EventData json.RawMessage `json:"eventData"`
}

// ProbeResult is the answer to a test notification.
type ProbeResult struct {
	Outcome herald.Outcome `json:"outcome"`
	Reason  string         `json:"reason"`
	// Disabled is false when the integration was enabled (or deleted) meanwhile:
	// probing has nothing left to do.
	Disabled bool `json:"disabled"`
}

// TestReport is a test notification's outcome and what it means for health.
type TestReport struct {
	Result   TestResult      `json:"result"`
	Decision health.Decision `json:"decision"`
}

// PruneInput is one retention run.
type PruneInput struct {
	// Cutoff: events received before it go, with their deliveries and attempts.
	Cutoff time.Time `json:"cutoff"`
	Batch  int       `json:"batch"`
	// AuditCutoff: audit entries made before it go (zero: none).
	AuditCutoff time.Time `json:"auditCutoff"`
}

// ResendPageInput is one page of a bulk resend.
type ResendPageInput struct {
	Filter DeliveryFilter `json:"filter"`
	// RatePerSecond paces the resends.
	RatePerSecond float64 `json:"ratePerSecond"`
}

// ResendPageResult says how far a page went.
type ResendPageResult struct {
	Sent int `json:"sent"`
	// Last is the id of the last delivery resent (the next page's cursor).
	Last string `json:"last"`
	// More is false when the filter has nothing after Last.
	More bool `json:"more"`
}

// DeliverHeartbeatTimeout is how long Temporal waits for word from a running
// attempt before it takes the worker for dead and retries the attempt
// elsewhere. Without it, an attempt lost with its worker would wait out the
// whole start-to-close timeout (the attempt timeout + 15 s).
const DeliverHeartbeatTimeout = 10 * time.Second

// DeliveryFilter selects an integration's deliveries: the store's query, and
// a bulk resend's page in history.
type DeliveryFilter struct {
	TeamID string `json:"teamId"`
	// IntegrationID, when set, keeps that integration's alone (else the
	// team's, across integrations).
	IntegrationID string `json:"integrationId"`
	// Status and EventType, when set, must match exactly.
	Status    herald.DeliveryStatus `json:"status"`
	EventType string                `json:"eventType"`
	// Statuses, when set, keeps deliveries with any of them (with Status).
	Statuses []herald.DeliveryStatus `json:"statuses,omitempty"`
	// DisabledSkips keeps also the deliveries skipped because their
	// integration was disabled when their attempt came (resending failed
	// deliveries after an enable takes them too).
	DisabledSkips bool `json:"disabledSkips,omitempty"`
	// Channel, when set, keeps deliveries to integrations of that type.
	Channel herald.IntegrationType `json:"channel,omitempty"`
	// Since keeps deliveries created at or after it; Until, before it.
	Since time.Time `json:"since"`
	Until time.Time `json:"until,omitempty"`
	// Before is the cursor: deliveries with a smaller id (older) only.
	Before string `json:"before"`
	// After pages oldest first instead (bulk work); Before is then ignored.
	After string `json:"after"`
	Limit int    `json:"limit"`
}

// ReplayPageResult says how far a page of a replay went.
type ReplayPageResult struct {
	Done    int          `json:"done"`
	Started int          `json:"started"`
	Last    ReplayCursor `json:"last"`
	More    bool         `json:"more"`
}
