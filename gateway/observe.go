package gateway

import (
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/gofiber/fiber/v2"
)

// Exchange is one /v1 request and the answer the gateway gave it, as sent.
type Exchange struct {
	Method, URL    string
	RequestHeader  http.Header
	RequestBody    []byte
	Status         int
	ResponseHeader http.Header
	ResponseBody   []byte
}

// Observe hands every /v1 exchange to fn once answered (the tests check
// each against the OpenAPI document). nil stops it. Without an observer the
// cost is one atomic load per request.
func (s *Server) Observe(fn func(Exchange)) {
	if fn == nil {
		s.observer.Store(nil)
		return
	}
	s.observer.Store(&fn)
}

type observer = atomic.Pointer[func(Exchange)]

func (s *Server) observe(c *fiber.Ctx) error {
	fn := s.observer.Load()
	if fn == nil || !strings.HasPrefix(c.Path(), "/v1/") {
		return c.Next()
	}
	ex := Exchange{Method: c.Method(), URL: c.OriginalURL(), RequestHeader: http.Header{},
		RequestBody: append([]byte(nil), c.Body()...)}
	c.Request().Header.VisitAll(func(k, v []byte) { ex.RequestHeader.Add(string(k), string(v)) })
	if err := c.Next(); err != nil {
		// Render the error here, as Fiber would after the chain, so the
		// observer sees the answer that is sent.
		if err := s.errorHandler(c, err); err != nil {
			return err
		}
	}
	ex.Status = c.Response().StatusCode()
	ex.ResponseHeader = http.Header{}
	c.Response().Header.VisitAll(func(k, v []byte) { ex.ResponseHeader.Add(string(k), string(v)) })
	ex.ResponseBody = append([]byte(nil), c.Response().Body()...)
	(*fn)(ex)
	return nil
}
