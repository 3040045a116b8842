package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/heraldhq/herald/internal/api"
)

func newEventsCmd(g *globals) *cobra.Command {
	var remote apiFlags
	cmd := &cobra.Command{Use: "events", Aliases: []string{"event"}, Short: "Send and inspect events"}
	remote.bind(cmd)

	var id, data string
	send := &cobra.Command{
		Use:   "send TYPE [--data JSON | --data @file.json | --data -] [--id ID]",
		Short: "Post an event, as a platform would",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			raw, err := readData(data, cmd.InOrStdin())
			if err != nil {
				return err
			}
			body := api.EventRequest{Event: args[0], Data: raw}
			if id != "" {
				body.ID = &id
			}
			c, err := remote.client()
			if err != nil {
				return err
			}
			out, err := c.SendEvent(cmd.Context(), body)
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(g.stdout, out)
			}
			t := newTable(g.stdout, "EVENT", "WORKFLOW")
			t.row(out.ID, out.WorkflowID)
			return t.flush()
		},
	}
	send.Flags().StringVar(&id, "id", "", "event id (a repeat of an id is not delivered again)")
	send.Flags().StringVar(&data, "data", "{}", "event data: JSON, @file, or - for standard input")

	get := &cobra.Command{
		Use:   "get ID",
		Short: "Show an event and its deliveries",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := remote.client()
			if err != nil {
				return err
			}
			ev, err := c.GetEvent(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(g.stdout, ev)
			}
			fmt.Fprintf(g.stdout, "event %s  %s  project %s  received %s\nworkflow %s\n\n",
				ev.ID, ev.Event, cell(ev.ProjectID), cell(ev.ReceivedAt), ev.WorkflowID)
			return printDeliveries(g, ev.Deliveries)
		},
	}

	var limit int
	list := &cobra.Command{
		Use:   "list",
		Short: "List recent events, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := remote.client()
			if err != nil {
				return err
			}
			p, err := c.ListEvents(cmd.Context(), limit)
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printList(g, p.Data, p.NextCursor)
			}
			t := newTable(g.stdout, "ID", "EVENT", "PROJECT", "RECEIVED")
			for _, e := range p.Data {
				t.row(e.ID, e.Event, e.ProjectID, e.ReceivedAt)
			}
			return t.flush()
		},
	}
	list.Flags().IntVar(&limit, "limit", 50, "how many events (1 to 200)")
	cmd.AddCommand(send, get, list)
	return cmd
}

// readData reads --data: inline JSON, @file, or - for standard input.
func readData(v string, stdin io.Reader) (json.RawMessage, error) {
	var b []byte
	var err error
	switch {
	case v == "-":
		b, err = io.ReadAll(stdin)
	case strings.HasPrefix(v, "@"):
		b, err = os.ReadFile(v[1:])
	default:
		b = []byte(v)
	}
	if err != nil {
		return nil, fmt.Errorf("read --data: %w", err)
	}
	if !json.Valid(b) {
		return nil, fmt.Errorf("--data is not valid JSON")
	}
	return json.RawMessage(b), nil
}

func printDeliveries(g *globals, ds []api.DeliveryView) error {
	if len(ds) == 0 {
		fmt.Fprintln(g.stdout, "no deliveries")
		return nil
	}
	t := newTable(g.stdout, "DELIVERY", "EVENT", "INTEGRATION", "STATUS", "ATTEMPTS", "LAST CODE", "CREATED", "REASON")
	for _, d := range ds {
		reason := d.Reason
		if d.WaitingFor != "" {
			reason = strings.TrimSpace("waiting for its " + d.WaitingFor + "; " + reason)
		}
		if d.OutOfOrder {
			reason += " (sent out of order)"
		}
		t.row(d.ID, d.EventID, d.IntegrationName, colourize(g.stdout, string(d.Status)), d.Attempts, d.LastStatusCode, d.CreatedAt, reason)
	}
	return t.flush()
}
