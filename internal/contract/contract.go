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
	case "event", "resend", "alerts":
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
	TeamID     string
	EventID    string
	Type       string
	ProjectID  string
	Data       json.RawMessage
	ReceivedAt time.Time
	// ResendOnly: started by a resend after the event's workflow had closed; the
	// event and its deliveries are loaded from Postgres, nothing is matched.
	ResendOnly bool
	// ExcludeIntegrationID is never delivered to (the subject of integration:disabled).
	ExcludeIntegrationID string
	// OnlyIntegrationID delivers to this integration alone, whatever its
	// subscriptions (an alert group's message), carrying Carries: the
	// deliveries of the alerts it sums up.
	OnlyIntegrationID string
	Carries           []string
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
	DeliveryID string
	EventID    string
	Type       string
	ReceivedAt time.Time
}

// AlertGroupInput starts (or continues) a group.
type AlertGroupInput struct {
	TeamID         string
	IntegrationID  string
	Key            string
	GroupWait      time.Duration
	RepeatInterval time.Duration
	// Held are alerts received and not sent yet; Repeating is set once the
	// first message went (the group then only sends summaries); Sent counts
	// messages, for their event ids.
	Held      []AlertSignal
	Repeating bool
	Sent      int
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
)

// DeliveryOutcome is how one delivery ended.
type DeliveryOutcome struct {
	DeliveryID    string
	IntegrationID string
	Status        herald.DeliveryStatus
	Reason        string
}

// EventResult is EventWorkflow's result.
type EventResult struct {
	Status     EventStatus
	Deliveries []DeliveryOutcome
}

// ResendSignal asks for one manual attempt of a delivery.
type ResendSignal struct {
	DeliveryID string
}

// RecoveredSignal says an integration answers again.
type RecoveredSignal struct {
	IntegrationID string
}

// TurnSignal wakes a delivery waiting for its turn.
type TurnSignal struct {
	DeliveryID string
}

// DisableInput disables an integration.
type DisableInput struct {
	IntegrationID string
	Reason        string
	// By is who disabled it: "herald" for automatic disables, else a key id.
	By string
	// Via is the door it came through (api, console, cli) for the audit log.
	Via string
}

// DisabledByHerald marks automatic disables.
const DisabledByHerald = "herald"

// DisableResult says what DisableWorkflow did.
type DisableResult struct {
	// Changed is false when the integration was disabled already.
	Changed bool
	// EventID is the integration:disabled event emitted (when Changed).
	EventID string
}

// RecoveryInput retries an integration's waiting deliveries.
type RecoveryInput struct {
	IntegrationID string
	// RatePerSecond paces the retries so the receiver is not flooded.
	RatePerSecond float64
}

// BulkResendInput resends an integration's deliveries matching a filter.
type BulkResendInput struct {
	TeamID        string
	IntegrationID string
	Status        herald.DeliveryStatus
	Since         time.Time
	RatePerSecond float64
	// Carried across continue-as-new.
	Cursor string
	Sent   int
	Total  int
}

// BulkResendProgress answers QueryProgress.
type BulkResendProgress struct {
	Total int  `json:"total"`
	Sent  int  `json:"sent"`
	Done  bool `json:"done"`
}

// ProbeInput probes a disabled integration until it answers.
type ProbeInput struct {
	IntegrationID string
	// For tests: the first delay and the give-up horizon (0: 1 min and 72 h).
	FirstDelay  time.Duration
	GiveUpAfter time.Duration
}

// TestInput sends a test notification to an integration.
type TestInput struct {
	IntegrationID string
	// Confirmation words the message as the welcome sent when an integration is created.
	Confirmation bool
}

// TestResult is how a test notification fared.
type TestResult struct {
	Delivered bool           `json:"delivered"`
	Outcome   herald.Outcome `json:"outcome"`
	Reason    string         `json:"reason"`
}

// RetentionScheduleID is the daily schedule of RetentionWorkflow.
const RetentionScheduleID = "herald-retention"

// RetentionInput prunes what is older than Retention.
type RetentionInput struct {
	Retention time.Duration
	// AuditRetention is how long audit log entries are kept (0: forever;
	// schedules made before the audit log carry none).
	AuditRetention time.Duration
}
