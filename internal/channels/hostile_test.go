package channels

import (
	"encoding/json"
	"regexp"
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
}

func hostileMessage() Message {
	text := strings.Join(hostile, " ")
	data, _ := json.Marshal(map[string]any{
		"project": map[string]any{"id": "p", "name": text},
		"service": map[string]any{"id": "s", "name": text},
		"build":   map[string]any{"id": "b", "branch": text, "message": text, "status": "FAILURE"},
	})
	return Message{DeliveryID: "dlv_1", EventID: "evt_1", EventType: "build:failure", Data: data, URL: "https://example.com/hook"}
}

func TestSlackShowsHostileTextAsText(t *testing.T) {
	msg := RenderSlack(hostileMessage())
	body, _ := json.Marshal(msg)
	if err := fakes.ValidateSlack(body); err != nil {
		t.Fatalf("the fake Slack refuses the message: %v", err)
	}
	// mrkdwn (the fallback text, section fields, context) opens mentions and
	// links with '<': it never reaches Slack raw. The header is plain_text,
	// which Slack shows as typed.
	mrkdwn := []string{msg.Text}
	for _, b := range msg.Blocks {
		for _, f := range b.Fields {
			mrkdwn = append(mrkdwn, f.Text)
		}
		if b.Type == "header" && b.Text != nil && b.Text.Type != "plain_text" {
			t.Errorf("the header is %s, not plain_text", b.Text.Type)
		}
	}
	shown := false
	for _, s := range mrkdwn {
		if strings.Contains(s, "<!") || strings.Contains(s, "<@") || strings.Contains(s, "<http") || strings.Contains(s, "<#") {
			t.Errorf("Slack mrkdwn with a live mention or link: %q", s)
		}
		shown = shown || strings.Contains(s, "&lt;!channel&gt;")
	}
	if !shown {
		t.Error("the hostile text is not shown (escaped) at all")
	}
}

var (
	unescapedBracket = regexp.MustCompile(`(^|[^\\])[\[\]]`)
	unescapedAngle   = regexp.MustCompile(`(^|[^\\])<[@#!:a]`)
)

func TestDiscordShowsHostileTextAsText(t *testing.T) {
	msg := RenderDiscord(hostileMessage())
	body, _ := json.Marshal(msg)
	if err := fakes.ValidateDiscord(body); err != nil {
		t.Fatalf("the fake Discord refuses the message: %v", err)
	}
	if msg.AllowedMentions.Parse == nil || len(msg.AllowedMentions.Parse) != 0 {
		t.Error("allowed_mentions must be present and empty")
	}
	e := msg.Embeds[0]
	shown := []string{e.Title}
	for _, f := range e.Fields {
		shown = append(shown, f.Name, f.Value)
	}
	for _, s := range shown {
		switch {
		case unescapedBracket.MatchString(s):
			t.Errorf("Discord text with a masked-link bracket: %q", s)
		case unescapedAngle.MatchString(s):
			t.Errorf("Discord text with a live <@ or <# sequence: %q", s)
		case strings.Contains(s, "@everyone") || strings.Contains(s, "@here"):
			t.Errorf("Discord text that reads as a mass mention: %q", s)
		case strings.Contains(s, "**bold**") || strings.Contains(s, "||spoiler||"):
			t.Errorf("Discord text with live formatting: %q", s)
		}
	}
}
