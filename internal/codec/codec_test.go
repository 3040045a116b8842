package codec

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
)

func newKey(t *testing.T, id string) string {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return id + ":" + base64.StdEncoding.EncodeToString(b)
}

func TestRoundTripAndRotation(t *testing.T) {
	k1, k2 := newKey(t, "k1"), newKey(t, "k2")
	old, err := Parse(k1)
	if err != nil {
		t.Fatal(err)
	}
	dc := converter.GetDefaultDataConverter()
	plain, err := dc.ToPayloads(map[string]any{"secret": "build of project-x"}, 42)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := old.Encode(plain.Payloads)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range enc {
		if bytes.Contains(p.Data, []byte("project-x")) || string(p.Metadata["encoding"]) != EncodingEncrypted {
			t.Fatalf("not encrypted: %v", p)
		}
	}
	// A ring with a new active key still reads what the old key wrote.
	rotated, err := Parse(k2 + "," + k1)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := rotated.Decode(enc)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	var n int
	if err := dc.FromPayloads(&commonpb.Payloads{Payloads: dec}, &got, &n); err != nil || got["secret"] != "build of project-x" || n != 42 {
		t.Errorf("round trip: %v %v %v", got, n, err)
	}
	reenc, _ := rotated.Encode(plain.Payloads)
	if string(reenc[0].Metadata[MetadataKeyID]) != "k2" {
		t.Error("the first key of the ring must encrypt")
	}
	// Tampering is detected; an unknown key is an error; plaintext passes through.
	enc[0].Data[len(enc[0].Data)-1] ^= 1
	if _, err := rotated.Decode(enc[:1]); err == nil {
		t.Error("tampered payload decoded")
	}
	if _, err := old.Decode(reenc); err == nil {
		t.Error("payload under an unknown key decoded")
	}
	if out, err := old.Decode(plain.Payloads); err != nil || !bytes.Equal(out[0].Data, plain.Payloads[0].Data) {
		t.Error("plain payloads must pass through")
	}
}

func TestParseErrors(t *testing.T) {
	for _, bad := range []string{"", "nokey", "k:notbase64!", "k:" + base64.StdEncoding.EncodeToString([]byte("short")), newKey(t, "a") + "," + newKey(t, "a")} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// The SDK names the workflow a payload travels with; the codec seals it for
// that workflow's team, and a payload relabelled with another team fails to open.
func TestScopeFromSerializationContext(t *testing.T) {
	scopeOf := func(wfID string) string {
		if wfID == "event/team_a/e1" {
			return "team_a"
		}
		return ""
	}
	dc, _, c, err := Converters(newKey(t, "k1"), scopeOf)
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range []struct {
		ctx  converter.SerializationContext
		want string
	}{
		{converter.WorkflowSerializationContext{Namespace: "default", WorkflowID: "event/team_a/e1"}, "team_a"},
		{converter.ActivitySerializationContext{Namespace: "default", WorkflowID: "event/team_a/e1", ActivityType: "Deliver"}, "team_a"},
		{converter.WorkflowSerializationContext{Namespace: "default", WorkflowID: "integration/int_1/disable"}, ""},
	} {
		p, err := converter.WithDataConverterSerializationContext(dc, sc.ctx).ToPayload("event data")
		if err != nil {
			t.Fatal(err)
		}
		if got := Scope(p); got != sc.want {
			t.Errorf("%+v: sealed for %q, want %q", sc.ctx, got, sc.want)
		}
		var back string
		if err := dc.FromPayload(p, &back); err != nil || back != "event data" {
			t.Errorf("%+v: decode without context: %q %v", sc.ctx, back, err)
		}
		if sc.want == "" {
			continue
		}
		p.Metadata[MetadataScope] = []byte("team_b")
		if _, err := c.Decode([]*commonpb.Payload{p}); err == nil {
			t.Errorf("%+v: a payload relabelled as team_b's opened", sc.ctx)
		}
	}
	// Without a context (the SDK or Herald calling the codec directly) the
	// payload is unscoped, which only an admin key decodes through the endpoint.
	p, err := dc.ToPayload("x")
	if err != nil || Scope(p) != "" || !Encrypted(p) {
		t.Errorf("no context: scope %q encrypted %v err %v", Scope(p), Encrypted(p), err)
	}
}
