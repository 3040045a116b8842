package channels

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/heraldhq/herald/internal/chattemplate"
)

// A template that fails on an event gives way to the built-in message,
// which says why; a template that works replaces it on every platform.
func TestTemplatesOrTheBuiltInMessage(t *testing.T) {
	tmpl, err := chattemplate.Parse(chattemplate.Spec{Title: "{{.data.build.branch}} failed", Text: "*{{.data.build.branch}}*"})
	if err != nil {
		t.Fatal(err)
	}
	ok := Message{EventID: "evt_1", EventType: "build:failure", Data: json.RawMessage(`{"build":{"branch":"ma<in"}}`), Template: tmpl, URL: "https://x/y"}
	failing := ok
	failing.Data = json.RawMessage(`{"service":{"name":"web"}}`)
	for _, ch := range []Channel{&Slack{}, &Discord{}, &Teams{}} {
		req, err := ch.Render(ok)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(req.Body), "in failed") || strings.Contains(string(req.Body), "template not used") {
			t.Errorf("%T: the template's title is not in %s", ch, req.Body)
		}
		req, err = ch.Render(failing)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(req.Body), "template not used: the template's title failed on this event") {
			t.Errorf("%T: the built-in message does not say why the template was not used: %s", ch, req.Body)
		}
	}
}

// hostileTemplate outputs every string of the event's data: the title one
// field, the text every top-level field and what it holds.
var hostileTemplate = chattemplate.Spec{Title: "{{.data.project.name}}",
	Text: "{{range $k, $v := .data}}{{$k}}: {{$v}}\n{{end}}{{link .data.build.branch .data.build.branch}}"}

// TestHostileTextStaysTextThroughTemplates: every renderer, every reader,
// the hostile strings of every field through a template that outputs them
// all: the fake platform accepts the message and its markup reader finds
// nothing live (a template's literal text is the only markup, and this one
// has none).
func TestHostileTextStaysTextThroughTemplates(t *testing.T) {
	tmpl, err := chattemplate.Parse(hostileTemplate)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range renderers() {
		for typ, data := range hostileEvents() {
			t.Run(r.name+"/"+typ, func(t *testing.T) {
				assertNoLiveMarkup(t, r, Message{EventType: typ, EventID: "evt_1", Data: data, URL: r.url, Template: tmpl})
			})
		}
	}
}

// FuzzTemplateOutputStaysText: any string of an event's data, output by a
// template's action on any platform, stays text.
func FuzzTemplateOutputStaysText(f *testing.F) {
	for _, h := range hostile {
		f.Add(h)
	}
	f.Add(hostileText)
	f.Add(strings.Repeat("<@&1>", 500))
	tmpl, err := chattemplate.Parse(chattemplate.Spec{Title: "{{.data.x}}", Text: "{{.data.x}} {{upper .data.x}} {{link .data.x .data.x}} {{truncate 20 .data.x}}"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, x string) {
		if len(x) > 4<<10 {
			x = x[:4<<10]
		}
		data, _ := json.Marshal(map[string]string{"x": x})
		for _, r := range renderers() {
			assertNoLiveMarkup(t, r, Message{EventType: "build:start", EventID: "evt_1", Data: data, URL: r.url, Template: tmpl})
		}
	})
}
