package cli

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/chattemplate"
)

// routingFlags are an integration's filter, template and transform
// (docs/routing.md). On update, an empty value removes one.
type routingFlags struct {
	filter, transform           string
	templateTitle, templateText string
}

func (f *routingFlags) bind(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&f.filter, "filter", "", `CEL expression an event must pass, e.g. 'data.build.branch == "main"' ('' removes it)`)
	fs.StringVar(&f.transform, "transform", "", `webhooks: CEL expression yielding the body, e.g. '{"text": event}' ('' removes it)`)
	fs.StringVar(&f.templateTitle, "template-title", "", "chat: message title in Go template syntax, e.g. '{{.data.build.branch}} failed'")
	fs.StringVar(&f.templateText, "template-text", "", "chat: message text in Go template syntax; the literal text is your markup, every {{…}} is escaped")
}

func (f *routingFlags) apply(cmd *cobra.Command, r *api.IntegrationRequest) {
	if cmd.Flags().Changed("filter") {
		r.Filter = &f.filter
	}
	if cmd.Flags().Changed("transform") {
		r.Transform = &f.transform
	}
	if cmd.Flags().Changed("template-title") || cmd.Flags().Changed("template-text") {
		r.Template = &chattemplate.Spec{Title: f.templateTitle, Text: f.templateText}
	}
}

// routingRows add an integration's filter, template and transform to its table.
func routingRows(t *table, i api.IntegrationView) {
	if i.Filter != "" {
		t.row("filter", i.Filter)
	}
	if tp := i.Template; tp != nil {
		t.row("template title", tp.Title)
		t.row("template text", tp.Text)
	}
	if i.Transform != "" {
		t.row("transform", i.Transform)
	}
}

func newIntegrationPreviewCmd(g *globals, remote *apiFlags) *cobra.Command {
	var event, data, eventID string
	preview := &cobra.Command{
		Use:   "preview ID|NAME",
		Short: "Show the request an event would make, sending nothing",
		Long: "Shows the exact request Herald would send the integration for an event (--event and --data, or a past one by --event-id), " +
			"secrets masked, and whether the event would reach it. Nothing is sent or recorded.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, id, err := remote.integration(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			req := api.PreviewRequest{Event: event, EventID: eventID}
			if data != "" {
				req.Data = json.RawMessage(data)
			}
			out, err := c.PreviewIntegration(cmd.Context(), id, req)
			if err != nil {
				return err
			}
			return printPreview(g, out)
		},
	}
	preview.Flags().StringVar(&event, "event", "", "the event's type, e.g. build:failure")
	preview.Flags().StringVar(&data, "data", "", "the event's data as a JSON object")
	preview.Flags().StringVar(&eventID, "event-id", "", "a past event of the team, by id, instead of --event and --data")
	return preview
}

func printPreview(g *globals, p api.Preview) error {
	if g.output == "json" {
		return printJSON(g.stdout, p)
	}
	if p.Matched {
		fmt.Fprintln(g.stdout, "matched: the event reaches this integration")
	} else {
		fmt.Fprintf(g.stdout, "not matched: %s\n", p.Reason)
	}
	fmt.Fprintf(g.stdout, "\n%s %s\n", p.Request.Method, p.Request.URL)
	names := make([]string, 0, len(p.Request.Headers))
	for k := range p.Request.Headers {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		fmt.Fprintf(g.stdout, "%s: %s\n", k, strings.Join(p.Request.Headers[k], ", "))
	}
	fmt.Fprintf(g.stdout, "\n%s\n", p.Request.Body)
	return nil
}

func newIntegrationStatsCmd(g *globals, remote *apiFlags) *cobra.Command {
	var window string
	stats := &cobra.Command{
		Use:   "stats ID|NAME",
		Short: "An integration's numbers: attempts by outcome, success rate, latency, and a series",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, id, err := remote.integration(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			st, err := c.IntegrationStats(cmd.Context(), id, window)
			if err != nil {
				return err
			}
			return printStats(g, st)
		},
	}
	stats.Flags().StringVar(&window, "window", "24h", "24h (hourly) or 7d (daily)")
	return stats
}

func printStats(g *globals, st api.IntegrationStats) error {
	if g.output == "json" {
		return printJSON(g.stdout, st)
	}
	rate, p50, p95 := "-", "-", "-"
	if st.SuccessRate != nil {
		rate = fmt.Sprintf("%.1f %%", 100**st.SuccessRate)
	}
	if st.LatencyMs.P50 != nil {
		p50, p95 = fmt.Sprintf("%d ms", *st.LatencyMs.P50), fmt.Sprintf("%d ms", *st.LatencyMs.P95)
	}
	outcomes := make([]string, 0, len(st.Outcomes))
	for o, n := range st.Outcomes {
		outcomes = append(outcomes, fmt.Sprintf("%s %d", o, n))
	}
	sort.Strings(outcomes)
	fmt.Fprintf(g.stdout, "last %s: %d attempts (%s), success rate %s, latency p50 %s, p95 %s\n\n",
		st.Window, st.Attempts, strings.Join(outcomes, ", "), rate, p50, p95)
	t := newTable(g.stdout, "FROM", "ATTEMPTS", "DELIVERED")
	for _, b := range st.Series {
		t.row(b.Start.Format("2006-01-02 15:04"), b.Attempts, b.Delivered)
	}
	return t.flush()
}
