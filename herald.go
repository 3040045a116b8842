// Package herald holds the named types shared by every layer of Herald: the
// kinds of integration, delivery statuses, attempt outcomes and key scopes.
// They are persisted and shown as their string values.
package herald

import (
	"fmt"
	"slices"
)

// IntegrationType is the channel an integration delivers through.
type IntegrationType string

// Integration types.
const (
	IntegrationWebhook IntegrationType = "webhook"
	IntegrationSlack   IntegrationType = "slack"
	IntegrationDiscord IntegrationType = "discord"
	IntegrationTeams   IntegrationType = "teams"
)

// DeliveryStatus is where one (event, integration) delivery stands.
type DeliveryStatus string

// Delivery statuses.
const (
	// DeliveryPending: created, no attempt finished yet.
	DeliveryPending DeliveryStatus = "pending"
	// DeliveryRetrying: the last attempt failed and another is scheduled.
	DeliveryRetrying DeliveryStatus = "retrying"
	// DeliveryDelivered: an attempt succeeded.
	DeliveryDelivered DeliveryStatus = "delivered"
	// DeliveryFailed: no attempt succeeded and none is scheduled (see Reason).
	DeliveryFailed DeliveryStatus = "failed"
	// DeliverySkipped: the integration was disabled when the event arrived.
	DeliverySkipped DeliveryStatus = "skipped"
	// DeliveryGrouped: an alert held by its group and sent in the group's
	// message (the carrier delivery).
	DeliveryGrouped DeliveryStatus = "grouped"
)

// FinalStatuses are the statuses after which no automatic attempt is made.
var FinalStatuses = []DeliveryStatus{DeliveryDelivered, DeliveryFailed, DeliverySkipped, DeliveryGrouped}

// Final reports whether no further automatic attempt will be made.
func (s DeliveryStatus) Final() bool {
	return slices.Contains(FinalStatuses, s)
}

// Outcome is what one attempt's answer means for the delivery.
type Outcome string

// Attempt outcomes (README.md, "Failures, health and resending"; the table
// internal/channels/classify.go applies).
const (
	// OutcomeDelivered: the receiver accepted the notification.
	OutcomeDelivered Outcome = "delivered"
	// OutcomeRetry: a transient failure; try again later.
	OutcomeRetry Outcome = "retry"
	// OutcomeThrottled: the receiver asked Herald to slow down (429 and its
	// kin): tried again after its Retry-After. Not a failure: it counts
	// toward neither the integration's health nor the delivery's attempts.
	OutcomeThrottled Outcome = "throttled"
	// OutcomePermanent: the receiver rejected this notification; retrying will not help.
	OutcomePermanent Outcome = "permanent"
	// OutcomeGone: the endpoint no longer exists; disable the integration.
	OutcomeGone Outcome = "gone"
)

// Ordering is how an integration's deliveries are ordered.
type Ordering string

// Orderings: none (each delivery goes as soon as it can) or fifo (attempts in
// the order the events arrived).
const (
	OrderingNone Ordering = "none"
	OrderingFIFO Ordering = "fifo"
)

// Known says whether o is one of the orderings.
func (o Ordering) Known() bool { return o == OrderingNone || o == OrderingFIFO }

// OrNone is o, with none for unset (rows from before ordering existed).
func (o Ordering) OrNone() Ordering {
	if o == "" {
		return OrderingNone
	}
	return o
}

// Health is an integration's state as people see it.
type Health string

// Integration health.
const (
	HealthHealthy  Health = "healthy"
	HealthFailing  Health = "failing"
	HealthDisabled Health = "disabled"
)

// Trigger says what caused an attempt.
type Trigger string

// Attempt triggers.
const (
	TriggerAuto   Trigger = "auto"
	TriggerManual Trigger = "manual"
	// Herald's own sends, recorded like deliveries: a test notification,
	// the confirmation made when an integration is created or its
	// destination changes, and a recovery probe of a disabled integration.
	TriggerTest         Trigger = "test"
	TriggerConfirmation Trigger = "confirmation"
	TriggerProbe        Trigger = "probe"
	// TriggerReplay: a past event delivered again by a replay.
	TriggerReplay Trigger = "replay"
)

// Scope is a permission carried by an API key.
type Scope string

// Key scopes.
const (
	// ScopeIngest: POST /v1/events only.
	ScopeIngest Scope = "ingest"
	// ScopeManage: integrations, events, deliveries, resend, the alert policy.
	ScopeManage Scope = "manage"
	// ScopeOwner: its own team's keys (create with at most its own scopes,
	// list, revoke) and alert policy; nothing of another team.
	ScopeOwner Scope = "owner"
	// ScopeAdmin: the operator's: teams, and keys across teams.
	ScopeAdmin Scope = "admin"
)

// ParseScope accepts the name of a known scope.
func ParseScope(s string) (Scope, error) {
	switch Scope(s) {
	case ScopeIngest, ScopeManage, ScopeOwner, ScopeAdmin:
		return Scope(s), nil
	}
	return "", fmt.Errorf("unknown scope %q (want ingest, manage, owner or admin)", s)
}
