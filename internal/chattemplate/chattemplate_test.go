package chattemplate

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// angle is a dialect that escapes as Slack does, with Slack's links.
var angle = Dialect{
	Escape: func(s string) string {
		return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
	},
	Link: func(u, text string) string {
		return "<" + u + "|" + strings.NewReplacer("<", "&lt;", ">", "&gt;", "|", "¦").Replace(text) + ">"
	},
}

func render(t *testing.T, s Spec, data string) Rendered {
	t.Helper()
	tmpl, err := Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	out, err := tmpl.Render(Input{EventID: "evt_1", Event: "build:failure", Data: json.RawMessage(data), Project: "prj_1"}, angle, angle)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestLiteralIsMarkupActionsAreText(t *testing.T) {
	out := render(t, Spec{Title: "{{.event}} on {{.data.build.branch}}",
		Text: `<!subteam^S0ONCALL> {{.data.who}} {{link .data.url .data.name}} {{upper .data.build.branch}} {{.data.build.number}}`},
		`{"who":"<!subteam^S0ONCALL>","url":"https://ci.example/1","name":"a<b>","build":{"branch":"main","number":42}}`)
	if out.Title != "build:failure on main" {
		t.Errorf("title %q", out.Title)
	}
	want := `<!subteam^S0ONCALL> &lt;!subteam^S0ONCALL&gt; <https://ci.example/1|a&lt;b&gt;> MAIN 42`
	if out.Text != want {
		t.Errorf("text\n got %q\nwant %q", out.Text, want)
	}
}

func TestFunctions(t *testing.T) {
	out := render(t, Spec{Text: `{{default "none" .data.missing}}|{{truncate 5 .data.long}}|{{join ", " .data.tags}}|{{date "2006-01-02 15:04" .data.at}}|{{lower .data.x}}|{{range $i, $t := .data.tags}}[{{$i}}:{{$t}}]{{end}}|{{with .data.build}}{{.id}}{{else}}no build{{end}}|{{link "javascript:alert(1)" "x<"}}`},
		`{"long":"abcdefghij","tags":["a","<b>"],"at":"2026-12-08T02:03:04+01:00","x":"ABC"}`)
	want := `none|abcd…|a, &lt;b&gt;|2026-12-08 01:03|abc|[0:a][1:&lt;b&gt;]|no build|x&lt;`
	if out.Text != want {
		t.Errorf("\n got %q\nwant %q", out.Text, want)
	}
}

func TestRefusedTemplates(t *testing.T) {
	for _, c := range []struct {
		spec Spec
		want string
	}{
		{Spec{}, "a template needs a title or a text"},
		{Spec{Text: "{{.event"}, `text: text:1: unclosed action`},
		{Spec{Title: "{{define \"x\"}}y{{end}}"}, "define and block are not allowed"},
		{Spec{Text: "{{template \"text\"}}"}, "{{template}} is not allowed"},
		{Spec{Text: "{{range .data.a}}{{range .data.a}}{{range .data.a}}x{{end}}{{end}}{{end}}"}, "ranges nest at most 2 deep"},
		{Spec{Text: "{{nosuch .data}}"}, `function "nosuch" not defined`},
		{Spec{Text: strings.Repeat("x", MaxSourceLen+1)}, "at most 4096"},
	} {
		_, err := Parse(c.spec)
		var e *Error
		if !errors.As(err, &e) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: got %v, want %q", c.spec, err, c.want)
		}
	}
}

func TestHostileTemplatesAreBounded(t *testing.T) {
	big := `{"a":[` + strings.Repeat(`"xxxxxxxxxx",`, 5000) + `"x"]}`
	for _, src := range []string{
		`{{range 1000000000}}{{range 1000000000}}x{{end}}{{end}}`,
		`{{range .data.a}}{{range $.data.a}}{{$x := printf "%v" $.data}}{{end}}{{end}}`,
		`{{range .data.a}}{{$.data}}{{end}}`,
	} {
		tmpl, err := Parse(Spec{Text: src})
		if err != nil {
			t.Fatal(err)
		}
		out, err := tmpl.Render(Input{Event: "x:y", Data: json.RawMessage(big)}, angle, angle)
		if err != nil && !strings.Contains(err.Error(), "more than") {
			t.Errorf("%s: %v", src, err)
		}
		if len(out.Text) > MaxOutput {
			t.Errorf("%s: %d bytes out", src, len(out.Text))
		}
	}
	if _, err := Parse(Spec{Text: `{{printf "%999999999d" 1}}`}); err != nil {
		t.Fatal(err)
	}
	tmpl, _ := Parse(Spec{Text: `{{printf "%999999999d" 1}}`})
	if _, err := tmpl.Render(Input{}, angle, angle); err == nil || !strings.Contains(err.Error(), "at most 200") {
		t.Errorf("printf width: %v", err)
	}
}

func TestAMissingObjectIsAnError(t *testing.T) {
	tmpl, _ := Parse(Spec{Text: "{{.data.build.branch}}"})
	_, err := tmpl.Render(Input{Data: json.RawMessage(`{}`)}, angle, angle)
	if err == nil || !strings.Contains(err.Error(), "the template's text failed on this event") {
		t.Fatalf("got %v", err)
	}
}
