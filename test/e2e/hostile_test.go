package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	commonpb "go.temporal.io/api/common/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/heraldhq/herald/internal/codec"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/test/testenv"
)

func TestHostileInput(t *testing.T) {
	s := testenv.NewStack(t)
	deep := strings.Repeat(`{"a":`, 65) + `1` + strings.Repeat(`}`, 65)
	cases := []struct {
		name   string
		path   string
		body   string
		status int
		detail string
	}{
		{"nesting", "/v1/events", `{"event":"build:start","data":` + deep + `}`, 400, "nests 66 levels"},
		{"batch too large", "/v1/events/batch", `{"events":[` + strings.TrimSuffix(strings.Repeat(`{"event":"a:b"},`, 101), ",") + `]}`, 413, "at most 100"},
		{"empty batch", "/v1/events/batch", `{"events":[]}`, 400, "at least one"},
		{"unknown field in batch", "/v1/events/batch", `{"events":[],"extra":1}`, 400, "unknown field"},
	}
	for _, c := range cases {
		r := s.Do(t, http.MethodPost, c.path, s.Key, c.body)
		if r.Status != c.status || !strings.Contains(string(r.Body), c.detail) || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json") {
			t.Errorf("%s: %d %s", c.name, r.Status, r.Body)
		}
	}
	// A batch answers per event.
	r := s.Do(t, http.MethodPost, "/v1/events/batch", s.Key, `{"events":[{"id":"b1","event":"build:start"},{"event":"Not Valid"},{"id":"b2","event":"build:success","data":[]}]}`)
	var batch struct {
		Results []struct {
			ID      string
			Status  int
			Problem *struct{ Detail string }
		}
	}
	r.JSON(t, &batch)
	if r.Status != http.StatusMultiStatus || len(batch.Results) != 3 || batch.Results[0].Status != 202 || batch.Results[0].ID != "b1" ||
		batch.Results[1].Status != 400 || batch.Results[2].Status != 400 || batch.Results[2].Problem == nil {
		t.Errorf("batch: %d %s", r.Status, r.Body)
	}

	// Oversize headers: a problem, not a dropped connection.
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/v1/integrations", nil)
	req.Header.Set("Authorization", "Bearer "+s.Key)
	req.Header.Set("X-Padding", strings.Repeat("p", 16<<10))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
		t.Errorf("oversize headers: %d %s", resp.StatusCode, body)
	}
	// Internals never show: an unknown route, a bad method.
	for _, r := range []testenv.Response{s.Do(t, http.MethodGet, "/v1/../../etc/passwd", s.Key, nil), s.Do(t, http.MethodPut, "/v1/events", s.Key, nil)} {
		if r.Status < 400 || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json") || bytes.Contains(r.Body, []byte("goroutine")) {
			t.Errorf("%d %s", r.Status, r.Body)
		}
	}
}

func TestRateLimitPerKey(t *testing.T) {
	s := testenv.NewStack(t, func(c *config.Config) { c.RateLimit, c.RateBurst = 1, 5 })
	_, other := testenv.TeamWithKey(t, s.Store, s.Team, "manage")
	var limited testenv.Response
	for i := range 6 {
		r := s.Do(t, http.MethodGet, "/v1/integrations", s.Key, nil)
		if i < 5 && r.Status != 200 {
			t.Fatalf("request %d: %d", i, r.Status)
		}
		limited = r
	}
	ra, _ := strconv.Atoi(limited.Header.Get("Retry-After"))
	if limited.Status != http.StatusTooManyRequests || ra < 1 || !strings.Contains(string(limited.Body), "rate") {
		t.Errorf("6th request: %d Retry-After %q %s", limited.Status, limited.Header.Get("Retry-After"), limited.Body)
	}
	// Another key has its own bucket.
	if r := s.Do(t, http.MethodGet, "/v1/integrations", other, nil); r.Status != 200 {
		t.Errorf("another key: %d", r.Status)
	}
}

// During a rotation both signatures go out: receivers holding either secret verify.
func TestSecretRotation(t *testing.T) {
	s := testenv.NewStack(t)
	recv := testenv.NewReceiver(t)
	integ := s.CreateIntegration(t, map[string]any{"name": "rotating", "type": "webhook", "url": recv.URL, "events": []string{"*"}, "generateSecret": true})
	r := s.Do(t, http.MethodPost, "/v1/integrations/"+integ.ID+"/rotate-secret", s.Key, nil)
	var rot struct {
		Secret                  string
		PreviousSecretExpiresAt string
	}
	r.JSON(t, &rot)
	if r.Status != 200 || rot.Secret == integ.Secret || !strings.HasPrefix(rot.Secret, "whsec_") || rot.PreviousSecretExpiresAt == "" {
		t.Fatalf("rotate: %d %s", r.Status, r.Body)
	}
	s.AwaitWorkflow(t, s.PostEvent(t, map[string]any{"event": "build:start"}))
	got := recv.Requests()[0]
	if sigs := strings.Fields(got.Header.Get("Webhook-Signature")); len(sigs) != 2 {
		t.Fatalf("signatures %q: want two during the grace period", got.Header.Get("Webhook-Signature"))
	}
	for _, sec := range []string{integ.Secret, rot.Secret} {
		wh, _ := standardwebhooks.NewWebhook(sec)
		if err := wh.Verify(got.Body, got.Header); err != nil {
			t.Errorf("verify with %s…: %v", sec[:10], err)
		}
	}
	if got.Header.Get("X-Northflank-Notification-Integration-Token") != rot.Secret {
		t.Error("the token header must carry the new secret")
	}
	// A test notification takes the same attempt path: both secrets sign it too.
	if r := s.Do(t, http.MethodPost, "/v1/integrations/"+integ.ID+"/test", s.Key, nil); r.Status != 200 {
		t.Fatalf("test notification: %d %s", r.Status, r.Body)
	}
	test := recv.Requests()[len(recv.Requests())-1]
	if sigs := strings.Fields(test.Header.Get("Webhook-Signature")); len(sigs) != 2 {
		t.Errorf("test notification signatures %q: want two during the grace period", test.Header.Get("Webhook-Signature"))
	}
	for _, sec := range []string{integ.Secret, rot.Secret} {
		wh, _ := standardwebhooks.NewWebhook(sec)
		if err := wh.Verify(test.Body, test.Header); err != nil {
			t.Errorf("verify the test notification with %s…: %v", sec[:10], err)
		}
	}
	// Chat integrations have no secret to rotate.
	if r := s.Do(t, http.MethodPost, "/v1/integrations/"+s.CreateIntegration(t, map[string]any{"name": "chat", "type": "slack", "url": recv.URL + "/s", "events": []string{"none:ever"}}).ID+"/rotate-secret", s.Key, nil); r.Status != 400 {
		t.Errorf("rotate a slack integration: %d", r.Status)
	}
}

// With a payload key, workflow history holds no plaintext event data, and the
// codec endpoint decodes it for operators with a key.
func TestPayloadEncryption(t *testing.T) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		t.Fatal(err)
	}
	s := testenv.NewStack(t, func(c *config.Config) { c.PayloadKey = "k1:" + base64.StdEncoding.EncodeToString(raw) })
	recv := testenv.NewReceiver(t)
	s.CreateIntegration(t, map[string]any{"name": "sealed", "type": "webhook", "url": recv.URL, "events": []string{"*"}})
	marker := "confidential-build-7c1d"
	res := s.AwaitWorkflow(t, s.PostEvent(t, map[string]any{"id": "sealed-1", "event": "build:start", "data": map[string]any{"build": map[string]any{"id": marker}}}))
	if res.Status != "delivered" || !bytes.Contains(recv.Requests()[0].Body, []byte(marker)) {
		t.Fatalf("delivery with encryption on: %+v", res)
	}
	h := history(t, s.Temporal, "event/"+s.Team+"/sealed-1", "")
	if hits := containsIn(h.ProtoReflect(), [][]byte{[]byte(marker), []byte("sealed-1\"")}); len(hits) > 0 {
		t.Errorf("plaintext in history at %v", hits)
	}
	// The codec endpoint decodes the workflow input for a key holder.
	input := h.Events[0].GetWorkflowExecutionStartedEventAttributes().GetInput()
	for _, c := range []struct {
		path, key string
		status    int
	}{{"/codec/decode", s.Key, 200}, {"/codec/" + s.Key + "/decode", "", 200}, {"/codec/decode", "", 401}} {
		r := s.Do(t, http.MethodPost, c.path, c.key, protoJSON(t, input), "Origin", "http://127.0.0.1:8233")
		if r.Status != c.status {
			t.Errorf("%s: %d %s", c.path, r.Status, r.Body)
			continue
		}
		if c.status == 200 && !strings.Contains(decodedData(t, r.Body), marker) {
			t.Errorf("%s did not decode: %s", c.path, r.Body)
		}
		if c.status == 200 && r.Header.Get("Access-Control-Allow-Origin") != "http://127.0.0.1:8233" {
			t.Errorf("%s: no CORS for the Web UI", c.path)
		}
	}
	// The key in the Web UI's codec URL is not logged, even at debug level.
	if logs := s.Logs.String(); strings.Contains(logs, s.Key) || !strings.Contains(logs, `"/codec/:key/decode"`) {
		t.Errorf("request log shows the codec path's key, or does not log the request: %.2000s", logs)
	}

	// Another team's key gets the payload back sealed; an operator's admin key
	// (of any team) decodes it.
	_, otherKey := testenv.Team(t, s.Store, "ingest", "manage")
	_, adminKey := testenv.Team(t, s.Store, "admin")
	for _, c := range []struct {
		who, key string
		decodes  bool
	}{{"team B's manage key", otherKey, false}, {"an admin key", adminKey, true}, {"team A's key", s.Key, true}} {
		r := s.Do(t, http.MethodPost, "/codec/decode", c.key, protoJSON(t, input))
		if r.Status != 200 {
			t.Fatalf("%s: %d %s", c.who, r.Status, r.Body)
		}
		if got := strings.Contains(decodedData(t, r.Body), marker); got != c.decodes {
			t.Errorf("%s decodes team A's event data: %v, want %v", c.who, got, c.decodes)
		}
	}
	// The seal names the team: a payload relabelled as team B's does not open.
	forged := proto.Clone(input).(*commonpb.Payloads)
	_, bTeamKey := testenv.Team(t, s.Store)
	bTeam := ""
	if k, err := s.Store.Authenticate(context.Background(), bTeamKey); err == nil {
		bTeam = k.TeamID
	}
	for _, p := range forged.GetPayloads() {
		p.Metadata[codec.MetadataScope] = []byte(bTeam)
	}
	if r := s.Do(t, http.MethodPost, "/codec/decode", bTeamKey, protoJSON(t, forged)); r.Status != 400 || strings.Contains(string(r.Body), marker) {
		t.Errorf("a payload relabelled as another team's: %d %s", r.Status, r.Body)
	}
	// Encoding through the endpoint seals for the caller's team.
	r := s.Do(t, http.MethodPost, "/codec/encode", s.Key, `{"payloads":[{"metadata":{"encoding":"`+base64.StdEncoding.EncodeToString([]byte("json/plain"))+`"},"data":"`+base64.StdEncoding.EncodeToString([]byte(`"x"`))+`"}]}`)
	var enc commonpb.Payloads
	if err := protojson.Unmarshal(r.Body, &enc); err != nil || len(enc.Payloads) != 1 || codec.Scope(enc.Payloads[0]) != s.Team {
		t.Errorf("encode for team A: %d %s (%v)", r.Status, r.Body, err)
	}
}

func protoJSON(t *testing.T, p *commonpb.Payloads) string {
	t.Helper()
	var out struct {
		Payloads []map[string]any `json:"payloads"`
	}
	for _, pl := range p.GetPayloads() {
		md := map[string]string{}
		for k, v := range pl.GetMetadata() {
			md[k] = base64.StdEncoding.EncodeToString(v)
		}
		out.Payloads = append(out.Payloads, map[string]any{"metadata": md, "data": base64.StdEncoding.EncodeToString(pl.GetData())})
	}
	b, _ := json.Marshal(out)
	return string(b)
}

// decodedData joins the decoded payloads' data.
func decodedData(t *testing.T, body []byte) string {
	t.Helper()
	var out struct {
		Payloads []struct{ Data string }
	}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("codec answer %s: %v", body, err)
	}
	var all []string
	for _, p := range out.Payloads {
		b, _ := base64.StdEncoding.DecodeString(p.Data)
		all = append(all, string(b))
	}
	return strings.Join(all, "\n")
}
