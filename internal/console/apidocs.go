package console

import (
	"bytes"
	"encoding/json"
	"html"
	"html/template"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald/internal/openapi"
)

// The API reference: the OpenAPI document as JSON (GET /v1/openapi.json, no
// key: it holds no secret and clients are generated from it) and as a page
// a person reads (/docs/api), rendered here from the same document, with no
// script and nothing fetched from elsewhere.

type apiDocOp struct {
	Method, Path, ID, Summary, Description string
	Scopes                                 []string
	Params                                 []apiDocParam
	Body                                   template.HTML
	BodyRequired                           bool
	Example                                string
	Responses                              []apiDocResponse
}

type apiDocParam struct{ Name, In, Description, Type string }

type apiDocResponse struct {
	Status, Description string
	Schema              template.HTML
}

type apiDocTag struct {
	Name, Description string
	Ops               []apiDocOp
}

type apiDocSchema struct {
	Name   string
	Schema template.HTML
}

type apiDocsPage struct {
	consolePage
	Version, Summary string
	Description      []string
	Tags             []apiDocTag
	Schemas          []apiDocSchema
}

// apiDocs is the page's data, read from the served document on the page's
// first request (not at the start of every herald process).
var apiDocs = sync.OnceValue(func() apiDocsPage {
	var doc struct {
		Info       struct{ Version, Summary, Description string }
		Tags       []struct{ Name, Description string }
		Paths      map[string]map[string]json.RawMessage
		Components struct {
			Schemas   map[string]map[string]any
			Responses map[string]struct{ Description string }
		}
	}
	if err := json.Unmarshal(openapi.Served, &doc); err != nil {
		panic("the served OpenAPI document: " + err.Error())
	}
	p := apiDocsPage{consolePage: consolePage{Title: "API reference"}, Version: doc.Info.Version, Summary: doc.Info.Summary,
		Description: strings.Split(doc.Info.Description, "\n\n")}
	byTag := map[string]*apiDocTag{}
	for _, t := range doc.Tags {
		p.Tags = append(p.Tags, apiDocTag{Name: t.Name, Description: t.Description})
	}
	for i := range p.Tags {
		byTag[p.Tags[i].Name] = &p.Tags[i]
	}
	for _, op := range openapi.Operations() {
		var o struct {
			Summary, Description string
			Tags                 []string
			Parameters           []struct {
				Name, In, Description string
				Schema                map[string]any
			}
			RequestBody *struct {
				Required bool
				Content  map[string]struct {
					Schema  any
					Example any
				}
			}
			Responses map[string]struct {
				Ref         string `json:"$ref"`
				Description string
				Content     map[string]struct{ Schema any }
			}
		}
		if err := json.Unmarshal(doc.Paths[op.Path][strings.ToLower(op.Method)], &o); err != nil {
			panic("operation " + op.ID + ": " + err.Error())
		}
		d := apiDocOp{Method: op.Method, Path: op.Path, ID: op.ID, Summary: o.Summary, Description: o.Description, Scopes: op.Scopes}
		for _, prm := range o.Parameters {
			typ, _ := prm.Schema["type"].(string)
			d.Params = append(d.Params, apiDocParam{Name: prm.Name, In: prm.In, Description: prm.Description, Type: typ})
		}
		if rb := o.RequestBody; rb != nil {
			media := rb.Content["application/json"]
			d.Body, d.BodyRequired = schemaHTML(media.Schema), rb.Required
			if media.Example != nil {
				ex, _ := json.MarshalIndent(media.Example, "", "  ")
				d.Example = string(ex)
			}
		}
		codes := make([]string, 0, len(o.Responses))
		for code := range o.Responses {
			codes = append(codes, code)
		}
		sort.Strings(codes)
		for _, code := range codes {
			r := o.Responses[code]
			resp := apiDocResponse{Status: code, Description: r.Description}
			if r.Ref != "" {
				resp.Description = doc.Components.Responses[r.Ref[strings.LastIndex(r.Ref, "/")+1:]].Description
				resp.Schema = template.HTML(`<a href="#schema-Problem">Problem</a>`)
			} else if media, ok := r.Content["application/json"]; ok {
				resp.Schema = schemaHTML(media.Schema)
			}
			d.Responses = append(d.Responses, resp)
		}
		if t := byTag[first(o.Tags)]; t != nil {
			t.Ops = append(t.Ops, d)
		}
	}
	names := make([]string, 0, len(doc.Components.Schemas))
	for n := range doc.Components.Schemas {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		sch := doc.Components.Schemas[n]
		delete(sch, "x-go-type") // Go's business, not a reader's
		delete(sch, "x-go-type-import")
		p.Schemas = append(p.Schemas, apiDocSchema{Name: n, Schema: schemaHTML(sch)})
	}
	return p
})

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

var schemaRefRE = regexp.MustCompile(`&#34;#/components/schemas/([A-Za-z0-9_]+)&#34;`)

// schemaHTML is a schema as indented JSON whose $refs link to their schema.
func schemaHTML(schema any) template.HTML {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(schema); err != nil {
		return ""
	}
	escaped := html.EscapeString(strings.TrimSpace(b.String()))
	return template.HTML(schemaRefRE.ReplaceAllString(escaped, `<a href="#schema-$1">&#34;$1&#34;</a>`)) //nolint:gosec // escaped above
}

func (s *Console) apiReference(c *fiber.Ctx) error {
	return s.render(c, fiber.StatusOK, "apidocs", apiDocs())
}
