package cli

import (
	"encoding/json"
	"fmt"
	"github.com/heraldhq/herald/internal/api"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"golang.org/x/term"
)

// printJSON writes v as indented JSON.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// table writes aligned columns.
type table struct {
	tw *tabwriter.Writer
}

func newTable(w io.Writer, headers ...string) *table {
	t := &table{tw: tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)}
	t.row(toAny(headers)...)
	return t
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func (t *table) row(cells ...any) {
	parts := make([]string, len(cells))
	for i, c := range cells {
		parts[i] = cell(c)
	}
	fmt.Fprintln(t.tw, strings.Join(parts, "\t"))
}

func (t *table) flush() error { return t.tw.Flush() }

func cell(v any) string {
	switch x := v.(type) {
	case nil:
		return "-"
	case string:
		if x == "" {
			return "-"
		}
		// A tab or a line break inside a cell would break the table's columns.
		return strings.Map(func(r rune) rune {
			if unicode.IsControl(r) {
				return ' '
			}
			return r
		}, x)
	case []string:
		if len(x) == 0 {
			return "-"
		}
		return strings.Join(x, ",")
	case time.Time:
		if x.IsZero() {
			return "-"
		}
		return relative(x, time.Now())
	case *time.Time:
		if x == nil {
			return "-"
		}
		return cell(*x)
	case *int:
		if x == nil {
			return "-"
		}
		return fmt.Sprint(*x)
	}
	return fmt.Sprint(v)
}

// relative is a time as people read it in a table: "3m ago", "in 2h", or the
// date when it is far off.
func relative(t, now time.Time) string {
	d := now.Sub(t)
	suffix, prefix := " ago", ""
	if d < 0 {
		d, suffix, prefix = -d, "", "in "
	}
	switch {
	case d < 5*time.Second:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%s%ds%s", prefix, int(d.Seconds()), suffix)
	case d < time.Hour:
		return fmt.Sprintf("%s%dm%s", prefix, int(d.Minutes()), suffix)
	case d < 48*time.Hour:
		return fmt.Sprintf("%s%dh%s", prefix, int(d.Hours()), suffix)
	}
	return t.Local().Format("2006-01-02 15:04")
}

// colours holds ANSI colours for status words, used only on a terminal.
var colours = map[string]string{
	"delivered": "32", "healthy": "32", "failing": "33", "retrying": "33", "pending": "33",
	"failed": "31", "disabled": "31", "skipped": "90",
}

// colourize paints a status word when w is a terminal and NO_COLOR is unset.
func colourize(w io.Writer, word string) string {
	f, ok := w.(*os.File)
	if !ok || os.Getenv("NO_COLOR") != "" || !term.IsTerminal(int(f.Fd())) {
		return word
	}
	key := word
	if i := strings.IndexAny(word, ": "); i > 0 {
		key = word[:i]
	}
	if c, ok := colours[key]; ok {
		return "\x1b[" + c + "m" + word + "\x1b[0m"
	}
	return word
}

// printList writes a list as every list command does with -o json: the
// API's page, {"data": [...], "nextCursor": "..."} (no cursor: the last page).
func printList[T any](g *globals, items []T, next string) error {
	if items == nil {
		items = []T{}
	}
	return printJSON(g.stdout, api.Page[T]{Data: items, NextCursor: next})
}

// warn says each warning on standard error (standard output stays the answer).
func warn(g *globals, warnings []string) {
	for _, w := range warnings {
		fmt.Fprintln(g.stderr, "warning: "+w)
	}
}

// moreHint says, under a table, how to get the next page.
func moreHint(g *globals, next string) {
	if next != "" {
		fmt.Fprintf(g.stderr, "more: --cursor %s\n", next)
	}
}
