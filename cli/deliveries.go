package cli

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

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
	var integration, status, event, channel string
	var lf listFlags
	list := &cobra.Command{
		Use:   "list [--integration ID|NAME] [--status failed,retrying] [--event build:start] [--channel slack] [--since 24h]",
		Short: "Deliveries newest first: the team's, or one integration's",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q, err := lf.query(map[string]string{"status": status, "event": event, "channel": channel})
			if err != nil {
				return err
			}
			c, err := remote.client()
			if err != nil {
				return err
			}
			if integration != "" {
				id, err := integrationID(cmd.Context(), c, integration)
				if err != nil {
					return err
				}
				q.Set("integration", id)
			}
			p, err := c.ListTeamDeliveries(cmd.Context(), q)
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printList(g, p.Data, p.NextCursor)
			}
			if err := printDeliveries(g, p.Data); err != nil {
				return err
			}
			moreHint(g, p.NextCursor)
			return nil
		},
	}
	list.Flags().StringVar(&integration, "integration", "", "only this integration's (its id or name)")
	list.Flags().StringVar(&status, "status", "", "only these statuses, comma-separated: pending, retrying, delivered, failed, skipped, grouped")
	list.Flags().StringVar(&event, "event", "", "only this event type")
	list.Flags().StringVar(&channel, "channel", "", "only integrations of this type: webhook, slack, discord, teams")
	lf.bind(list, "deliveries made")
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
		fmt.Fprintf(w, ", next attempt %s", cell(d.NextAttemptAt))
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

// listFlags are the paging and time flags every list command takes.
type listFlags struct {
	since, until, cursor string
	limit                int
}

// bind adds --since, --until, --cursor and --limit; what says what the
// times are of ("events received").
func (f *listFlags) bind(cmd *cobra.Command, what string) {
	cmd.Flags().StringVar(&f.since, "since", "", "only "+what+" in this long (24h, 7d) or since this RFC 3339 time")
	cmd.Flags().StringVar(&f.until, "until", "", "only "+what+" before this age or RFC 3339 time")
	cmd.Flags().StringVar(&f.cursor, "cursor", "", "continue after this page")
	cmd.Flags().IntVar(&f.limit, "limit", 50, "page size (1 to 200)")
}

// query is a list command's query: the page, the filters given, and the
// times as RFC 3339.
func (f *listFlags) query(filters map[string]string) (url.Values, error) {
	q := url.Values{"limit": {fmt.Sprint(f.limit)}}
	if f.cursor != "" {
		q.Set("cursor", f.cursor)
	}
	for k, v := range filters {
		if v != "" {
			q.Set(k, v)
		}
	}
	now := time.Now()
	for flag, v := range map[string]string{"since": f.since, "until": f.until} {
		if v == "" {
			continue
		}
		t, err := parseWhen(flag, v, now)
		if err != nil {
			return nil, err
		}
		q.Set(flag, t.UTC().Format(time.RFC3339))
	}
	return q, nil
}
