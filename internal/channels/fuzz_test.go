package channels

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/heraldhq/herald/internal/eventtype"
	"github.com/heraldhq/herald/test/fakes"
)

// fuzzMessage turns fuzz input into a message: data that is a JSON object is
// used as it is; anything else fills every field the renderers read.
func fuzzMessage(typ, data, id string) Message {
	// Inputs far past every limit prove as much as huge ones, and keep each
	// execution fast enough for short fuzzing runs.
	if len(data) > 6<<10 {
		data = data[:6<<10]
	}
	if len(id) > 300 {
		id = id[:300]
	}
	if _, err := eventtype.Normalize(typ); err != nil {
		typ = "fuzz:event"
	}
	raw := json.RawMessage(data)
	var obj map[string]any
	if json.Unmarshal(raw, &obj) != nil {
		v, _ := json.Marshal(data)
		s := string(v)
		raw = json.RawMessage(`{"project":{"id":` + s + `,"name":` + s + `},"service":{"id":` + s + `,"name":` + s +
			`},"build":{"branch":` + s + `,"sha":` + s + `,"status":` + s + `,"url":` + s + `,"createdAt":` + s +
			`},"user":{"id":` + s + `},"reason":` + s + `,"alert":{"container":` + s + `,"value":` + s + `},"` +
			strings.Repeat("k", 3) + `":` + s + `}`)
	}
	return Message{EventType: typ, EventID: id, Data: raw, URL: "https://example.com/hook"}
}

func seedFuzz(f *testing.F) {
	deep := strings.Repeat(`{"a":`, 200) + `1` + strings.Repeat(`}`, 200)
	var wide strings.Builder
	wide.WriteString("{")
	for i := range 500 {
		if i > 0 {
			wide.WriteString(",")
		}
		wide.WriteString(`"field` + strings.Repeat("x", i%40) + string(rune('a'+i%26)) + `":"` + strings.Repeat("v", i) + `"`)
	}
	wide.WriteString("}")
	for _, s := range []struct{ typ, data, id string }{
		{"build:start", `{"build":{"branch":"main"},"project":{"id":"p"}}`, "e1"},
		{"build:failure", strings.Repeat("x", 10000), strings.Repeat("i", 128)},
		{"alert:high-memory", strings.Repeat("日本語", 3000), "e"},
		{"job-run:failure", strings.Repeat("e\u0301", 5000), "e"},
		{"backup:success", strings.Repeat("😀", 5000), "e"},
		{"deployment:start", strings.Repeat("<&>", 4000), "e"},
		{"unknown:type", deep, "e"},
		{"quota:exceeded", wide.String(), "e"},
		{"build:start", `{}`, ""},
		{"build:start", ``, ""},
		{"build:start", "\xff\xfe invalid utf-8 \xc3", "e"},
		{"integration:disabled", `{"integration":{"name":"` + strings.Repeat("n", 3000) + `"},"reason":"` + strings.Repeat("r", 9000) + `"}`, "e"},
		{"build:success", `{"build":{"url":"https://example.com/` + strings.Repeat("p", 5000) + `"}}`, "e"},
	} {
		f.Add(s.typ, s.data, s.id)
	}
}

func fuzzChannel(f *testing.F, render func(Message) (*Request, error), validate func([]byte) error) {
	seedFuzz(f)
	f.Fuzz(func(t *testing.T, typ, data, id string) {
		req, err := render(fuzzMessage(typ, data, id))
		if err != nil {
			t.Fatalf("render: %v", err)
		}
		if !utf8.Valid(req.Body) {
			t.Fatalf("invalid UTF-8 in %q", req.Body)
		}
		if err := validate(req.Body); err != nil {
			t.Fatalf("the platform would reject it: %v", err)
		}
	})
}

func FuzzSlack(f *testing.F) {
	fuzzChannel(f, (&Slack{}).Render, fakes.ValidateSlack)
}

func FuzzDiscord(f *testing.F) {
	fuzzChannel(f, (&Discord{}).Render, fakes.ValidateDiscord)
}

func FuzzTeamsAdaptiveCard(f *testing.F) {
	fuzzChannel(f, func(m Message) (*Request, error) {
		m.Format = TeamsAdaptiveCard
		return (&Teams{}).Render(m)
	}, func(b []byte) error {
		if len(b) > TeamsMaxBytes {
			return errTooBig(len(b))
		}
		return fakes.ValidateAdaptiveEnvelope(b)
	})
}

func FuzzTeamsMessageCard(f *testing.F) {
	fuzzChannel(f, func(m Message) (*Request, error) {
		m.Format = TeamsMessageCard
		return (&Teams{}).Render(m)
	}, func(b []byte) error {
		if len(b) > TeamsMaxBytes {
			return errTooBig(len(b))
		}
		return fakes.ValidateMessageCard(b)
	})
}

type errTooBig int

func (e errTooBig) Error() string { return "message too big" }
