package openapi

import (
	"reflect"

	"github.com/heraldhq/herald/internal/alerts"
	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/contract"
)

// operation is one route of the API as the document describes it.
type operation struct {
	method, path, id, tag, summary, description string
	// scopes may call it (any one); none: no key (a browser redirect, the
	// document itself).
	scopes []string
	params []param
	// body is the request body's Go type; bodyOptional when it may be left out.
	body         reflect.Type
	bodyOptional bool
	bodyExample  any
	// ok are the answers that are not problems: status → Go type (nil: no body).
	ok map[int]reflect.Type
	// okAnyOf: the 200 is one of these (an event recorded, or still queued).
	okAnyOf []reflect.Type
	// also are the problem statuses this route answers besides the common ones.
	also []int
	// html: the 200/201 may be a page for a browser; redirect: it may answer 302.
	html, redirect bool
}

type param struct {
	name, in, description string
	schema                obj
	required              bool
}

func typeOf[T any]() reflect.Type { return reflect.TypeFor[T]() }

var (
	str       = obj{"type": "string"}
	when      = obj{"type": "string", "format": "date-time"}
	cursor    = param{name: "cursor", in: "query", schema: str, description: "the nextCursor of the previous page"}
	limit     = param{name: "limit", in: "query", schema: obj{"type": "integer", "minimum": 1, "maximum": 200, "default": 50}, description: "how many per page"}
	since     = param{name: "since", in: "query", schema: when, description: "only those at or after this time (RFC 3339)"}
	until     = param{name: "until", in: "query", schema: when, description: "only those before this time (RFC 3339)"}
	statuses  = param{name: "status", in: "query", schema: str, description: "comma-separated delivery statuses: pending, retrying, delivered, failed, skipped, grouped, cancelled"}
	eventType = param{name: "event", in: "query", schema: str, description: "only deliveries of this event type"}
	channel   = param{name: "channel", in: "query", schema: str, description: "only deliveries to integrations of this type: webhook, slack, discord, teams"}
)

func path(name, description string) param {
	return param{name: name, in: "path", required: true, schema: str, description: description}
}

var (
	integrationID = path("id", "the integration's id (int_…)")
	deliveryID    = path("id", "the delivery's id (dlv_…)")
	eventTypeName = path("name", "the event type (category:action)")
)

// seedBuildStart is the seed platform's documented event, verbatim.
var seedBuildStart = obj{"event": "build:start", "data": obj{
	"build": obj{"id": "social-hour-1312", "branch": "master", "pullRequestId": nil, "status": "STARTING",
		"sha": "ca624abed0d5ba0ad6e6fe28c396196b81f0200d", "concluded": false, "createdAt": "2022-01-19T09:04:40.916Z"},
	"service": obj{"id": "website", "name": "Website"},
	"project": obj{"id": "personal-blog", "name": "Personal Blog"},
	"user":    obj{"id": "thomas"}}}

// operations is every /v1 route of the gateway. TestDocumentCoversTheServer
// (test/e2e) fails when the server serves one that is not here, or this
// lists one the server does not serve.
var operations = []operation{
	{method: "POST", path: "/v1/events", id: "postEvent", tag: "Events", scopes: []string{"ingest"},
		summary: "Send an event",
		description: "Starts the event's delivery to every integration of the team that subscribes to its type and project. " +
			"A repeated id (in the body or the Idempotency-Key header) is deduplicated: its 202 says duplicate. " +
			"With the team's validateData on, data that does not match its type's schema is refused with 400 and the JSON pointer of the mismatch.",
		params: []param{{name: "Idempotency-Key", in: "header", schema: str, description: "the event's id, if the body has none"}},
		body:   typeOf[api.EventRequest](), bodyExample: seedBuildStart,
		ok: map[int]reflect.Type{202: typeOf[api.Accepted]()}, also: []int{413, 503}},
	{method: "POST", path: "/v1/events/batch", id: "postEventBatch", tag: "Events", scopes: []string{"ingest"},
		summary:     "Send up to 100 events",
		description: "Each event is validated and started on its own; the answer says, per event, 202 or the problem.",
		body:        typeOf[api.EventBatchRequest](), bodyExample: obj{"events": []any{seedBuildStart}},
		ok: map[int]reflect.Type{207: typeOf[api.Batch]()}, also: []int{413, 503}},
	{method: "GET", path: "/v1/events", id: "listEvents", tag: "Events", scopes: []string{"manage"},
		summary: "List the team's events, newest first, with their outcome",
		params: []param{{name: "type", in: "query", schema: str, description: "only events of this type"},
			{name: "project", in: "query", schema: str, description: "only events of this project id"}, since, until, cursor, limit},
		ok: map[int]reflect.Type{200: typeOf[api.Page[api.EventView]]()}},
	{method: "GET", path: "/v1/events/{id}", id: "getEvent", tag: "Events", scopes: []string{"manage"},
		summary:     "Get an event and its deliveries",
		description: "An event accepted but not yet recorded by its workflow answers with its queue status instead.",
		params:      []param{path("id", "the event's id")},
		okAnyOf:     []reflect.Type{typeOf[api.EventView](), typeOf[api.QueuedEventView]()}},

	{method: "POST", path: "/v1/integrations", id: "createIntegration", tag: "Integrations", scopes: []string{"manage"},
		summary:     "Create an integration",
		description: "A webhook, Slack, Discord or Microsoft Teams destination for the team's events. A chat integration is sent a confirmation; a webhook's generated secret is shown once.",
		body:        typeOf[api.IntegrationRequest](),
		bodyExample: obj{"name": "deploys", "type": "webhook", "url": "https://hooks.example.com/herald", "generateSecret": true,
			"events": []string{"build:*", "deployment:failure"}, "projects": []string{"personal-blog"}},
		ok: map[int]reflect.Type{201: typeOf[api.IntegrationView]()}, also: []int{409}},
	{method: "GET", path: "/v1/integrations", id: "listIntegrations", tag: "Integrations", scopes: []string{"manage"},
		summary: "List the team's integrations", params: []param{cursor, limit},
		ok: map[int]reflect.Type{200: typeOf[api.Page[api.IntegrationView]]()}},
	{method: "GET", path: "/v1/integrations/{id}", id: "getIntegration", tag: "Integrations", scopes: []string{"manage"},
		summary: "Get an integration", params: []param{integrationID},
		ok: map[int]reflect.Type{200: typeOf[api.IntegrationView]()}},
	{method: "PATCH", path: "/v1/integrations/{id}", id: "updateIntegration", tag: "Integrations", scopes: []string{"manage"},
		summary: "Change an integration", description: "Only the fields present change.",
		params: []param{integrationID}, body: typeOf[api.IntegrationRequest](), bodyExample: obj{"events": []string{"build:failure"}},
		ok: map[int]reflect.Type{200: typeOf[api.IntegrationView]()}, also: []int{409}},
	{method: "DELETE", path: "/v1/integrations/{id}", id: "deleteIntegration", tag: "Integrations", scopes: []string{"manage"},
		summary: "Delete an integration (its deliveries and attempts are kept, and it leaves every list)", params: []param{integrationID},
		ok: map[int]reflect.Type{204: nil}},
	{method: "POST", path: "/v1/integrations/{id}/test", id: "testIntegration", tag: "Integrations", scopes: []string{"manage"},
		summary: "Send a test notification now", params: []param{integrationID},
		ok: map[int]reflect.Type{200: typeOf[contract.TestResult]()}, also: []int{503}},
	{method: "POST", path: "/v1/integrations/{id}/preview", id: "previewIntegration", tag: "Integrations", scopes: []string{"manage"},
		summary:     "Show the request an event would make, sending nothing",
		description: "The exact request Herald would send this integration for an event (given as event and data, or a past one by eventId), secrets masked, and whether the event would reach it (type, project, filter) with why not. Nothing is sent, recorded or audited.",
		params:      []param{integrationID}, body: typeOf[api.PreviewRequest](), bodyExample: seedBuildStart,
		ok: map[int]reflect.Type{200: typeOf[api.Preview]()}},
	{method: "GET", path: "/v1/integrations/{id}/stats", id: "integrationStats", tag: "Integrations", scopes: []string{"manage"},
		summary:     "An integration's numbers: attempts by outcome, success rate, latency, a series",
		description: "Over the last 24 hours (hourly buckets) or 7 days (daily buckets). Finished hours are read from a roll-up made the first time they are asked for.",
		params: []param{integrationID, {name: "window", in: "query", schema: obj{"type": "string", "enum": []string{"24h", "7d"}, "default": "24h"},
			description: "24h or 7d"}},
		ok: map[int]reflect.Type{200: typeOf[api.IntegrationStats]()}},
	{method: "POST", path: "/v1/integrations/preview", id: "previewSettings", tag: "Integrations", scopes: []string{"manage"},
		summary:     "Preview settings not saved yet",
		description: "As the integration's preview, for the settings in integration (a create body), checked as a create is; nothing is stored.",
		body:        typeOf[api.PreviewRequest](),
		bodyExample: obj{"integration": obj{"name": "alerts", "type": "webhook", "url": "https://example.com/hook", "events": []string{"build:*"},
			"transform": `{"text": data.build.branch + " " + event}`}, "event": "build:failure", "data": obj{"build": obj{"branch": "main"}}},
		ok: map[int]reflect.Type{200: typeOf[api.Preview]()}},
	{method: "POST", path: "/v1/integrations/{id}/rotate-secret", id: "rotateSecret", tag: "Integrations", scopes: []string{"manage"},
		summary:     "Give a webhook a new signing secret",
		description: "The previous secret keeps signing (a second signature) for the grace period, so receivers can switch without missing a request. The body may name the new key's scheme or bring the secret.",
		params:      []param{integrationID}, body: typeOf[api.IntegrationRequest](), bodyOptional: true, bodyExample: obj{"signing": "ed25519"},
		ok: map[int]reflect.Type{200: typeOf[api.RotatedSecret]()}},
	{method: "POST", path: "/v1/integrations/{id}/enable", id: "enableIntegration", tag: "Integrations", scopes: []string{"manage"},
		summary: "Enable an integration", params: []param{integrationID},
		ok: map[int]reflect.Type{200: typeOf[api.IntegrationView]()}},
	{method: "POST", path: "/v1/integrations/{id}/disable", id: "disableIntegration", tag: "Integrations", scopes: []string{"manage"},
		summary: "Disable an integration", params: []param{integrationID},
		body: typeOf[api.DisableRequest](), bodyOptional: true, bodyExample: obj{"reason": "receiver moving"},
		ok: map[int]reflect.Type{200: typeOf[api.IntegrationView]()}},
	{method: "GET", path: "/v1/integrations/{id}/deliveries", id: "listIntegrationDeliveries", tag: "Deliveries", scopes: []string{"manage"},
		summary: "List an integration's deliveries, newest first", params: []param{integrationID, statuses, eventType, since, until, cursor, limit},
		ok: map[int]reflect.Type{200: typeOf[api.Page[api.DeliveryView]]()}},
	{method: "POST", path: "/v1/integrations/{id}/resend", id: "bulkResend", tag: "Deliveries", scopes: []string{"manage"},
		summary:     "Resend an integration's deliveries in bulk",
		description: "Every delivery of the integration with the status (failed by default) since the time, at a bounded rate.",
		params:      []param{integrationID}, body: typeOf[api.BulkResendRequest](), bodyExample: obj{"status": "failed", "since": "2026-12-01T00:00:00Z"},
		ok: map[int]reflect.Type{202: typeOf[api.BulkResendAccepted]()}, also: []int{503}},
	{method: "GET", path: "/v1/resends/{id}", id: "getBulkResend", tag: "Deliveries", scopes: []string{"manage"},
		summary: "How far a bulk resend is", params: []param{path("id", "the bulk resend's id")},
		ok: map[int]reflect.Type{200: typeOf[contract.BulkResendProgress]()}, also: []int{503}},
	{method: "DELETE", path: "/v1/resends/{id}", id: "cancelBulkResend", tag: "Deliveries", scopes: []string{"manage"},
		summary: "Stop a bulk resend", params: []param{path("id", "the bulk resend's id")},
		ok: map[int]reflect.Type{202: typeOf[api.BulkResendCancelled]()}, also: []int{503}},
	{method: "POST", path: "/v1/integrations/{id}/replay", id: "replay", tag: "Deliveries", scopes: []string{"manage"},
		summary: "Deliver the team's past events to an integration",
		description: "Each event received in [since, until) that the integration subscribes to (narrowed by events), and its filter passes, gets a delivery with trigger replay, " +
			"paced like every delivery to it; an event it had delivered already is left out unless again is true, so the same replay twice delivers nothing twice. " +
			"Runs as a workflow (resumable, cancellable) at HERALD_REPLAY_RATE events a second, beside live events.",
		params: []param{integrationID}, body: typeOf[api.ReplayRequest](), bodyExample: obj{"since": "2026-12-01T00:00:00Z", "events": []string{"build:*"}},
		ok: map[int]reflect.Type{202: typeOf[api.ReplayView]()}, also: []int{503}},
	{method: "GET", path: "/v1/replays/{id}", id: "getReplay", tag: "Deliveries", scopes: []string{"manage"},
		summary: "How far a replay is", params: []param{path("id", "the replay's id (rpl_…)")},
		ok: map[int]reflect.Type{200: typeOf[api.ReplayView]()}, also: []int{503}},
	{method: "DELETE", path: "/v1/replays/{id}", id: "cancelReplay", tag: "Deliveries", scopes: []string{"manage"},
		summary: "Stop a replay: what it started stays started, nothing more is", params: []param{path("id", "the replay's id (rpl_…)")},
		ok: map[int]reflect.Type{202: typeOf[api.ReplayView]()}, also: []int{503}},
	{method: "GET", path: "/v1/deliveries", id: "listDeliveries", tag: "Deliveries", scopes: []string{"manage"},
		summary: "List the team's deliveries across integrations, newest first",
		params: []param{statuses, eventType, {name: "integration", in: "query", schema: str, description: "only this integration's"},
			channel, since, until, cursor, limit},
		ok: map[int]reflect.Type{200: typeOf[api.Page[api.DeliveryView]]()}},
	{method: "GET", path: "/v1/deliveries/{id}", id: "getDelivery", tag: "Deliveries", scopes: []string{"manage"},
		summary: "Get a delivery with every attempt", params: []param{deliveryID},
		ok: map[int]reflect.Type{200: typeOf[api.DeliveryView]()}},
	{method: "POST", path: "/v1/deliveries/{id}/resend", id: "resendDelivery", tag: "Deliveries", scopes: []string{"manage"},
		summary: "Resend a delivery now", params: []param{deliveryID},
		ok: map[int]reflect.Type{202: typeOf[api.ResendAccepted]()}, also: []int{409, 503}},

	{method: "GET", path: "/v1/event-types", id: "listEventTypes", tag: "Event types", scopes: []string{"manage"},
		summary:     "The event catalog",
		description: "Every type Herald knows (builtIn: name, category, description, the JSON Schema of its data, an example body) and the team's own.",
		ok:          map[int]reflect.Type{200: typeOf[api.Page[api.EventTypeView]]()}},
	{method: "POST", path: "/v1/event-types", id: "createEventType", tag: "Event types", scopes: []string{"manage"},
		summary: "Register an event type of the team's own, with the JSON Schema of its data",
		body:    typeOf[api.EventTypeRequest](),
		bodyExample: obj{"name": "quota:exceeded", "description": "A quota was used up.",
			"schema":  obj{"type": "object", "required": []string{"quota"}, "properties": obj{"quota": obj{"type": "object", "properties": obj{"used": obj{"type": "integer"}}}}},
			"example": obj{"quota": obj{"used": 1200}}},
		ok: map[int]reflect.Type{201: typeOf[api.EventTypeView]()}, also: []int{409}},
	{method: "GET", path: "/v1/event-types/{name}", id: "getEventType", tag: "Event types", scopes: []string{"manage"},
		summary: "Get an event type of the catalog", params: []param{eventTypeName},
		ok: map[int]reflect.Type{200: typeOf[api.EventTypeView]()}},
	{method: "PATCH", path: "/v1/event-types/{name}", id: "updateEventType", tag: "Event types", scopes: []string{"manage"},
		summary: "Change one of the team's event types", description: "Only the fields present change; \"example\": null removes the example. Herald's own types cannot be changed (409).",
		params: []param{eventTypeName}, body: typeOf[api.EventTypeRequest](), bodyExample: obj{"description": "A quota was used up or exceeded."},
		ok: map[int]reflect.Type{200: typeOf[api.EventTypeView]()}, also: []int{409}},
	{method: "DELETE", path: "/v1/event-types/{name}", id: "deleteEventType", tag: "Event types", scopes: []string{"manage"},
		summary: "Delete one of the team's event types", params: []param{eventTypeName},
		ok: map[int]reflect.Type{204: nil}, also: []int{409}},
	{method: "GET", path: "/v1/team", id: "getTeam", tag: "Teams", scopes: []string{"manage", "owner"},
		summary: "The caller's team and its settings",
		ok:      map[int]reflect.Type{200: typeOf[api.TeamSettingsView]()}},
	{method: "PATCH", path: "/v1/team", id: "updateTeam", tag: "Teams", scopes: []string{"manage", "owner"},
		summary: "Change the caller's team's settings", description: "validateData: refuse events whose data does not match their type's schema.",
		body: typeOf[api.TeamSettingsRequest](), bodyExample: obj{"validateData": true},
		ok: map[int]reflect.Type{200: typeOf[api.TeamSettingsView]()}},

	{method: "GET", path: "/v1/alert-policy", id: "getAlertPolicy", tag: "Alert policy", scopes: []string{"manage", "owner"},
		summary: "The team's alert grouping policy, every field in force",
		ok:      map[int]reflect.Type{200: typeOf[api.AlertPolicyView]()}},
	{method: "PUT", path: "/v1/alert-policy", id: "putAlertPolicy", tag: "Alert policy", scopes: []string{"manage", "owner"},
		summary: "Replace the team's alert policy", description: "An empty body, null or {} restores the defaults.",
		body: typeOf[alerts.Policy](), bodyOptional: true, bodyExample: obj{"groupBy": []string{"project.id"}, "groupWait": "1m"},
		ok: map[int]reflect.Type{200: typeOf[api.AlertPolicyView]()}},
	{method: "GET", path: "/v1/audit", id: "listAudit", tag: "Audit", scopes: []string{"manage", "owner"},
		summary: "The team's audit log, newest first",
		params: []param{{name: "object", in: "query", schema: str, description: "only changes to this object id"},
			{name: "actor", in: "query", schema: str, description: "only changes by this key id"},
			{name: "action", in: "query", schema: str, description: "only this action (integration.create, key.revoke, …)"}, cursor, limit},
		ok: map[int]reflect.Type{200: typeOf[api.Page[api.AuditView]]()}},

	{method: "POST", path: "/v1/teams", id: "createTeam", tag: "Teams", scopes: []string{"admin"},
		summary: "Create a team", body: typeOf[api.TeamRequest](), bodyExample: obj{"name": "platform"},
		ok: map[int]reflect.Type{201: typeOf[api.TeamView]()}},
	{method: "GET", path: "/v1/teams", id: "listTeams", tag: "Teams", scopes: []string{"admin"},
		summary: "List every team", ok: map[int]reflect.Type{200: typeOf[api.Page[api.TeamView]]()}},
	{method: "POST", path: "/v1/keys", id: "createKey", tag: "Keys", scopes: []string{"owner", "admin"},
		summary: "Create an API key", description: "The key itself is shown once, in this answer. An owner key makes keys of its own team with at most its own scopes.",
		body: typeOf[api.KeyRequest](), bodyExample: obj{"name": "ci", "scopes": []string{"ingest"}},
		ok: map[int]reflect.Type{201: typeOf[api.KeyView]()}},
	{method: "GET", path: "/v1/keys", id: "listKeys", tag: "Keys", scopes: []string{"owner", "admin"},
		summary: "List API keys", params: []param{{name: "teamId", in: "query", schema: str, description: "the team (admin keys); an owner's own team by default"}},
		ok: map[int]reflect.Type{200: typeOf[api.Page[api.KeyView]]()}},
	{method: "DELETE", path: "/v1/keys/{id}", id: "revokeKey", tag: "Keys", scopes: []string{"owner", "admin"},
		summary: "Revoke an API key", params: []param{path("id", "the key's id (key_…)")},
		ok: map[int]reflect.Type{200: typeOf[api.KeyView]()}},

	{method: "GET", path: "/v1/slack/install", id: "slackInstall", tag: "Slack", scopes: []string{"manage"},
		summary:     "Begin Add to Slack",
		description: "With redirect=false or Accept: application/json, answers with the link to open in a browser; otherwise redirects the browser to Slack.",
		params: []param{{name: "name", in: "query", schema: str, description: "the new integration's name"},
			{name: "events", in: "query", schema: str, description: "comma-separated event patterns"},
			{name: "projects", in: "query", schema: str, description: "comma-separated project ids"},
			{name: "integration", in: "query", schema: str, description: "reinstall this Slack integration (a new channel)"},
			{name: "redirect", in: "query", schema: obj{"type": "string", "enum": []string{"true", "false"}}}},
		ok: map[int]reflect.Type{200: typeOf[api.SlackInstallLink]()}, redirect: true, also: []int{409}},
	{method: "GET", path: "/v1/slack/begin", id: "slackBegin", tag: "Slack",
		summary: "Send the browser on to Slack (the link slackInstall gave)",
		params:  []param{{name: "state", in: "query", schema: str, required: true}}, redirect: true, also: []int{400}},
	{method: "GET", path: "/v1/slack/oauth/callback", id: "slackCallback", tag: "Slack",
		summary:     "Where Slack sends the browser back",
		description: "Creates (201) or reinstalls (200) the Slack integration the signed state names; a page for a browser, JSON otherwise.",
		params: []param{{name: "code", in: "query", schema: str}, {name: "state", in: "query", schema: str},
			{name: "error", in: "query", schema: str}},
		ok: map[int]reflect.Type{200: typeOf[api.IntegrationView](), 201: typeOf[api.IntegrationView]()}, html: true, also: []int{400, 409, 502}},

	{method: "GET", path: "/v1/openapi.json", id: "getOpenAPI", tag: "Meta",
		summary: "This document", ok: map[int]reflect.Type{200: typeOf[map[string]any]()}},
}
