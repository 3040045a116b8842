package channels

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/heraldhq/herald/test/fakes"
)

// hostile is text a platform user controls (a branch name, a commit message,
// a service name) written to ping, link or format in someone else's channel.
var hostile = []string{
	"<!channel> deploy now", "<!here>", "<@U0ADMIN>", "<https://evil.example|click me>",
	"[click](https://evil.example)", "@everyone", "@here", "<@123456789>", "<#987654321>",
	"**bold** __u__ ~~s~~ `code` ||spoiler||", "> quoted", "# heading",
	"{{DATE(2017-02-14T06:00:00Z, SHORT)}}", "<at>Admin</at>",
}

// hostileText puts the strings on lines of their own too, where list,
// quote and heading markers open.
var hostileText = strings.Join(hostile, " ") + "\n- item\n1. first\n> quote\n# heading\n+ plus"

// hostileEvents carry hostileText in every field each reader shows.
func hostileEvents() map[string]json.RawMessage {
	h := hostileText
	scope := func(m map[string]any) json.RawMessage {
		m["project"] = map[string]any{"id": "p", "name": h}
		m["service"] = map[string]any{"id": "s", "name": h}
		m["user"] = map[string]any{"id": h, "name": h}
		m["reason"] = h
		b, _ := json.Marshal(m)
		return b
	}
	return map[string]json.RawMessage{
		"build:failure": scope(map[string]any{"build": map[string]any{"id": h, "branch": h, "pullRequestId": h, "sha": h, "message": h, "status": h}}),
		"job-run:abort": scope(map[string]any{"job": map[string]any{"id": h, "name": h}, "run": map[string]any{"id": h, "status": h, "exitCode": h}}),
		"backup:failure": scope(map[string]any{"addon": map[string]any{"id": h, "name": h, "type": h},
			"backup": map[string]any{"id": h, "type": h, "status": h, "size": h}}),
		"service:deployment:status-update": scope(map[string]any{"deployment": map[string]any{"id": h, "status": h, "previousStatus": h, "sha": h, "image": h}}),
		"service:autoscaling:event":        scope(map[string]any{"autoscaling": map[string]any{"previousInstances": h, "instances": h, "metric": h, "value": h, "target": h}}),
		"billing:invoice-failed":           scope(map[string]any{"invoice": map[string]any{"id": h, "amount": h, "currency": h, "description": h, "status": h}}),
		"alert:container-crash":            scope(map[string]any{"alert": map[string]any{"container": h, "reason": h, "exitCode": h, "restarts": h}}),
		"alert:high-memory":                scope(map[string]any{"alert": map[string]any{"container": h, "value": h, "threshold": h}}),
		"alert:volume-space":               scope(map[string]any{"alert": map[string]any{"volume": h, "used": h, "total": h}}),
		"alert:group":                      scope(map[string]any{"summary": h, "services": []string{h}, "projects": []string{h}, "types": map[string]int{h: 2}}),
		"integration:disabled":             scope(map[string]any{"integration": map[string]any{"id": h, "name": h, "type": h}, "disabledBy": h}),
		"quota:exceeded":                   scope(map[string]any{h: h, "details": map[string]any{h: h}}),
	}
}

// liveMarkup is each renderer's fake-platform markup reader.
var liveMarkup = map[string]func([]byte) ([]string, error){
	"slack":           fakes.SlackLiveMarkup,
	"discord":         fakes.DiscordLiveMarkup,
	"teams-workflows": fakes.AdaptiveLiveMarkup,
	"teams-connector": fakes.MessageCardLiveMarkup,
}

// TestHostileTextStaysText: every renderer, every reader, every field: the
// fake platform accepts the message, its markup reader finds nothing live,
// and the text is still shown.
func TestHostileTextStaysText(t *testing.T) {
	for _, r := range renderers() {
		for typ, data := range hostileEvents() {
			t.Run(r.name+"/"+typ, func(t *testing.T) {
				body := assertNoLiveMarkup(t, r, Message{EventType: typ, EventID: "evt_" + hostile[0], Data: data, URL: r.url})
				if !strings.Contains(string(body), "deploy now") {
					t.Errorf("the hostile text is not shown at all: %s", body)
				}
			})
		}
	}
}

// assertNoLiveMarkup renders m with r, has the fake platform accept it and
// its markup reader find nothing live, and returns the body.
func assertNoLiveMarkup(t *testing.T, r chatRenderer, m Message) []byte {
	t.Helper()
	req, err := r.ch.Render(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.validate(req.Body); err != nil {
		t.Fatalf("the fake platform refuses it: %v", err)
	}
	live, err := liveMarkup[r.name](req.Body)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range live {
		t.Errorf("live markup from the event's data: %s", l)
	}
	return req.Body
}

// TestMarkupReadersSeeMarkup: each fake's reader flags raw markup, so the
// test above can fail.
func TestMarkupReadersSeeMarkup(t *testing.T) {
	raw := map[string]string{
		"slack":           `{"text":"hi <!channel>","blocks":[]}`,
		"discord":         `{"embeds":[{"title":"[click](https://evil.example)","description":"@everyone"}]}`,
		"teams-workflows": `{"attachments":[{"content":{"body":[{"type":"TextBlock","text":"**bold**"},{"type":"FactSet","facts":[{"title":"a","value":"- item"}]}]}}]}`,
		"teams-connector": `{"sections":[{"activityTitle":"x"}]}`,
	}
	for name, body := range raw {
		live, err := liveMarkup[name]([]byte(body))
		if err != nil || len(live) == 0 {
			t.Errorf("%s: the reader finds no markup in %s (%v)", name, body, err)
		}
	}
}

// TestAdaptiveEscape pins the Adaptive Card escape on the cases that matter.
func TestAdaptiveEscape(t *testing.T) {
	cases := map[string]string{
		"feature/new_thing": `feature/new\_thing`,
		"[x](https://e.x)":  `\[x\](https://e.x)`,
		"- a\n 2. b\n+ c":   "\\- a\n 2\\. b\n\\+ c",
		"v1.2 - 3":          "v1.2 - 3",
		"2022-04-01 10.0":   "2022-04-01 10.0",
		"-5 +3":             "-5 +3",
		"{{DATE(x)}}":       "{\u200b{DATE(x)}}",
		"<at>x</at>":        `\<at\>x\</at\>`,
	}
	for in, want := range cases {
		if got := adaptiveMarkdown.fit(in, 100); got != want {
			t.Errorf("adaptiveMarkdown.fit(%q) = %q, want %q", in, got, want)
		}
	}
}
