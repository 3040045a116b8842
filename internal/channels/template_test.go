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
