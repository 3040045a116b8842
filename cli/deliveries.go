package cli

import (
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/heraldhq/herald/internal/api"
)

func newDeliveriesCmd(g *globals) *cobra.Command {
	var remote apiFlags
	cmd := &cobra.Command{Use: "deliveries", Aliases: []string{"delivery"}, Short: "Inspect deliveries and their attempts"}
	remote.bind(cmd)
	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show a delivery: every request and response",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := remote.client()
			if err != nil {
				return err
			}
			d, err := c.GetDelivery(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(g.stdout, d)
			}
			printDelivery(g, d)
			return nil
		},
	}
	var integration, status, event, cursor string
	var limit int
	list := &cobra.Command{
		Use:   "list --integration ID [--status failed] [--event build:start]",
		Short: "An integration's recent deliveries, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if integration == "" {
				return fmt.Errorf("--integration is required")
			}
			q := url.Values{"limit": {fmt.Sprint(limit)}}
			for k, v := range map[string]string{"status": status, "event": event, "cursor": cursor} {
				if v != "" {
					q.Set(k, v)
				}
			}
			c, err := remote.client()
			if err != nil {
				return err
			}
			id, err := integrationID(cmd.Context(), c, integration)
			if err != nil {
				return err
			}
			p, err := c.ListDeliveries(cmd.Context(), id, q)
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printList(g, p.Data, p.NextCursor)
			}
			if err := printDeliveries(g, p.Data); err != nil {
				return err
			}
			if p.NextCursor != "" {
				fmt.Fprintf(g.stderr, "more: --cursor %s\n", p.NextCursor)
			}
			return nil
		},
	}
	list.Flags().StringVar(&integration, "integration", "", "integration id (required)")
	list.Flags().StringVar(&status, "status", "", "only this status: pending, retrying, delivered, failed, skipped")
	list.Flags().StringVar(&event, "event", "", "only this event type")
	list.Flags().StringVar(&cursor, "cursor", "", "continue after this page")
	list.Flags().IntVar(&limit, "limit", 50, "page size (1 to 200)")
	cmd.AddCommand(show, list)
	return cmd
}

func printDelivery(g *globals, d api.DeliveryView) {
	w := g.stdout
	fmt.Fprintf(w, "delivery %s  event %s → %s (%s)\n", d.ID, d.EventID, d.IntegrationName, d.IntegrationType)
	fmt.Fprintf(w, "status %s", d.Status)
	if d.Reason != "" {
		fmt.Fprintf(w, " (%s)", d.Reason)
	}
	fmt.Fprintf(w, ", %d attempt(s)", d.Attempts)
	if d.NextAttemptAt != nil {
		fmt.Fprintf(w, ", next at %s", cell(d.NextAttemptAt))
	}
	if d.WaitingFor != "" {
		fmt.Fprintf(w, ", waiting for its %s", d.WaitingFor)
	}
	if d.OutOfOrder {
		fmt.Fprint(w, ", sent out of order")
	}
	fmt.Fprintln(w)
	for _, a := range d.AttemptLog {
		fmt.Fprintf(w, "\n── attempt %d (%s) %s, %d ms: %s — %s\n", a.AttemptNo, a.Trigger, cell(a.StartedAt), a.DurationMS, a.Outcome, a.Reason)
		fmt.Fprintf(w, "%s %s\n", a.Request.Method, a.Request.URL)
		printHeaders(g, a.Request.Headers)
		fmt.Fprintf(w, "\n%s\n", a.Request.Body)
		switch {
		case a.Response != nil:
			fmt.Fprintf(w, "\n← HTTP %d\n", a.Response.Status)
			printHeaders(g, a.Response.Headers)
			fmt.Fprintf(w, "\n%s\n", a.Response.Body)
			if a.Response.BodyTruncated {
				fmt.Fprintln(w, "[body truncated]")
			}
		case a.Error != "":
			fmt.Fprintf(w, "\n← no answer: %s\n", a.Error)
		}
	}
}

func printHeaders(g *globals, h map[string][]string) {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(g.stdout, "%s: %s\n", k, strings.Join(h[k], ", "))
	}
}
