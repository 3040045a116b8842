// Package codec encrypts everything Herald sends to Temporal (workflow inputs
// and results, activity arguments, signals, failure messages) with AES-256-GCM,
// so a Temporal cluster and its history hold no plaintext event data.
//
// Each payload is bound to the team whose workflow carries it: the SDK hands
// the codec the workflow id (its serialization context), the codec names the
// team in the payload's metadata and seals it with that name as associated
// data. Changing the name breaks the seal, so the codec endpoint can decode
// for a team's key only that team's payloads (gateway/codec.go).
package codec

import (
	"fmt"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/proto"

	"github.com/heraldhq/herald/internal/keyring"
)

// Metadata of an encrypted payload.
const (
	EncodingEncrypted = "binary/encrypted"
	MetadataKeyID     = "encryption-key-id"
	MetadataCipher    = "encryption-cipher"
	// MetadataScope names the team a payload belongs to; absent on payloads
	// of workflows that belong to no team, and on those sealed before scopes.
	MetadataScope = "encryption-scope"
	cipherName    = "AES256-GCM"
)

// Codec is a converter.PayloadCodec over a key ring: the first key encrypts,
// every key decrypts (so keys can be rotated).
type Codec struct {
	ring *keyring.Ring
	// scopeOf names the team of a workflow id ("" for none).
	scopeOf func(workflowID string) string
	// scope is the team this copy seals for (set by WithSerializationContext or
	// ForScope).
	scope string
}

// SetScoper sets how a workflow id names its team. Without one, payloads are
// sealed unscoped.
func (c *Codec) SetScoper(scopeOf func(workflowID string) string) { c.scopeOf = scopeOf }

// ForScope is a copy of the codec that seals payloads for scope.
func (c *Codec) ForScope(scope string) *Codec {
	cp := *c
	cp.scope = scope
	return &cp
}

// WithSerializationContext implements converter.PayloadCodecWithSerializationContext:
// the SDK names the workflow a payload travels with before encoding it.
func (c *Codec) WithSerializationContext(ctx converter.SerializationContext) converter.PayloadCodec {
	if c.scopeOf == nil {
		return c
	}
	var wfID string
	switch sc := ctx.(type) {
	case converter.WorkflowSerializationContext:
		wfID = sc.WorkflowID
	case converter.ActivitySerializationContext:
		wfID = sc.WorkflowID
	}
	return c.ForScope(c.scopeOf(wfID))
}

// Scope is the team an encrypted payload is bound to ("" for none or for a
// payload that is not encrypted). It is read from the metadata; Decode checks
// it against the seal.
func Scope(p *commonpb.Payload) string { return string(p.GetMetadata()[MetadataScope]) }

// Encrypted says whether p was sealed by a Codec.
func Encrypted(p *commonpb.Payload) bool {
	return string(p.GetMetadata()[converter.MetadataEncoding]) == EncodingEncrypted
}

// associatedData binds a sealed payload to its scope.
func associatedData(scope string) []byte {
	if scope == "" {
		return nil
	}
	return []byte("herald-scope:" + scope)
}

// Parse reads "kid:base64key[,kid:base64key…]"; each key is 32 bytes.
func Parse(spec string) (*Codec, error) {
	r, err := keyring.Parse(spec, "payload key")
	if err != nil {
		return nil, err
	}
	return &Codec{ring: r}, nil
}

// Encode implements converter.PayloadCodec.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		plain, err := proto.Marshal(p)
		if err != nil {
			return payloads, fmt.Errorf("encode payload: %w", err)
		}
		kid, sealed, err := c.ring.SealBytes(plain, associatedData(c.scope))
		if err != nil {
			return payloads, fmt.Errorf("encode payload: %w", err)
		}
		md := map[string][]byte{
			converter.MetadataEncoding: []byte(EncodingEncrypted),
			MetadataKeyID:              []byte(kid),
			MetadataCipher:             []byte(cipherName),
		}
		if c.scope != "" {
			md[MetadataScope] = []byte(c.scope)
		}
		out[i] = &commonpb.Payload{Metadata: md, Data: sealed}
	}
	return out, nil
}

// Decode implements converter.PayloadCodec. Payloads that were never
// encrypted pass through, so histories from before encryption stay readable.
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if !Encrypted(p) {
			out[i] = p
			continue
		}
		kid := string(p.GetMetadata()[MetadataKeyID])
		if !c.ring.Has(kid) {
			return payloads, fmt.Errorf("decode payload: unknown key id %q", kid)
		}
		plain, err := c.ring.OpenBytes(kid, p.GetData(), associatedData(Scope(p)))
		if err != nil {
			return payloads, fmt.Errorf("decode payload: %w", err)
		}
		var orig commonpb.Payload
		if err := proto.Unmarshal(plain, &orig); err != nil {
			return payloads, fmt.Errorf("decode payload: %w", err)
		}
		out[i] = &orig
	}
	return out, nil
}

// Converters are the data and failure converters for Temporal clients: with
// spec empty, Temporal's defaults; else everything encrypted, failure messages
// included, each payload bound to the team scopeOf names for its workflow.
func Converters(spec string, scopeOf func(workflowID string) string) (converter.DataConverter, converter.FailureConverter, *Codec, error) {
	if spec == "" {
		return nil, nil, nil, nil
	}
	c, err := Parse(spec)
	if err != nil {
		return nil, nil, nil, err
	}
	c.SetScoper(scopeOf)
	dc := converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), c)
	fc := temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{DataConverter: dc, EncodeCommonAttributes: true})
	return dc, fc, c, nil
}
