package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/heraldhq/herald/internal/codec"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/test/testenv"
)

// Payload encryption end to end: with HERALD_PAYLOAD_KEY, the event's data
// reaches its receiver while Temporal's history holds none of it; the codec
// endpoint decodes a team's own payloads for that team's key (as a bearer and
// in the path, as the Web UI calls it) and an operator's admin key, and
// passes another team's back sealed: team B's key never reads team A's data.
func TestPayloadEncryption(t *testing.T) {
	const marker = "payload-marker-3f9a1c"
	s := testenv.NewStack(t, func(c *config.Config) {
		c.PayloadKey = "k1:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{9}, 32))
	})
	recv := testenv.NewReceiver(t)
	s.CreateIntegration(t, map[string]any{"name": "sealed-payloads", "type": "webhook", "url": recv.URL, "events": []string{"*"}})
	wf := s.PostEvent(t, map[string]any{"id": "sealed-1", "event": "build:failure", "data": map[string]any{"build": map[string]any{"id": marker}}})
	s.AwaitWorkflow(t, wf)
	if got := recv.Requests(); len(got) != 1 || !strings.Contains(string(got[0].Body), marker) {
		t.Fatalf("the receiver got %d requests without the event's data", len(got))
	}

	// Every payload of the history is sealed for team A, and none holds the data.
	var sealed []*commonpb.Payload
	it := s.Temporal.GetWorkflowHistory(context.Background(), wf, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(e.String(), marker) {
			t.Fatalf("history event %s holds the event's data in the clear", e.GetEventType())
		}
		if in := e.GetWorkflowExecutionStartedEventAttributes().GetInput(); in != nil {
			sealed = append(sealed, in.GetPayloads()...)
		}
	}
	if len(sealed) == 0 || !codec.Encrypted(sealed[0]) || codec.Scope(sealed[0]) != s.Team {
		t.Fatalf("the workflow's input: %d payloads, not sealed for team %s", len(sealed), s.Team)
	}
	body, err := protojson.Marshal(&commonpb.Payloads{Payloads: sealed})
	if err != nil {
		t.Fatal(err)
	}
	decode := func(path, key string) string {
		t.Helper()
		r := s.Do(t, http.MethodPost, path, key, string(body), "Content-Type", "application/json")
		if r.Status != http.StatusOK {
			t.Fatalf("%s: %d %s", path, r.Status, r.Body)
		}
		var out commonpb.Payloads
		if err := protojson.Unmarshal(r.Body, &out); err != nil {
			t.Fatal(err)
		}
		return string(out.GetPayloads()[0].GetData())
	}
	if got := decode("/codec/decode", s.Key); !strings.Contains(got, marker) {
		t.Errorf("team A's key did not decode its own payload: %.100s", got)
	}
	if got := decode("/codec/"+s.Key+"/decode", ""); !strings.Contains(got, marker) {
		t.Errorf("team A's key in the path did not decode its own payload: %.100s", got)
	}
	_, other := testenv.Team(t, s.Store, "manage")
	if got := decode("/codec/decode", other); strings.Contains(got, marker) {
		t.Error("team B's key decoded team A's payload")
	}
	if got := decode("/codec/"+other+"/decode", ""); strings.Contains(got, marker) {
		t.Error("team B's key in the path decoded team A's payload")
	}
	_, admin := testenv.TeamWithKey(t, s.Store, s.Team, "admin")
	if got := decode("/codec/decode", admin); !strings.Contains(got, marker) {
		t.Errorf("the operator's admin key did not decode: %.100s", got)
	}
}
