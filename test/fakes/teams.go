package fakes

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// Teams is a fake for both kinds of Teams URL. WorkflowsURL(mode) takes
// Adaptive Cards in the Workflows envelope and answers 202; ConnectorURL(mode)
// takes legacy MessageCards (or that envelope) and answers 200 "1". Modes: "ok"; "throttled"
// (connector: 200 with a 429 message, at first); "gone" (410).
type Teams struct{ *server }

// NewTeams starts a fake Teams.
func NewTeams(t testing.TB) *Teams {
	return &Teams{newServer(t, func(s *server, w http.ResponseWriter, r *http.Request, body []byte) {
		legacy := strings.Contains(r.URL.Path, "/webhookb2/")
		text := func(code int, msg string) {
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(code)
			fmt.Fprint(w, msg)
		}
		switch mode(r) {
		case "gone":
			text(http.StatusGone, "")
			return
		case "throttled":
			if legacy && s.hit(r.URL.Path) == 1 {
				text(http.StatusOK, "Microsoft Teams endpoint returned HTTP error 429 with ContextId tcid=0,server=msgapi")
				return
			}
		}
		if !isJSON(r) {
			s.reject("content type " + r.Header.Get("Content-Type"))
			text(http.StatusUnsupportedMediaType, "unsupported media type")
			return
		}
		if len(body) > 28<<10 {
			s.reject("larger than 28 KB")
			text(http.StatusRequestEntityTooLarge, "Message size too large")
			return
		}
		if legacy {
			// Connectors take MessageCards and, in the same envelope as
			// Workflows, Adaptive Cards.
			err := ValidateMessageCard(body)
			if err != nil && ValidateAdaptiveEnvelope(body) == nil {
				err = nil
			}
			if err != nil {
				s.reject(err.Error())
				text(http.StatusOK, "Summary or Text is required.") // the connector's 200-with-an-error
				return
			}
			s.accept(body)
			text(http.StatusOK, "1")
			return
		}
		if err := ValidateAdaptiveEnvelope(body); err != nil {
			s.reject(err.Error())
			text(http.StatusBadRequest, `{"error":{"code":"InvalidRequestContent","message":"`+err.Error()+`"}}`)
			return
		}
		s.accept(body)
		w.WriteHeader(http.StatusAccepted)
	})}
}

// WorkflowsURL is a Power Automate Workflows URL of this fake.
func (t *Teams) WorkflowsURL(mode string) string {
	return t.Server.URL + "/workflows/0f8fad5b/triggers/manual/paths/invoke/" + mode
}

// ConnectorURL is a legacy Office 365 connector URL of this fake.
func (t *Teams) ConnectorURL(mode string) string {
	return t.Server.URL + "/webhookb2/a1b2c3@tenant/IncomingWebhook/d4e5/" + mode
}

// ValidateAdaptiveEnvelope checks the Workflows envelope and its Adaptive Card.
func ValidateAdaptiveEnvelope(body []byte) error {
	var env struct {
		Type        string `json:"type"`
		Attachments []struct {
			ContentType string `json:"contentType"`
			Content     struct {
				Type    string           `json:"type"`
				Version string           `json:"version"`
				Body    []map[string]any `json:"body"`
			} `json:"content"`
		} `json:"attachments"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return fmt.Errorf("not JSON: %v", err)
	}
	if env.Type != "message" || len(env.Attachments) != 1 {
		return fmt.Errorf("want type message with one attachment")
	}
	a := env.Attachments[0]
	if a.ContentType != "application/vnd.microsoft.card.adaptive" || a.Content.Type != "AdaptiveCard" || a.Content.Version == "" {
		return fmt.Errorf("attachment is not an Adaptive Card")
	}
	if len(a.Content.Body) == 0 {
		return fmt.Errorf("empty card body")
	}
	for i, el := range a.Content.Body {
		if el["type"] == nil {
			return fmt.Errorf("body element %d has no type", i)
		}
	}
	return nil
}

// ValidateMessageCard checks a legacy MessageCard.
func ValidateMessageCard(body []byte) error {
	var card struct {
		Type     string `json:"@type"`
		Summary  string `json:"summary"`
		Text     string `json:"text"`
		Sections []any  `json:"sections"`
	}
	if err := json.Unmarshal(body, &card); err != nil {
		return fmt.Errorf("not JSON: %v", err)
	}
	if card.Type != "MessageCard" {
		return fmt.Errorf("@type must be MessageCard")
	}
	if card.Summary == "" && card.Text == "" {
		return fmt.Errorf("summary or text is required")
	}
	return nil
}
