package e2e

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/heraldhq/herald/test/testenv"
)

// containsIn reports every place in a proto message (payload bytes, strings,
// bytes) where any needle appears.
func containsIn(m protoreflect.Message, needles [][]byte) []string {
	var hits []string
	var walk func(protoreflect.Message, string)
	walk = func(m protoreflect.Message, path string) {
		if p, ok := m.Interface().(*commonpb.Payload); ok {
			for _, n := range needles {
				if bytes.Contains(p.GetData(), n) {
					hits = append(hits, path+".data")
				}
			}
		}
		m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
			name := path + "." + string(fd.Name())
			check := func(kind protoreflect.Kind, v protoreflect.Value) {
				switch kind {
				case protoreflect.MessageKind, protoreflect.GroupKind:
					walk(v.Message(), name)
				case protoreflect.StringKind:
					for _, n := range needles {
						if strings.Contains(v.String(), string(n)) {
							hits = append(hits, name)
						}
					}
				case protoreflect.BytesKind:
					for _, n := range needles {
						if bytes.Contains(v.Bytes(), n) {
							hits = append(hits, name)
						}
					}
				}
			}
			switch {
			case fd.IsList():
				for i := 0; i < v.List().Len(); i++ {
					check(fd.Kind(), v.List().Get(i))
				}
			case fd.IsMap():
				v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
					check(fd.MapValue().Kind(), mv)
					return true
				})
			default:
				check(fd.Kind(), v)
			}
			return true
		})
	}
	walk(m, "")
	return hits
}

// histories fetches every workflow history of the namespace that mentions id
// in its workflow id.
func histories(t *testing.T, s *testenv.Stack, ids ...string) map[string]*historypb.History {
	t.Helper()
	ctx := context.Background()
	out := map[string]*historypb.History{}
	var token []byte
	for {
		resp, err := s.Temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{PageSize: 1000, NextPageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range resp.Executions {
			wid := e.Execution.GetWorkflowId()
			for _, id := range ids {
				if strings.Contains(wid, id) {
					out[wid+"@"+e.Execution.GetRunId()] = history(t, s.Temporal, wid, e.Execution.GetRunId())
					break
				}
			}
		}
		if token = resp.NextPageToken; len(token) == 0 {
			return out
		}
	}
}

// After deliveries, retries, a failure and a resend with a known secret and
// webhook URL, neither appears in any workflow history, in the logs, or in any
// API response after creation.
func TestNoSecretLeaks(t *testing.T) {
	s := testenv.NewStack(t, fastRetry)
	recv := testenv.NewReceiver(t,
		testenv.Reply{Status: 500, Body: "try again"}, testenv.Reply{Status: 200},
		testenv.Reply{Status: 400, Body: "no"})
	hookURL := recv.URL + "/hooks/tok-9f8e7d6c5b4a3210-secret-path"
	integ := s.CreateIntegration(t, map[string]any{"name": "leaky", "type": "webhook", "url": hookURL, "events": []string{"*"}, "generateSecret": true})
	secret := integ.Secret
	if integ.URL != hookURL || secret == "" {
		t.Fatalf("the create response shows the URL and secret: %+v", integ)
	}

	r1 := s.AwaitWorkflow(t, s.PostEvent(t, map[string]any{"id": "leak-1", "event": "build:start"}))   // 500 then 200
	r2 := s.AwaitWorkflow(t, s.PostEvent(t, map[string]any{"id": "leak-2", "event": "build:failure"})) // 400
	if r := s.Do(t, http.MethodPost, "/v1/deliveries/"+r2.Deliveries[0].DeliveryID+"/resend", s.Key, nil); r.Status != 202 {
		t.Fatalf("resend: %d", r.Status)
	}
	testenv.Await(t, "resend delivered", func() bool { return len(recv.Requests()) == 4 })
	rot := s.Do(t, http.MethodPost, "/v1/integrations/"+integ.ID+"/rotate-secret", s.Key, nil)
	if rot.Status != 200 || !strings.Contains(string(rot.Body), "whsec_") {
		t.Fatalf("rotate: %d", rot.Status)
	}
	testenv.Await(t, "workflows closed", func() bool {
		return s.Delivery(t, r2.Deliveries[0].DeliveryID).Attempts == 2
	})

	needles := [][]byte{[]byte(secret), []byte(hookURL), []byte("tok-9f8e7d6c5b4a3210")}
	hs := histories(t, s, s.Team, integ.ID)
	if len(hs) < 3 {
		t.Fatalf("found %d histories, want the two events' runs and the resend run", len(hs))
	}
	seen := 0
	for id, h := range hs {
		if hits := containsIn(h.ProtoReflect(), needles); len(hits) > 0 {
			t.Errorf("history %s leaks a secret at %v", id, hits)
		}
		// The search does look inside payloads: the event id is there.
		seen += len(containsIn(h.ProtoReflect(), [][]byte{[]byte(`"leak-1"`)}))
	}
	if seen == 0 {
		t.Fatal("the history search found not even the event id: it is blind")
	}
	if logs := s.Logs.String(); strings.Contains(logs, secret) || strings.Contains(logs, "tok-9f8e7d6c5b4a3210") {
		t.Error("the logs carry the secret or the URL")
	}
	for _, path := range []string{
		"/v1/integrations", "/v1/integrations/" + integ.ID, "/v1/integrations/" + integ.ID + "/deliveries",
		"/v1/events", "/v1/events/leak-1", "/v1/events/leak-2",
		"/v1/deliveries/" + r1.Deliveries[0].DeliveryID, "/v1/deliveries/" + r2.Deliveries[0].DeliveryID,
	} {
		r := s.Do(t, http.MethodGet, path, s.Key, nil)
		for _, n := range needles {
			if bytes.Contains(r.Body, n) {
				t.Errorf("GET %s shows %q", path, n)
			}
		}
	}
}
