// Package chattemplate holds the message templates a chat integration may
// carry: a title and a text in Go template syntax. The literal text of a
// template is its author's own markup (a mention, a link); everything an
// action outputs comes from the event and is escaped for the platform. The
// escape is not the author's to remember: Parse rewrites every output
// action to end in it, as html/template does for HTML.
//
// Templates run in Herald's workers for every tenant, so they are bounded:
// no function does I/O, a range takes at most MaxRangeItems items and nests
// at most MaxRangeDepth deep, printf widths are small, and the output stops
// at MaxOutput bytes.
package chattemplate

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"text/template"
	"text/template/parse"

	"github.com/heraldhq/herald/internal/lru"
)

// Limits of every template.
const (
	// MaxSourceLen bounds each of title and text.
	MaxSourceLen = 4096
	// MaxOutput stops a template's output; the platform's own limits cut
	// it further (rune-aware) when the message is built.
	MaxOutput = 16 << 10
	// MaxRangeItems is how many items a range takes from a list or map.
	MaxRangeItems = 100
	// MaxRangeDepth is how deep ranges nest.
	MaxRangeDepth = 2
	// maxWidth bounds a printf width or precision.
	maxWidth = 200
)

// Spec is a template as an integration stores it.
type Spec struct {
	Title string `json:"title,omitempty"`
	Text  string `json:"text,omitempty"`
}

// Empty reports whether s has neither title nor text.
func (s Spec) Empty() bool { return s.Title == "" && s.Text == "" }

// Markup is text that is already the platform's markup (a link built by
// the link function): the escape lets it through.
type Markup string

// Dialect is a platform's markup: how event text is escaped and how a link
// is written.
type Dialect struct {
	Escape func(string) string
	// Link writes a link to url showing text (both from the event; text is
	// escaped by Link, url is known to be http or https).
	Link func(url, text string) string
}

// Error is a template that cannot be saved: which field and why (the
// message of text/template names line and column).
type Error struct {
	Field string
	Msg   string
}

func (e *Error) Error() string { return e.Field + ": " + e.Msg }

// Template is a parsed, rewritten template.
type Template struct {
	title, text *template.Template
}

// Parse checks and rewrites s.
func Parse(s Spec) (*Template, error) {
	if s.Empty() {
		return nil, &Error{Field: "template", Msg: "a template needs a title or a text"}
	}
	title, err := parseOne("title", s.Title)
	if err != nil {
		return nil, err
	}
	text, err := parseOne("text", s.Text)
	if err != nil {
		return nil, err
	}
	return &Template{title: title, text: text}, nil
}

func parseOne(field, src string) (*template.Template, error) {
	if src == "" {
		return nil, nil
	}
	if len(src) > MaxSourceLen {
		return nil, &Error{Field: field, Msg: fmt.Sprintf("%d bytes long; at most %d", len(src), MaxSourceLen)}
	}
	t, err := template.New(field).Option("missingkey=zero").Funcs(funcs(Dialect{}, nil)).Parse(src)
	if err != nil {
		return nil, &Error{Field: field, Msg: strings.TrimPrefix(err.Error(), "template: ")}
	}
	if len(t.Templates()) > 1 {
		return nil, &Error{Field: field, Msg: "define and block are not allowed: one template per field"}
	}
	if err := rewrite(t.Tree.Root, 0); err != nil {
		return nil, &Error{Field: field, Msg: err.Error()}
	}
	return t, nil
}

// rewrite ends every output action in the escape, bounds every range, and
// refuses what could run long (template calls, deep ranges).
func rewrite(n parse.Node, depth int) error {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return nil
		}
		for _, c := range n.Nodes {
			if err := rewrite(c, depth); err != nil {
				return err
			}
		}
	case *parse.ActionNode:
		if len(n.Pipe.Decl) == 0 {
			n.Pipe.Cmds = append(n.Pipe.Cmds, identCmd(escapeFunc, n.Pos))
		}
	case *parse.IfNode:
		return branches(&n.BranchNode, depth)
	case *parse.WithNode:
		return branches(&n.BranchNode, depth)
	case *parse.RangeNode:
		if depth >= MaxRangeDepth {
			return fmt.Errorf("%s: ranges nest at most %d deep", location(n.Pos, n), MaxRangeDepth)
		}
		n.Pipe.Cmds = append(n.Pipe.Cmds, identCmd(boundFunc, n.Pos))
		return branches(&n.BranchNode, depth+1)
	case *parse.TemplateNode:
		return fmt.Errorf("%s: {{template}} is not allowed", location(n.Pos, n))
	}
	return nil
}

func branches(b *parse.BranchNode, depth int) error {
	if err := rewrite(b.List, depth); err != nil {
		return err
	}
	return rewrite(b.ElseList, depth)
}

func location(pos parse.Pos, n parse.Node) string {
	return fmt.Sprintf("at %s (byte %d)", n, pos)
}

// identCmd is a command calling the function name, as html/template's escaper builds.
func identCmd(name string, pos parse.Pos) *parse.CommandNode {
	return &parse.CommandNode{NodeType: parse.NodeCommand, Pos: pos,
		Args: []parse.Node{parse.NewIdentifier(name).SetTree(nil).SetPos(pos)}}
}

// Input is what a template sees: .event, .data, .project, .id.
type Input struct {
	EventID string
	Event   string
	Data    json.RawMessage
	Project string
}

// Rendered is a template's output.
type Rendered struct {
	Title, Text string
}

// Render executes the template for an event, the title in one dialect and
// the text in another (a platform's title may be plain text).
func (t *Template) Render(in Input, title, text Dialect) (Rendered, error) {
	var data any = map[string]any{}
	if len(in.Data) > 0 {
		if err := json.Unmarshal(in.Data, &data); err != nil {
			return Rendered{}, fmt.Errorf("read the event's data: %w", err)
		}
	}
	dot := map[string]any{"id": in.EventID, "event": in.Event, "data": data, "project": in.Project}
	var out Rendered
	var err error
	if out.Title, err = execute(t.title, dot, title); err != nil {
		return Rendered{}, err
	}
	if out.Text, err = execute(t.text, dot, text); err != nil {
		return Rendered{}, err
	}
	return out, nil
}

func execute(t *template.Template, dot any, d Dialect) (string, error) {
	if t == nil {
		return "", nil
	}
	c, err := t.Clone()
	if err != nil {
		return "", fmt.Errorf("template %s: %w", t.Name(), err)
	}
	w := &capped{max: MaxOutput}
	if err := c.Funcs(funcs(d, &budget{left: MaxMade})).Execute(w, dot); err != nil && !errors.Is(err, errFull) {
		return "", fmt.Errorf("the template's %s failed on this event: %s", t.Name(), strings.TrimPrefix(err.Error(), "template: "))
	}
	return w.b.String(), nil
}

var errFull = errors.New("template output is full")

// capped keeps the first max bytes written and then stops the template.
type capped struct {
	b   strings.Builder
	max int
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.max - c.b.Len(); len(p) > room {
		c.b.Write(p[:max(room, 0)])
		return max(room, 0), errFull
	}
	return c.b.Write(p)
}

// parsed holds templates by their text (see Cached).
var parsed = lru.New[Spec, *Template](10_000, 0)

// Cached is Parse's template, parsed once per text: a changed template is
// a new key, so an integration's new version never runs its old one.
func Cached(s Spec) (*Template, error) {
	return parsed.GetOr(s, len(s.Title)+len(s.Text), func() (*Template, error) { return Parse(s) })
}
