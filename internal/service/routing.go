package service

import (
	"errors"

	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/channels"
	"github.com/heraldhq/herald/internal/chattemplate"
	"github.com/heraldhq/herald/internal/expr"
	"github.com/heraldhq/herald/internal/problem"
	"github.com/heraldhq/herald/internal/store"
)

// checkRouting compiles a request's filter, template and transform, as
// they will run: a 400 points at the field (/filter, /template/text) and
// its detail gives the position. A template or transform the channel does
// not take is refused by name.
func checkRouting(req *api.IntegrationRequest, traits channels.Traits) error {
	if req.Filter != nil && *req.Filter != "" {
		if _, err := expr.Compile(expr.KindFilter, *req.Filter); err != nil {
			return exprProblem("filter", err)
		}
	}
	if req.Transform != nil && *req.Transform != "" {
		if traits.Shaping != channels.ShapeTransform {
			return problem.Field("transform", " is for webhooks: chat messages take a template")
		}
		if _, err := expr.Compile(expr.KindTransform, *req.Transform); err != nil {
			return exprProblem("transform", err)
		}
	}
	if req.Template != nil && !req.Template.Empty() {
		if traits.Shaping != channels.ShapeTemplate {
			return problem.Field("template", " is for chat integrations (slack, discord, teams): a webhook takes a transform")
		}
		if _, err := chattemplate.Parse(*req.Template); err != nil {
			var te *chattemplate.Error
			if errors.As(err, &te) && te.Field != "template" {
				return problem.Field("template."+te.Field, ": %s", te.Msg)
			}
			return problem.Field("template", ": %s", err)
		}
	}
	return nil
}

func exprProblem(field string, err error) error {
	var ce *expr.CompileError
	if errors.As(err, &ce) {
		return problem.Field(field, ": %s", ce)
	}
	return err
}

// routingOf copies a checked request's filter, template and transform into
// a patch ("" and {} remove them).
func routingOf(req api.IntegrationRequest, p *store.IntegrationPatch) {
	p.Filter, p.Transform = req.Filter, req.Transform
	if req.Template != nil {
		p.Template = &store.TemplateJSON{V: req.Template}
		if req.Template.Empty() {
			p.Template.V = nil
		}
	}
}
