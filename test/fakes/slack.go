package fakes

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"
)

// Slack is a fake incoming-webhook endpoint. URL(mode) gives a webhook URL:
// "ok" accepts; "channel_not_found", "no_service" (404), "channel_is_archived"
// (410), "action_prohibited" (403), "rollup_error" (500), "invalid_token"
// (403), "team_disabled" (410), "no_team" (404) always answer that error;
// "not_ok" answers 200 with a body that is not ok; "limited" answers 429 with
// Retry-After: 1 to its first request; "bucket" allows one message a second
// with a burst of three and answers 429 with Retry-After: 1 beyond it.
type Slack struct{ *server }

// slackErrorModes are the modes that always answer their own name, with the
// status Slack sends it with.
var slackErrorModes = map[string]int{
	"channel_not_found":   http.StatusNotFound,
	"no_service":          http.StatusNotFound,
	"channel_is_archived": http.StatusGone,
	"action_prohibited":   http.StatusForbidden,
	"rollup_error":        http.StatusInternalServerError,
	"invalid_token":       http.StatusForbidden,
	"team_disabled":       http.StatusGone,
	"no_team":             http.StatusNotFound,
}

// NewSlack starts a fake Slack.
func NewSlack(t testing.TB) *Slack {
	return &Slack{newServer(t, func(s *server, w http.ResponseWriter, r *http.Request, body []byte) {
		word := func(code int, word string) {
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(code)
			fmt.Fprint(w, word)
		}
		m := mode(r)
		if code, ok := slackErrorModes[m]; ok {
			word(code, m)
			return
		}
		if m == "not_ok" { // a 200 that does not say ok (a proxy's page, say)
			word(http.StatusOK, "<html>sign in to continue</html>")
			return
		}
		if m == "bucket" {
			if ok, _ := s.take(r.URL.Path, 3, time.Second); !ok {
				w.Header().Set("Retry-After", "1")
				word(http.StatusTooManyRequests, "rate_limited")
				return
			}
		}
		if m == "limited" && s.hit(r.URL.Path) == 1 {
			w.Header().Set("Retry-After", "1")
			word(http.StatusTooManyRequests, "rate_limited")
			return
		}
		if !isJSON(r) {
			s.reject("content type " + r.Header.Get("Content-Type"))
			word(http.StatusBadRequest, "invalid_payload")
			return
		}
		if err := ValidateSlack(body); err != nil {
			s.reject(err.Error())
			word(http.StatusBadRequest, "invalid_blocks")
			return
		}
		s.accept(body)
		word(http.StatusOK, "ok")
	})}
}

// URL is a webhook URL of this fake in a mode.
func (s *Slack) URL(mode string) string { return s.Server.URL + "/services/T0HERALD/B0HERALD/" + mode }

type slackObj struct {
	Type     string          `json:"type"`
	Text     json.RawMessage `json:"text"`
	Fields   []slackTextObj  `json:"fields"`
	Elements []slackElement  `json:"elements"`
	BlockID  string          `json:"block_id"`
}

// slackElement is a context element (text is a string) or a button (text is an object).
type slackElement struct {
	Type string          `json:"type"`
	Text json.RawMessage `json:"text"`
	URL  string          `json:"url"`
}

func (e slackElement) text() string {
	var s string
	if json.Unmarshal(e.Text, &s) == nil {
		return s
	}
	var obj slackTextObj
	_ = json.Unmarshal(e.Text, &obj)
	return obj.Text
}

type slackTextObj struct {
	Type string `json:"type"`
	Text string `json:"text"`
	URL  string `json:"url"`
}

// ValidateSlack checks a message against Slack's documented limits.
func ValidateSlack(body []byte) error {
	var msg struct {
		Text   *string    `json:"text"`
		Blocks []slackObj `json:"blocks"`
	}
	if err := json.Unmarshal(body, &msg); err != nil {
		return fmt.Errorf("invalid_payload: %v", err)
	}
	if (msg.Text == nil || *msg.Text == "") && len(msg.Blocks) == 0 {
		return fmt.Errorf("no_text: neither text nor blocks")
	}
	if msg.Text != nil && length(*msg.Text) > 40000 {
		return fmt.Errorf("text longer than 40000")
	}
	if len(msg.Blocks) > 50 {
		return fmt.Errorf("%d blocks, more than 50", len(msg.Blocks))
	}
	total := 0
	for i, b := range msg.Blocks {
		if length(b.BlockID) > 255 {
			return fmt.Errorf("block %d: block_id longer than 255", i)
		}
		var text slackTextObj
		if len(b.Text) > 0 {
			if err := json.Unmarshal(b.Text, &text); err != nil {
				return fmt.Errorf("block %d: text must be an object", i)
			}
			if text.Text == "" {
				return fmt.Errorf("block %d: empty text", i)
			}
		}
		total += length(text.Text)
		switch b.Type {
		case "header":
			if text.Type != "plain_text" || length(text.Text) > 150 {
				return fmt.Errorf("block %d: header must be plain_text of at most 150 (%d)", i, length(text.Text))
			}
		case "section":
			if len(b.Text) == 0 && len(b.Fields) == 0 {
				return fmt.Errorf("block %d: section without text or fields", i)
			}
			if length(text.Text) > 3000 {
				return fmt.Errorf("block %d: section text longer than 3000", i)
			}
			if len(b.Fields) > 10 {
				return fmt.Errorf("block %d: %d fields, more than 10", i, len(b.Fields))
			}
			for j, f := range b.Fields {
				if f.Text == "" || length(f.Text) > 2000 {
					return fmt.Errorf("block %d field %d: text must be 1 to 2000 (%d)", i, j, length(f.Text))
				}
				total += length(f.Text)
			}
		case "context":
			if len(b.Elements) == 0 || len(b.Elements) > 10 {
				return fmt.Errorf("block %d: context needs 1 to 10 elements", i)
			}
			for _, e := range b.Elements {
				if e.text() == "" || length(e.text()) > 3000 {
					return fmt.Errorf("block %d: context element text must be 1 to 3000", i)
				}
				total += length(e.text())
			}
		case "actions":
			if len(b.Elements) == 0 || len(b.Elements) > 25 {
				return fmt.Errorf("block %d: actions needs 1 to 25 elements", i)
			}
			for _, e := range b.Elements {
				if length(e.URL) > 3000 || length(e.text()) > 75 {
					return fmt.Errorf("block %d: button url over 3000 or text over 75", i)
				}
			}
		case "divider":
		default:
			return fmt.Errorf("block %d: unknown type %q", i, b.Type)
		}
	}
	if total > 12000 {
		return fmt.Errorf("msg_blocks_too_long: %d characters of block text", total)
	}
	return nil
}
