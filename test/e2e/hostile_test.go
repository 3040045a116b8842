package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/heraldhq/herald/test/fakes"
	"github.com/heraldhq/herald/test/testenv"
)

// An event whose every field is written to ping, link or format reaches each
// chat platform through the whole stack as text: every fake accepts the
// message and its markup reader finds nothing live in it.
func TestHostileEventReachesEveryChatAsText(t *testing.T) {
	s := testenv.NewStack(t)
	slack, discord, teams := fakes.NewSlack(t), fakes.NewDiscord(t), fakes.NewTeams(t)
	type platform struct {
		name     string
		url      string
		accepted func() []json.RawMessage
		live     func([]byte) ([]string, error)
	}
	platforms := []platform{
		{"slack", slack.URL("ok"), slack.Accepted, fakes.SlackLiveMarkup},
		{"discord", discord.URL("ok"), discord.Accepted, fakes.DiscordLiveMarkup},
		{"teams", teams.WorkflowsURL("ok"), func() []json.RawMessage { return onlyWith(teams.Accepted(), "AdaptiveCard") }, fakes.AdaptiveLiveMarkup},
		{"teams", teams.ConnectorURL("ok"), func() []json.RawMessage { return onlyWith(teams.Accepted(), "MessageCard") }, fakes.MessageCardLiveMarkup},
	}
	for i, p := range platforms {
		createChat(t, s, p.name, "hostile-"+p.name+string(rune('a'+i)), p.url, map[string]any{"events": []string{"build:*"}})
	}
	before := make([]int, len(platforms))
	for i, p := range platforms {
		before[i] = len(p.accepted())
	}
	h := "<!channel> <@U0ADMIN> <https://evil.example|click> [click](https://evil.example) @everyone **bold** ||spoiler|| {{DATE(2017-02-14T06:00:00Z, SHORT)}}\n- item\n1. first\n> quote"
	data := map[string]any{
		"build":   map[string]any{"id": "b-1", "branch": h, "sha": h, "message": h, "status": "FAILURE"},
		"service": map[string]any{"id": "svc", "name": h}, "project": map[string]any{"id": "proj", "name": h},
		"user": map[string]any{"id": "u", "name": h}, "reason": h,
	}
	s.AwaitWorkflow(t, s.PostEvent(t, map[string]any{"id": "hostile-1", "event": "build:failure", "data": data}))
	for i, p := range platforms {
		testenv.Await(t, p.name+" receives the event", func() bool { return len(p.accepted()) > before[i] })
		for _, body := range p.accepted() {
			live, err := p.live(body)
			if err != nil {
				t.Fatalf("%s: %v", p.name, err)
			}
			for _, l := range live {
				t.Errorf("%s (%s): live markup from the event's data: %s", p.name, p.url, l)
			}
		}
		if got := string(p.accepted()[before[i]]); !strings.Contains(got, "click") {
			t.Errorf("%s: the hostile text is not shown: %s", p.name, got)
		}
	}
	for _, rejected := range [][]string{slack.Rejected(), discord.Rejected(), teams.Rejected()} {
		if len(rejected) != 0 {
			t.Errorf("a fake platform refused a message: %v", rejected)
		}
	}
}

// onlyWith keeps the bodies that contain marker.
func onlyWith(bodies []json.RawMessage, marker string) []json.RawMessage {
	var out []json.RawMessage
	for _, b := range bodies {
		if strings.Contains(string(b), marker) {
			out = append(out, b)
		}
	}
	return out
}
