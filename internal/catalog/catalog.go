// Package catalog is Herald's event catalog: every event type it knows, with
// a description, the JSON Schema of its data and an example body — the same
// facts as docs/events.md, served by GET /v1/event-types. Teams add their own
// types (store.EventType); both are checked with the validator here.
package catalog

import (
	"encoding/json"
	"sort"
	"sync"

	"github.com/heraldhq/herald/internal/eventtype"
)

// Type is one catalogued event type.
type Type struct {
	Name        string
	Category    string
	Description string
	// Schema is the JSON Schema (2020-12) of the event's data.
	Schema json.RawMessage
	// Example is a body of this type ({"event", "data"}).
	Example json.RawMessage
}

// SchemaDialect is the JSON Schema dialect of every schema here and of the
// ones teams register.
const SchemaDialect = "https://json-schema.org/draft/2020-12/schema"

// descriptions say what each catalogued type announces.
var descriptions = map[string]string{
	"build:start":   "A build of a service started.",
	"build:success": "A build finished and its image is ready.",
	"build:failure": "A build failed; the reason says why.",
	"build:abort":   "A build was stopped before it finished.",

	"deployment:start":                 "A deployment of a service started.",
	"deployment:success":               "A deployment completed.",
	"deployment:failure":               "A deployment failed; the reason says why.",
	"deployment:abort":                 "A deployment was stopped before it finished.",
	"service:deployment:status-update": "A deployment changed status; its status says to what.",
	"service:autoscaling:event":        "A service was scaled to a new number of instances.",

	"job-run:start":   "A run of a job started.",
	"job-run:success": "A run of a job finished successfully.",
	"job-run:failure": "A run of a job failed; its exit code and the reason say why.",
	"job-run:abort":   "A run of a job was stopped before it finished.",

	"backup:start":         "A backup of an addon started.",
	"backup:success":       "A backup of an addon completed.",
	"backup:failure":       "A backup of an addon failed; the reason says why.",
	"backup:abort":         "A backup of an addon was stopped before it finished.",
	"addon-backup:start":   "A backup of an addon started (the addon's own schedule).",
	"addon-backup:success": "A backup of an addon completed (the addon's own schedule).",
	"addon-backup:failure": "A backup of an addon failed (the addon's own schedule).",
	"addon-backup:abort":   "A backup of an addon was stopped (the addon's own schedule).",

	"billing:invoice-paid":   "An invoice was paid.",
	"billing:invoice-failed": "An invoice's payment failed; the reason says why.",

	"alert:container-crash":          "A container crashed or was killed.",
	"alert:container-crash:resolved": "A container that crashed runs again.",
	"alert:high-cpu":                 "A container's CPU use is above its threshold.",
	"alert:high-cpu:resolved":        "A container's CPU use is back below its threshold.",
	"alert:high-memory":              "A container's memory use is above its threshold.",
	"alert:high-memory:resolved":     "A container's memory use is back below its threshold.",
	"alert:volume-space":             "A volume is filling up past its threshold.",
	"alert:volume-space:resolved":    "A volume has room again.",

	eventtype.AlertGroup:           "Herald's: one message for a group of alerts (grouped, or a summary of what is still happening).",
	eventtype.IntegrationTest:      "Herald's: a test, confirmation or recovery probe of an integration.",
	eventtype.IntegrationDisabled:  "Herald's: an integration that kept failing was disabled.",
	eventtype.IntegrationRecovered: "Herald's: a disabled integration answered again and was enabled.",
}

// Schema building blocks: every field is optional and may be null, because
// the platform leaves out what it does not know (the seed's pullRequestId is
// null) and Herald renders what is there. Extra fields are allowed.
type obj = map[string]any

var (
	text    = obj{"type": []string{"string", "null"}}
	id      = obj{"type": []string{"string", "integer", "null"}}
	number  = obj{"type": []string{"number", "string", "null"}, "description": "a number, or text that carries its unit (\"93%\", \"9.1 GiB\")"}
	integer = obj{"type": []string{"integer", "null"}}
	boolean = obj{"type": []string{"boolean", "null"}}
	when    = obj{"type": []string{"string", "null"}, "format": "date-time"}
	texts   = obj{"type": "array", "items": obj{"type": "string"}}
)

func object(props obj) obj {
	return obj{"type": []string{"object", "null"}, "properties": props}
}

// Common parts of the platform's events.
var (
	named   = object(obj{"id": id, "name": text})
	user    = object(obj{"id": id, "name": text, "email": text})
	common  = obj{"project": named, "service": named, "user": user, "reason": text, "message": text, "error": text}
	entity  = obj{"id": id, "status": text, "createdAt": when, "concludedAt": when, "url": text, "reason": text, "error": text}
	addonOf = object(obj{"id": id, "name": text, "type": text})
)

func with(base obj, more obj) obj {
	out := obj{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range more {
		out[k] = v
	}
	return out
}

// dataSchema is the JSON Schema of a type's data, by category.
func dataSchema(typ string) obj {
	props := with(common, nil)
	switch cat := eventtype.Category(typ); {
	case cat == "build":
		props["build"] = object(with(entity, obj{"branch": text, "pullRequestId": id, "pullRequest": named,
			"sha": text, "commit": text, "commitSha": text, "message": text, "concluded": boolean}))
	case cat == "deployment" || typ == "service:deployment:status-update":
		props["deployment"] = object(with(entity, obj{"previousStatus": text, "sha": text, "branch": text,
			"image": text, "build": object(obj{"id": id}), "instances": integer}))
	case typ == "service:autoscaling:event":
		props["autoscaling"] = object(obj{"previousInstances": integer, "instances": integer, "minInstances": integer,
			"maxInstances": integer, "metric": text, "value": number, "target": number, "createdAt": when})
	case cat == "job-run":
		props["job"] = named
		props["run"] = object(with(entity, obj{"exitCode": integer, "finishedAt": when}))
	case cat == "backup" || cat == "addon-backup":
		props["addon"] = addonOf
		props["backup"] = object(with(entity, obj{"type": text, "size": number, "completedAt": when}))
	case cat == "billing":
		props["invoice"] = object(obj{"id": id, "number": text, "amount": number, "amountMinor": integer,
			"currency": text, "description": text, "periodStart": text, "periodEnd": text, "dueAt": text,
			"status": text, "url": text})
	case typ == eventtype.AlertGroup:
		props = obj{"summary": text, "count": integer, "kind": obj{"enum": []any{"grouped", "summary", nil}},
			"types":    obj{"type": []string{"object", "null"}, "additionalProperties": obj{"type": "integer"}},
			"services": texts, "projects": texts, "firstSeen": when, "lastSeen": when, "groupKey": text,
			"alerts": obj{"type": "array", "items": obj{"type": "object", "properties": obj{"id": text, "type": text,
				"receivedAt": when, "data": obj{"type": "object"}}}}}
	case cat == "alert":
		props["alert"] = object(obj{"container": text, "reason": text, "exitCode": integer, "restarts": integer,
			"value": number, "threshold": number, "used": number, "total": number, "createdAt": when,
			"volume": obj{"type": []string{"string", "object", "null"}, "properties": obj{"id": id, "name": text}}})
	case cat == "integration":
		props = obj{"integration": addonOf, "message": text, "reason": text, "disabledBy": text, "disabledAt": when}
	}
	return obj{"$schema": SchemaDialect, "type": "object", "properties": props}
}

// builtin is the catalog, by name, built on first use: not at the start of
// every herald process (the CLI's included).
var builtin = sync.OnceValue(func() map[string]Type {
	// A type's example is its first by name (the seed's build:start is the
	// only one of its type).
	names := make([]string, 0, len(Examples))
	for n := range Examples {
		names = append(names, n)
	}
	sort.Strings(names)
	examples := map[string]string{}
	for _, name := range names {
		ex := Examples[name]
		if _, ok := examples[ex.Type]; !ok {
			examples[ex.Type] = ex.Data
		}
	}
	out := map[string]Type{}
	for _, typ := range eventtype.Catalogue() {
		schema, err := json.Marshal(dataSchema(typ))
		if err != nil {
			panic(err)
		}
		body, err := json.Marshal(obj{"event": typ, "data": json.RawMessage(examples[typ])})
		if err != nil {
			panic("example of " + typ + ": " + err.Error())
		}
		out[typ] = Type{Name: typ, Category: eventtype.Family(typ), Description: descriptions[typ],
			Schema: schema, Example: body}
	}
	return out
})

// Builtin lists Herald's catalogued types, sorted by name.
func Builtin() []Type {
	all := builtin()
	out := make([]Type, 0, len(all))
	for _, typ := range eventtype.Catalogue() {
		out = append(out, all[typ])
	}
	return out
}

// Lookup is the catalogued type named name (normalized).
func Lookup(name string) (Type, bool) {
	t, ok := builtin()[name]
	return t, ok
}
