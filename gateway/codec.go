package gateway

import (
	"strings"

	"github.com/gofiber/fiber/v2"
	commonpb "go.temporal.io/api/common/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/codec"
	"github.com/heraldhq/herald/internal/door"
	"github.com/heraldhq/herald/internal/problem"
)

// mountCodec serves the Temporal codec-server endpoints (/codec/encode and
// /codec/decode) so the Web UI can show decrypted payloads to operators with a
// manage key. The UI cannot send a bearer key, so the key may also be the path
// segment after /codec/ (--ui-codec-endpoint http://gateway/codec/hk_…).
// A key decodes only its own team's payloads; an admin key decodes every
// team's, and those of workflows that belong to no team.
func (s *Server) mountCodec(c *codec.Codec) {
	cors := func(ctx *fiber.Ctx) error {
		allow := func() {
			if origin := ctx.Get(fiber.HeaderOrigin); origin != "" && s.uiOriginAllowed(origin) {
				ctx.Set(fiber.HeaderAccessControlAllowOrigin, origin)
				ctx.Set(fiber.HeaderAccessControlAllowCredentials, "true")
				ctx.Set(fiber.HeaderAccessControlAllowHeaders, "Content-Type, X-Namespace, Authorization")
				ctx.Set(fiber.HeaderAccessControlAllowMethods, "POST, OPTIONS")
				ctx.Set(fiber.HeaderVary, "Origin")
			}
		}
		if ctx.Method() == fiber.MethodOptions {
			allow()
			return ctx.SendStatus(fiber.StatusNoContent)
		}
		// After the handler: the net/http adaptor rewrites the response headers.
		err := ctx.Next()
		allow()
		return err
	}
	keyInPath := func(ctx *fiber.Ctx) error {
		if k := ctx.Params("key"); k != "" && ctx.Get(fiber.HeaderAuthorization) == "" {
			ctx.Request().Header.Set(fiber.HeaderAuthorization, "Bearer "+k)
		}
		return ctx.Next()
	}
	auth := s.authenticate(herald.ScopeManage)
	for _, op := range []string{"encode", "decode"} {
		s.app.Options("/codec/"+op, cors)
		s.app.Options("/codec/:key/"+op, cors)
		handler := codecHandler(c, op)
		s.app.Post("/codec/"+op, cors, auth, handler)
		s.app.Post("/codec/:key/"+op, cors, keyInPath, auth, handler)
	}
}

// uiOriginAllowed: the Temporal Web UI origins (HERALD_UI_ORIGINS).
func (s *Server) uiOriginAllowed(origin string) bool {
	for _, o := range strings.Split(s.cfg.UIOrigins, ",") {
		if strings.TrimSpace(o) == origin {
			return true
		}
	}
	return false
}

// codecHandler encodes for the caller's team, or decodes what the caller may
// read: another team's payloads are passed back as they came (the Web UI then
// shows them encrypted), never decoded.
func codecHandler(c *codec.Codec, op string) fiber.Handler {
	return func(ctx *fiber.Ctx) error {
		var in commonpb.Payloads
		if err := protojson.Unmarshal(ctx.Body(), &in); err != nil {
			return problem.BadRequest("the body must be Temporal payloads as JSON: %s", err)
		}
		key := door.Key(ctx)
		var out []*commonpb.Payload
		if op == "encode" {
			enc, err := c.ForScope(key.TeamID).Encode(in.GetPayloads())
			if err != nil {
				return problem.BadRequest("encode: %s", err)
			}
			out = enc
		} else {
			out = make([]*commonpb.Payload, len(in.GetPayloads()))
			for i, p := range in.GetPayloads() {
				if codec.Encrypted(p) && !key.Has(herald.ScopeAdmin) && codec.Scope(p) != key.TeamID {
					out[i] = p
					continue
				}
				dec, err := c.Decode([]*commonpb.Payload{p})
				if err != nil {
					return problem.BadRequest("decode payload %d: %s", i+1, err)
				}
				out[i] = dec[0]
			}
		}
		b, err := protojson.Marshal(&commonpb.Payloads{Payloads: out})
		if err != nil {
			return err
		}
		ctx.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return ctx.Send(b)
	}
}
