package fakes

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// Discord is a fake execute-webhook endpoint. URL(mode): "ok" accepts;
// "deleted" answers 404 code 10015 (Unknown Webhook); "limited" answers its
// first request 429 with retry_after 1.5 (and Retry-After: 2); "bucket"
// allows three requests per two-second window (fewer than Herald assumes
// before it hears from a webhook), announces the window in X-RateLimit-*
// headers on every answer, and answers 429 beyond it.
type Discord struct{ *server }

// NewDiscord starts a fake Discord.
func NewDiscord(t testing.TB) *Discord {
	return &Discord{newServer(t, func(s *server, w http.ResponseWriter, r *http.Request, body []byte) {
		reply := func(code int, v any) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(code)
			_ = json.NewEncoder(w).Encode(v)
		}
		switch mode(r) {
		case "bucket":
			remaining, resetAfter, ok := s.spend(r.URL.Path, 3, 2*time.Second)
			h := w.Header()
			h.Set("X-RateLimit-Limit", "3")
			h.Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
			h.Set("X-RateLimit-Reset-After", strconv.FormatFloat(resetAfter.Seconds(), 'f', 3, 64))
			h.Set("X-RateLimit-Reset", strconv.FormatFloat(float64(time.Now().Add(resetAfter).UnixMilli())/1000, 'f', 3, 64))
			h.Set("X-RateLimit-Bucket", "fake-webhook-bucket")
			if !ok {
				h.Set("Retry-After", strconv.Itoa(int(math.Ceil(resetAfter.Seconds()))))
				h.Set("X-RateLimit-Scope", "shared")
				reply(http.StatusTooManyRequests, map[string]any{"message": "You are being rate limited.", "retry_after": resetAfter.Seconds(), "global": false})
				return
			}
		case "deleted":
			reply(http.StatusNotFound, map[string]any{"message": "Unknown Webhook", "code": 10015})
			return
		case "limited":
			if s.hit(r.URL.Path) == 1 {
				w.Header().Set("Retry-After", "2")
				w.Header().Set("X-RateLimit-Reset-After", "1.5")
				reply(http.StatusTooManyRequests, map[string]any{"message": "You are being rate limited.", "retry_after": 1.5, "global": false})
				return
			}
		}
		if !isJSON(r) {
			s.reject("content type " + r.Header.Get("Content-Type"))
			reply(http.StatusBadRequest, map[string]any{"message": "Cannot send an empty message", "code": 50006})
			return
		}
		if err := ValidateDiscord(body); err != nil {
			s.reject(err.Error())
			reply(http.StatusBadRequest, map[string]any{"message": "Invalid Form Body", "code": 50035, "errors": err.Error()})
			return
		}
		s.accept(body)
		if r.URL.Query().Get("wait") != "true" {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		reply(http.StatusOK, map[string]any{"id": fmt.Sprint(time.Now().UnixNano()), "type": 0, "channel_id": "1"})
	})}
}

// URL is a webhook URL of this fake in a mode.
func (d *Discord) URL(mode string) string { return d.Server.URL + "/api/webhooks/1234567890/" + mode }

type discordEmbed struct {
	Title       string `json:"title"`
	Description string `json:"description"`
	URL         string `json:"url"`
	Timestamp   string `json:"timestamp"`
	Fields      []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"fields"`
	Footer *struct {
		Text string `json:"text"`
	} `json:"footer"`
	Author *struct {
		Name string `json:"name"`
	} `json:"author"`
}

// ValidateDiscord checks a message against Discord's documented limits.
func ValidateDiscord(body []byte) error {
	var msg struct {
		Content         string         `json:"content"`
		Embeds          []discordEmbed `json:"embeds"`
		AllowedMentions *struct {
			Parse []string `json:"parse"`
		} `json:"allowed_mentions"`
	}
	if err := json.Unmarshal(body, &msg); err != nil {
		return fmt.Errorf("body: %v", err)
	}
	if msg.Content == "" && len(msg.Embeds) == 0 {
		return fmt.Errorf("cannot send an empty message")
	}
	if length(msg.Content) > 2000 {
		return fmt.Errorf("content longer than 2000")
	}
	if len(msg.Embeds) > 10 {
		return fmt.Errorf("more than 10 embeds")
	}
	total := 0
	for i, e := range msg.Embeds {
		checks := []struct {
			what string
			text string
			max  int
		}{{"title", e.Title, 256}, {"description", e.Description, 4096}}
		if e.Footer != nil {
			checks = append(checks, struct {
				what string
				text string
				max  int
			}{"footer", e.Footer.Text, 2048})
		}
		if e.Author != nil {
			checks = append(checks, struct {
				what string
				text string
				max  int
			}{"author", e.Author.Name, 256})
		}
		for _, c := range checks {
			if length(c.text) > c.max {
				return fmt.Errorf("embed %d: %s longer than %d", i, c.what, c.max)
			}
			total += length(c.text)
		}
		if len(e.Fields) > 25 {
			return fmt.Errorf("embed %d: more than 25 fields", i)
		}
		for j, f := range e.Fields {
			if f.Name == "" || length(f.Name) > 256 || f.Value == "" || length(f.Value) > 1024 {
				return fmt.Errorf("embed %d field %d: name 1-256 and value 1-1024", i, j)
			}
			total += length(f.Name) + length(f.Value)
		}
		if e.Timestamp != "" {
			if _, err := time.Parse(time.RFC3339Nano, e.Timestamp); err != nil {
				return fmt.Errorf("embed %d: timestamp is not ISO 8601", i)
			}
		}
	}
	if total > 6000 {
		return fmt.Errorf("embeds total %d, more than 6000", total)
	}
	return nil
}
