package channels

import (
	"time"

	"errors"
	"strings"
	"testing"

	"github.com/heraldhq/herald/internal/alerts"
	"github.com/heraldhq/herald/internal/pacing"

	"github.com/heraldhq/herald"
)

func TestEachChannelValidatesItsSettings(t *testing.T) {
	r := NewRegistry(Options{})
	ok := "https://example.com/hook"
	cases := []struct {
		typ   herald.IntegrationType
		set   Settings
		field string // "" when valid
	}{
		{herald.IntegrationWebhook, Settings{URL: ok}, ""},
		{herald.IntegrationWebhook, Settings{URL: ok, Secret: "s3cret-0123456789"}, ""},
		{herald.IntegrationWebhook, Settings{URL: "ftp://example.com/x"}, "url"},
		{herald.IntegrationWebhook, Settings{URL: "https:///path"}, "url"},
		{herald.IntegrationWebhook, Settings{URL: ok + "#frag"}, "url"},
		{herald.IntegrationWebhook, Settings{URL: ok, Format: TeamsMessageCard}, "format"},
		{herald.IntegrationSlack, Settings{URL: "https://hooks.slack.com/services/T/B/x"}, ""},
		{herald.IntegrationSlack, Settings{URL: ok, Format: TeamsAdaptiveCard}, "format"},
		{herald.IntegrationDiscord, Settings{URL: "https://discord.com/api/webhooks/1/t"}, ""},
		{herald.IntegrationDiscord, Settings{URL: "https://" + strings.Repeat("a", MaxURLLen)}, "url"},
		{herald.IntegrationTeams, Settings{URL: ok}, ""},
		{herald.IntegrationTeams, Settings{URL: ok, Format: TeamsMessageCard}, ""},
		{herald.IntegrationTeams, Settings{URL: ok, Format: TeamsAdaptiveCard}, ""},
		{herald.IntegrationTeams, Settings{URL: ok, Format: "html"}, "format"},
		{"pager", Settings{URL: ok}, "type"},
	}
	for _, c := range cases {
		err := r.Validate(c.typ, c.set)
		var fe *FieldError
		switch {
		case c.field == "" && err != nil:
			t.Errorf("%s %+v: %v", c.typ, c.set, err)
		case c.field != "" && (!errors.As(err, &fe) || fe.Field != c.field):
			t.Errorf("%s %+v: %v, want a %q field error", c.typ, c.set, err, c.field)
		}
	}
	// A secret is checked by the same rules on every channel.
	for _, typ := range Supported() {
		var fe *FieldError
		if err := r.Validate(typ, Settings{URL: ok, Secret: SecretPrefix + "not base64!"}); !errors.As(err, &fe) || fe.Field != "secret" {
			t.Errorf("%s: a whsec_ secret that is not base64: %v", typ, err)
		}
	}
}

func TestTraits(t *testing.T) {
	r := NewRegistry(Options{})
	want := map[herald.IntegrationType]Traits{
		herald.IntegrationWebhook: {Signed: true, MaxInFlight: WebhookMaxInFlight, Shaping: ShapeTransform},
		herald.IntegrationSlack:   {Confirms: true, Alerts: alerts.GroupedByDefault, Rate: pacing.Limit{Count: 1, Per: time.Second, Burst: 2}, Shaping: ShapeTemplate},
		herald.IntegrationDiscord: {Confirms: true, Alerts: alerts.GroupedByDefault, Rate: pacing.Limit{Count: 5, Per: 2 * time.Second, Burst: 1}, Shaping: ShapeTemplate},
		herald.IntegrationTeams:   {Confirms: true, Alerts: alerts.GroupedByDefault, Rate: pacing.Limit{Count: 4, Per: time.Second, Burst: 4}, Shaping: ShapeTemplate},
		"pager":                   {},
	}
	for typ, w := range want {
		if got := r.TraitsOf(typ); got != w {
			t.Errorf("%s: %+v, want %+v", typ, got, w)
		}
	}
}
