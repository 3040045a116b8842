// Package contract is how the rest of Herald talks to its workflows: workflow
// names and ids, signal names, the inputs, signals and results they carry, and
// the client calls that start and signal them. Nothing here carries a secret.
package contract

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/heraldhq/herald"
)

// Workflow names.
const (
	EventWorkflow      = "EventWorkflow"
	DisableWorkflow    = "DisableWorkflow"
	RecoveryWorkflow   = "RecoveryWorkflow"
	BulkResendWorkflow = "BulkResendWorkflow"
	ProbeWorkflow      = "ProbeWorkflow"
	TestWorkflow       = "TestWorkflow"
	AlertGroupWorkflow = "AlertGroupWorkflow"
	RetentionWorkflow  = "RetentionWorkflow"
	ReplayWorkflow     = "ReplayWorkflow"
)

// Signal names of EventWorkflow.
const (
	// SignalResend (ResendSignal): attempt a delivery now, by hand.
	SignalResend = "resend"
	// SignalRecovered (RecoveredSignal): an integration answers again; retry its
	// deliveries waiting on backoff now.
	SignalRecovered = "recovered"
	// SignalTurn (TurnSignal): the delivery ahead of one to a fifo
	// integration has ended; its turn has come.
	SignalTurn = "turn"
)

// QueryProgress is BulkResendWorkflow's progress query (BulkResendProgress).
const QueryProgress = "progress"

// EventWorkflowID is the workflow id of an event: one workflow per (team, event
// id), which is what makes a repeated event id a no-op.
func EventWorkflowID(teamID, eventID string) string { return "event/" + teamID + "/" + eventID }

// TeamOfWorkflowID is the team a workflow belongs to, read from its id, or ""
// for workflows of no one team (an integration's disable, recovery and probe).
// The payload codec binds each payload to it.
func TeamOfWorkflowID(id string) string {
	kind, rest, ok := strings.Cut(id, "/")
	if !ok {
		return ""
	}
	switch kind {
	case "event", "resend", "alerts", "replay":
		team, _, ok := strings.Cut(rest, "/")
		if ok {
			return team
		}
	}
	return ""
}

// DisableWorkflowID: one disable at a time per integration.
func DisableWorkflowID(integrationID string) string {
	return "integration/" + integrationID + "/disable"
}

// RecoveryWorkflowID: one recovery at a time per integration.
func RecoveryWorkflowID(integrationID string) string {
	return "integration/" + integrationID + "/recover"
}

// ProbeWorkflowID: one recovery probe at a time per integration.
func ProbeWorkflowID(integrationID string) string { return "integration/" + integrationID + "/probe" }

// BulkResendWorkflowID names a bulk resend of a team.
func BulkResendWorkflowID(teamID, id string) string { return "resend/" + teamID + "/" + id }

// EventInput is an accepted event.
type EventInput struct {
	TeamID     string          `json:"teamId"`
	EventID    string          `json:"eventId"`
	Type       string          `json:"type"`
	ProjectID  string          `json:"projectId"`
	Data       json.RawMessage `json:"data,omitempty"`
	ReceivedAt time.Time       `json:"receivedAt"`
	// ResendOnly: started by a resend after the event's workflow had closed; the
	// event and its deliveries are loaded from Postgres, nothing is matched.
	ResendOnly bool `json:"resendOnly"`
	// ExcludeIntegrationID is never delivered to (the subject of integration:disabled).
	ExcludeIntegrationID string `json:"excludeIntegrationId"`
	// OnlyIntegrationID delivers to this integration alone, whatever its
	// subscriptions (an alert group's message), carrying Carries: the
	// deliveries of the alerts it sums up.
	OnlyIntegrationID string   `json:"onlyIntegrationId"`
	Carries           []string `json:"carries"`
	// Trigger is the trigger of the attempts made on schedule (empty:
	// auto; a replay's run: replay); Again, for a replay, delivers again
	// what the integration has had already.
	Trigger herald.Trigger `json:"trigger,omitempty"`
	Again   bool           `json:"again,omitempty"`
	// ResendOf is the run a resend-only run follows (the event's closed
	// run), so the Web UI shows where it comes from.
	ResendOf string `json:"resendOf,omitempty"`
}

// Alert groups.
const (
	// SignalAlert (AlertSignal): another alert of the group.
	SignalAlert = "alert"
	// SignalResolve: the alert was resolved; flush what is held and close.
	SignalResolve = "resolve"
)

// AlertGroupWorkflowID names the group of an integration's alerts.
func AlertGroupWorkflowID(teamID, integrationID, key string) string {
	return "alerts/" + teamID + "/" + integrationID + "/" + key
}

// AlertSignal is one alert joining its group.
type AlertSignal struct {
	DeliveryID string    `json:"deliveryId"`
	EventID    string    `json:"eventId"`
	Type       string    `json:"type"`
	ReceivedAt time.Time `json:"receivedAt"`
}

// AlertGroupInput starts (or continues) a group.
type AlertGroupInput struct {
	TeamID         string        `json:"teamId"`
	IntegrationID  string        `json:"integrationId"`
	Key            string        `json:"key"`
	GroupWait      time.Duration `json:"groupWait"`
	RepeatInterval time.Duration `json:"repeatInterval"`
	// Held are alerts received and not sent yet; Repeating is set once the
	// first message went (the group then only sends summaries); Sent counts
	// messages, for their event ids.
	Held      []AlertSignal `json:"held"`
	Repeating bool          `json:"repeating"`
	Sent      int           `json:"sent"`
}

// EventStatus is the overall state of an event's deliveries, kept in the
// HeraldDeliveryStatus search attribute and EventResult.
type EventStatus string

// Event statuses.
const (
	StatusDelivering EventStatus = "delivering"
	StatusDelivered  EventStatus = "delivered"
	StatusPartial    EventStatus = "partial"
	StatusFailed     EventStatus = "failed"
	StatusNone       EventStatus = "none"
	StatusSkipped    EventStatus = "skipped"
)

// Counts are an event's deliveries counted by where they stand.
type Counts struct {
	Total     int `db:"total"`
	Delivered int `db:"delivered"` // delivered, or carried in an alert group's message
	Failed    int `db:"failed"`
	Open      int `db:"open"` // pending or retrying
	Skipped   int `db:"skipped"`
}

// Count adds a delivery in status to the counts.
func (c *Counts) Count(status herald.DeliveryStatus) {
	c.Total++
	switch status {
	case herald.DeliveryDelivered, herald.DeliveryGrouped:
		c.Delivered++ // a grouped alert is handled: its group's message carries it
	case herald.DeliveryFailed:
		c.Failed++
	case herald.DeliverySkipped:
		c.Skipped++
	default:
		c.Open++
	}
}

// Summarize is where an event's deliveries stand, in a word: the one rule
// for the workflow's search attribute, the API and the console.
func Summarize(c Counts) EventStatus {
	switch {
	case c.Total == 0:
		return StatusNone // no integration subscribed
	case c.Open > 0:
		return StatusDelivering // some wait for an attempt
	case c.Failed > 0 && c.Delivered > 0:
		return StatusPartial // some arrived, some failed
	case c.Failed > 0:
		return StatusFailed // none arrived, some failed
	case c.Delivered > 0:
		return StatusDelivered // every one that could arrived
	}
	return StatusSkipped // only disabled integrations matched
}

// DeliveryEnd is how one delivery ended.
type DeliveryEnd struct {
	DeliveryID    string                `json:"deliveryId"`
	IntegrationID string                `json:"integrationId"`
	Status        herald.DeliveryStatus `json:"status"`
	Reason        string                `json:"reason"`
}

// EventResult is EventWorkflow's result.
type EventResult struct {
	Status     EventStatus   `json:"status"`
	Deliveries []DeliveryEnd `json:"deliveries"`
}

// ResendSignal asks for one manual attempt of a delivery.
type ResendSignal struct {
	DeliveryID string `json:"deliveryId"`
}

// RecoveredSignal says an integration answers again.
type RecoveredSignal struct {
	IntegrationID string `json:"integrationId"`
}

// TurnSignal wakes a delivery waiting for its turn.
type TurnSignal struct {
	DeliveryID string `json:"deliveryId"`
}

// DisableInput disables an integration.
type DisableInput struct {
	IntegrationID string `json:"integrationId"`
	Reason        string `json:"reason"`
	// By is who disabled it: "herald" for automatic disables, else a key id.
	By string `json:"by"`
	// Via is the door it came through (api, console, cli) for the audit log.
	Via string `json:"via"`
}

// DisabledByHerald marks automatic disables.
const DisabledByHerald = "herald"

// DisableResult says what DisableWorkflow did.
type DisableResult struct {
	// Changed is false when the integration was disabled already.
	Changed bool `json:"changed"`
	// EventID is the integration:disabled event emitted (when Changed).
	EventID string `json:"eventId"`
}

// RecoveryInput retries an integration's waiting deliveries.
type RecoveryInput struct {
	IntegrationID string `json:"integrationId"`
	// RatePerSecond paces the retries so the receiver is not flooded.
	RatePerSecond float64 `json:"ratePerSecond"`
}

// ReplayWorkflowID names a replay of a team.
func ReplayWorkflowID(teamID, id string) string { return "replay/" + teamID + "/" + id }

// ReplayEventWorkflowID names the run that delivers one past event to the
// integration a replay is for: an event workflow of its own, beside the
// event's (whose team the codec reads from the id, as for the event's).
func ReplayEventWorkflowID(teamID, eventID, replayID string) string {
	return EventWorkflowID(teamID, eventID) + "/replay/" + replayID
}

// ReplayInput re-delivers a team's past events to one integration.
type ReplayInput struct {
	TeamID        string    `json:"teamId"`
	IntegrationID string    `json:"integrationId"`
	ReplayID      string    `json:"replayId"`
	Since         time.Time `json:"since"`
	// Until is the end of the range (zero: when the replay was asked for).
	Until time.Time `json:"until"`
	// Patterns narrow the integration's own event types (none: all of them).
	Patterns []string `json:"patterns,omitempty"`
	// Again delivers events the integration has had already.
	Again         bool    `json:"again,omitempty"`
	RatePerSecond float64 `json:"ratePerSecond"`
	// Carried across continue-as-new.
	Cursor   ReplayCursor   `json:"cursor"`
	Progress ReplayProgress `json:"progress"`
}

// ReplayCursor is the last event a replay went past (events go in the order
// they were received).
type ReplayCursor struct {
	ReceivedAt time.Time `json:"receivedAt"`
	EventID    string    `json:"eventId"`
}

// ReplayProgress answers QueryProgress of a replay: of Total past events of
// the range its integration subscribes to, Done were gone through, Started
// of them given a delivery (the others it had, or its filter turns away).
type ReplayProgress struct {
	Total   int `json:"total"`
	Done    int `json:"done"`
	Started int `json:"started"`
}

// BulkResendInput resends an integration's deliveries matching a filter.
type BulkResendInput struct {
	TeamID        string                `json:"teamId"`
	IntegrationID string                `json:"integrationId"`
	Status        herald.DeliveryStatus `json:"status"`
	Since         time.Time             `json:"since"`
	RatePerSecond float64               `json:"ratePerSecond"`
	// Carried across continue-as-new.
	Cursor string `json:"cursor"`
	Sent   int    `json:"sent"`
	Total  int    `json:"total"`
}

// BulkResendProgress answers QueryProgress.
type BulkResendProgress struct {
	Total int  `json:"total"`
	Sent  int  `json:"sent"`
	Done  bool `json:"done"`
}

// ProbeInput probes a disabled integration until it answers.
type ProbeInput struct {
	IntegrationID string `json:"integrationId"`
	// For tests: the first delay and the give-up horizon (0: 1 min and 72 h).
	FirstDelay  time.Duration `json:"firstDelay"`
	GiveUpAfter time.Duration `json:"giveUpAfter"`
}

// TestInput sends a test notification to an integration.
type TestInput struct {
	IntegrationID string `json:"integrationId"`
	// Confirmation words the message as the welcome sent when an integration is created.
	Confirmation bool `json:"confirmation"`
}

// TestResult is how a test notification fared.
type TestResult struct {
	Delivered bool           `json:"delivered"`
	Outcome   herald.Outcome `json:"outcome"`
	Reason    string         `json:"reason"`
	// DeliveryID is the send in the integration's log (its request and answer).
	DeliveryID string `json:"deliveryId,omitempty"`
}

// RetentionScheduleID is the daily schedule of RetentionWorkflow.
const RetentionScheduleID = "herald-retention"

// RetentionInput prunes what is older than Retention.
type RetentionInput struct {
	Retention time.Duration `json:"retention"`
	// AuditRetention is how long audit log entries are kept (0: forever;
	// schedules made before the audit log carry none).
	AuditRetention time.Duration `json:"auditRetention"`
}
