package gateway

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald/store"
)

func (s *Server) getDelivery(c *fiber.Ctx) error {
	id := c.Params("id")
	d, err := s.store.GetDelivery(c.UserContext(), teamID(c), id)
	if errors.Is(err, store.ErrNotFound) {
		return notFoundProblem("delivery", id)
	}
	if err != nil {
		return err
	}
	atts, err := s.store.Attempts(c.UserContext(), d.ID)
	if err != nil {
		return err
	}
	v := newDeliveryView(d)
	v.AttemptLog = make([]AttemptView, len(atts))
	for i, a := range atts {
		v.AttemptLog[i] = newAttemptView(a)
	}
	return c.JSON(v)
}
