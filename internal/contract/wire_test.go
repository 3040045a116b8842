package contract

import (
	"encoding/json"
	"testing"
	"time"
)

// Histories written before the wire names were camelCase carry Go field
// names ("TeamID"); they still decode (encoding/json matches names without
// regard to case), so old runs replay and old workers read new payloads.
func TestOldPayloadsDecode(t *testing.T) {
	old := []byte(`{"TeamID":"team_a","EventID":"e1","Type":"build:start","ProjectID":"p","Data":{"x":1},
		"ReceivedAt":"2026-01-02T03:04:05Z","ResendOnly":true,"ExcludeIntegrationID":"int_x","OnlyIntegrationID":"","Carries":["dlv_1"]}`)
	var in EventInput
	if err := json.Unmarshal(old, &in); err != nil {
		t.Fatal(err)
	}
	if in.TeamID != "team_a" || in.EventID != "e1" || in.Type != "build:start" || in.ProjectID != "p" || string(in.Data) != `{"x":1}` ||
		!in.ReceivedAt.Equal(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) || !in.ResendOnly || in.ExcludeIntegrationID != "int_x" ||
		len(in.Carries) != 1 {
		t.Fatalf("decoded %+v", in)
	}
	var p PlannedDelivery
	if err := json.Unmarshal([]byte(`{"DeliveryID":"dlv_1","IntegrationID":"int_1","Status":"pending","AttemptCount":2}`), &p); err != nil ||
		p.DeliveryID != "dlv_1" || p.IntegrationID != "int_1" || p.AttemptCount != 2 {
		t.Fatalf("decoded %+v %v", p, err)
	}
	// And new payloads are camelCase.
	b, _ := json.Marshal(EventInput{TeamID: "t", EventID: "e"})
	if string(b[:30]) != `{"teamId":"t","eventId":"e","t` {
		t.Fatalf("encoded %s", b)
	}
}
