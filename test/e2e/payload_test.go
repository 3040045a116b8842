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
	"google.golang.org/protobuf/proto"

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
	// No key, no decoding; the Web UI's origin gets CORS; the key in the
	// Web UI's codec URL is never logged.
	if r := s.Do(t, http.MethodPost, "/codec/decode", "", string(body)); r.Status != http.StatusUnauthorized {
		t.Errorf("decode without a key: %d", r.Status)
	}
	if r := s.Do(t, http.MethodPost, "/codec/decode", s.Key, string(body), "Origin", "http://127.0.0.1:8233"); r.Header.Get("Access-Control-Allow-Origin") != "http://127.0.0.1:8233" {
		t.Errorf("no CORS for the Web UI: %v", r.Header)
	}
	if logs := s.Logs.String(); strings.Contains(logs, s.Key) || !strings.Contains(logs, `"/codec/:key/decode"`) {
		t.Errorf("the request log shows the codec path's key, or does not log the request")
	}
	// The seal names the team: team A's payload relabelled as team B's
	// opens for neither key.
	forged := &commonpb.Payloads{}
	for _, p := range sealed {
		c := proto.Clone(p).(*commonpb.Payload)
		c.Metadata[codec.MetadataScope] = []byte(otherTeam(t, s, other))
		forged.Payloads = append(forged.Payloads, c)
	}
	fb, _ := protojson.Marshal(forged)
	if r := s.Do(t, http.MethodPost, "/codec/decode", other, string(fb), "Content-Type", "application/json"); r.Status != http.StatusBadRequest || strings.Contains(string(r.Body), marker) {
		t.Errorf("a payload relabelled as team B's, decoded by team B: %d %.200s", r.Status, r.Body)
	}
	// Encoding seals for the caller's team.
	r := s.Do(t, http.MethodPost, "/codec/encode", s.Key, `{"payloads":[{"metadata":{"encoding":"`+base64.StdEncoding.EncodeToString([]byte("json/plain"))+`"},"data":"`+base64.StdEncoding.EncodeToString([]byte(`"x"`))+`"}]}`)
	var enc commonpb.Payloads
	if err := protojson.Unmarshal(r.Body, &enc); err != nil || len(enc.Payloads) != 1 || codec.Scope(enc.Payloads[0]) != s.Team {
		t.Errorf("encode for team A: %d %s (%v)", r.Status, r.Body, err)
	}
}

// otherTeam is the team of key.
func otherTeam(t *testing.T, s *testenv.Stack, key string) string {
	t.Helper()
	k, err := s.Store.Authenticate(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return k.TeamID
}
