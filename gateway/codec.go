package gateway

import (
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"go.temporal.io/sdk/converter"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/codec"
)

// mountCodec serves the Temporal codec-server endpoints (/codec/encode and
// /codec/decode) so the Web UI can show decrypted payloads to operators with a
// manage key. The UI cannot send a bearer key, so the key may also be the path
// segment after /codec/ (--ui-codec-endpoint http://gateway/codec/hk_…).
func (s *Server) mountCodec(c *codec.Codec) {
	handler := adaptor.HTTPHandler(converter.NewPayloadCodecHTTPHandler(c))
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
