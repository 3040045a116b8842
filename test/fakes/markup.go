package fakes

import (
	"encoding/json"
	"fmt"
	"strings"
)

// The *LiveMarkup functions read a message body as each platform's renderer
// would and list every piece of markup left live in it: a mention, a link or
// formatting. Herald writes no markup of its own into the texts they read, so
// anything they find came, unescaped, from an event's data.

// SlackLiveMarkup: in Slack's mrkdwn every raw '<' opens a control sequence
// (<!channel>, <@U123>, <#C123>, <https://x|text>); the only escape is the
// HTML entity. It reads the top-level text and every mrkdwn text object.
func SlackLiveMarkup(body []byte) ([]string, error) {
	texts, err := slackMrkdwn(body)
	if err != nil {
		return nil, err
	}
	var live []string
	for _, t := range texts {
		if i := strings.IndexAny(t, "<>"); i >= 0 {
			live = append(live, fmt.Sprintf("raw %q in %q", t[i], short(t)))
		}
	}
	return live, nil
}

// slackMrkdwn is every text of a message that Slack reads as mrkdwn: the
// top-level text, every mrkdwn text object, and context elements.
func slackMrkdwn(body []byte) ([]string, error) {
	var msg struct {
		Text   string     `json:"text"`
		Blocks []slackObj `json:"blocks"`
	}
	if err := json.Unmarshal(body, &msg); err != nil {
		return nil, err
	}
	texts := []string{msg.Text}
	for _, b := range msg.Blocks {
		var t slackTextObj
		if len(b.Text) > 0 && json.Unmarshal(b.Text, &t) == nil && t.Type == "mrkdwn" {
			texts = append(texts, t.Text)
		}
		for _, f := range b.Fields {
			if f.Type == "mrkdwn" {
				texts = append(texts, f.Text)
			}
		}
		if b.Type == "context" {
			for _, e := range b.Elements {
				texts = append(texts, e.text())
			}
		}
	}
	return texts, nil
}

// SlackControls lists, as Slack's renderer reads them, the control
// sequences (<!subteam^S1>, <@U1>, <https://x|text>) live in a message's
// mrkdwn texts: what a reader sees as a mention or a link.
func SlackControls(body []byte) ([]string, error) {
	texts, err := slackMrkdwn(body)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, t := range texts {
		for {
			open := strings.IndexByte(t, '<')
			if open < 0 {
				break
			}
			end := strings.IndexByte(t[open:], '>')
			if end < 0 {
				break
			}
			out = append(out, t[open:open+end+1])
			t = t[open+end+1:]
		}
	}
	return out, nil
}

// DiscordMentions lists the mentions that notify in a message: <@id> and
// <@&role> in its content not escaped by a backslash, of the kinds its
// allowed_mentions parse (Discord never notifies from embeds).
func DiscordMentions(body []byte) ([]string, error) {
	var msg struct {
		Content         string `json:"content"`
		AllowedMentions struct {
			Parse []string `json:"parse"`
		} `json:"allowed_mentions"`
	}
	if err := json.Unmarshal(body, &msg); err != nil {
		return nil, err
	}
	allowed := strings.Join(msg.AllowedMentions.Parse, ",")
	var out []string
	t := msg.Content
	for i := 0; i < len(t); i++ {
		if t[i] == '\\' {
			i++
			continue
		}
		if !strings.HasPrefix(t[i:], "<@") {
			continue
		}
		end := strings.IndexByte(t[i:], '>')
		if end < 0 {
			break
		}
		m := t[i : i+end+1]
		kind := "users"
		if strings.HasPrefix(m, "<@&") {
			kind = "roles"
		}
		if strings.Contains(allowed, kind) {
			out = append(out, m)
		}
		i += end
	}
	return out, nil
}

// DiscordLiveMarkup: Discord renders markdown in an embed's title,
// description and field names and values (not in its footer). A backslash
// escapes the next character.
func DiscordLiveMarkup(body []byte) ([]string, error) {
	var msg struct {
		Content string         `json:"content"`
		Embeds  []discordEmbed `json:"embeds"`
	}
	if err := json.Unmarshal(body, &msg); err != nil {
		return nil, err
	}
	texts := []string{msg.Content}
	for _, e := range msg.Embeds {
		texts = append(texts, e.Title, e.Description)
		for _, f := range e.Fields {
			texts = append(texts, f.Name, f.Value)
		}
	}
	var live []string
	for _, t := range texts {
		live = append(live, scanMarkdown(t, "*_~|`<[]", "#>-+")...)
		for _, mass := range []string{"@everyone", "@here"} {
			if strings.Contains(t, mass) {
				live = append(live, fmt.Sprintf("mass mention %s in %q", mass, short(t)))
			}
		}
	}
	return live, nil
}

// AdaptiveLiveMarkup: Adaptive Cards render a CommonMark subset (bold,
// italic, lists, links) in TextBlock text and FactSet titles and values, and
// expand {{DATE(…)}} and {{TIME(…)}}.
func AdaptiveLiveMarkup(body []byte) ([]string, error) {
	var env struct {
		Attachments []struct {
			Content struct {
				Body []struct {
					Type  string `json:"type"`
					Text  string `json:"text"`
					Facts []struct {
						Title string `json:"title"`
						Value string `json:"value"`
					} `json:"facts"`
				} `json:"body"`
			} `json:"content"`
		} `json:"attachments"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, err
	}
	var texts []string
	for _, a := range env.Attachments {
		for _, el := range a.Content.Body {
			texts = append(texts, el.Text)
			for _, f := range el.Facts {
				texts = append(texts, f.Title, f.Value)
			}
		}
	}
	var live []string
	for _, t := range texts {
		live = append(live, scanMarkdown(t, "*_~`<>[]", "-+")...)
		if strings.Contains(t, "{{") {
			live = append(live, fmt.Sprintf("template function {{ in %q", short(t)))
		}
	}
	return live, nil
}

// MessageCardLiveMarkup: a MessageCard section renders markdown unless it
// says "markdown": false.
func MessageCardLiveMarkup(body []byte) ([]string, error) {
	var card struct {
		Sections []struct {
			Markdown *bool `json:"markdown"`
		} `json:"sections"`
	}
	if err := json.Unmarshal(body, &card); err != nil {
		return nil, err
	}
	var live []string
	for i, s := range card.Sections {
		if s.Markdown == nil || *s.Markdown {
			live = append(live, fmt.Sprintf("section %d renders markdown", i))
		}
	}
	return live, nil
}

// short is text cut for an error message.
func short(t string) string {
	if r := []rune(t); len(r) > 80 {
		return string(r[:80]) + "…"
	}
	return t
}

// scanMarkdown lists the characters of inline that t leaves unescaped, and
// the line-start markers of block (and ordered-list numbers) it leaves live.
func scanMarkdown(t, inline, block string) []string {
	var live []string
	runes := []rune(t)
	lineStart, digits := true, 0
	for i := 0; i < len(runes); i++ {
		r := runes[i]
		if r == '\\' && i+1 < len(runes) {
			i++ // the escaped character is text
			lineStart, digits = false, 0
			continue
		}
		// A list marker is followed by a space or the line's end.
		var next rune
		if i+1 < len(runes) {
			next = runes[i+1]
		}
		marker := next == 0 || next == ' ' || next == '\t' || next == '\n' || next == '\r'
		switch {
		case strings.ContainsRune(inline, r):
			live = append(live, fmt.Sprintf("unescaped %q in %q", r, short(t)))
		case lineStart && digits == 0 && strings.ContainsRune(block, r) && (marker || !strings.ContainsRune("-+", r)):
			live = append(live, fmt.Sprintf("line-start %q in %q", r, short(t)))
		case lineStart && digits > 0 && (r == '.' || r == ')') && marker:
			live = append(live, fmt.Sprintf("ordered-list marker in %q", short(t)))
		}
		switch {
		case r == '\n' || r == '\r':
			lineStart, digits = true, 0
		case lineStart && r >= '0' && r <= '9':
			digits++
		case lineStart && digits == 0 && (r == ' ' || r == '\t'):
		default:
			lineStart, digits = false, 0
		}
	}
	return live
}
