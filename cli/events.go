package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/api"
)

func newEventsCmd(g *globals) *cobra.Command {
	var remote apiFlags
	cmd := &cobra.Command{Use: "events", Aliases: []string{"event"}, Short: "Send and inspect events"}
	remote.bind(cmd)

	cmd.AddCommand(newEventSendCmd(g, &remote), newEventGetCmd(g, &remote), newEventListCmd(g, &remote))
	return cmd
}

func newEventSendCmd(g *globals, remote *apiFlags) *cobra.Command {
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
			return printAccepted(g, out)
		},
	}
	send.Flags().StringVar(&id, "id", "", "event id (a repeat of an id is not delivered again)")
	send.Flags().StringVar(&data, "data", "{}", "event data: JSON, @file, or - for standard input")
	return send
}

func newEventGetCmd(g *globals, remote *apiFlags) *cobra.Command {
	var wait time.Duration
	get := &cobra.Command{
		Use:   "get ID [--wait 30s]",
		Short: "Show an event and its deliveries",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := remote.client()
			if err != nil {
				return err
			}
			ev, err := c.GetEvent(cmd.Context(), args[0])
			// --wait: until it is recorded and no delivery waits for its
			// first attempt (a retrying one is where it will stay a while).
			for deadline := time.Now().Add(wait); time.Now().Before(deadline) && !settled(ev, err); {
				select {
				case <-cmd.Context().Done():
					return cmd.Context().Err()
				case <-time.After(200 * time.Millisecond):
				}
				ev, err = c.GetEvent(cmd.Context(), args[0])
			}
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

	get.Flags().DurationVar(&wait, "wait", 0, "wait up to this long for the event to be recorded and its first attempts made (e.g. 30s)")
	return get
}

func newEventListCmd(g *globals, remote *apiFlags) *cobra.Command {
	var lf listFlags
	var typ, project string
	list := &cobra.Command{
		Use:   "list [--type build:start] [--project ID] [--since 24h] [--until T]",
		Short: "The team's events, newest first, with where their deliveries stand",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q, err := lf.query(map[string]string{"type": typ, "project": project})
			if err != nil {
				return err
			}
			c, err := remote.client()
			if err != nil {
				return err
			}
			p, err := c.ListEvents(cmd.Context(), q)
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printList(g, p.Data, p.NextCursor)
			}
			t := newTable(g.stdout, "ID", "EVENT", "PROJECT", "RECEIVED", "OUTCOME", "DELIVERIES")
			for _, e := range p.Data {
				counts := ""
				if n := e.Counts; n != nil {
					counts = fmt.Sprintf("%d delivered, %d failed, %d in progress", n.Delivered, n.Failed, n.InProgress)
				}
				t.row(e.ID, e.Event, e.ProjectID, e.ReceivedAt, colourize(g.stdout, e.Outcome), counts)
			}
			if err := t.flush(); err != nil {
				return err
			}
			moreHint(g, p.NextCursor)
			return nil
		},
	}
	list.Flags().StringVar(&typ, "type", "", "only events of this type")
	list.Flags().StringVar(&project, "project", "", "only events of this project id")
	lf.bind(list, "events received")
	return list
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
			reason = strings.TrimSpace("waiting for its " + string(d.WaitingFor) + "; " + reason)
		}
		if d.OutOfOrder {
			reason += " (sent out of order)"
		}
		t.row(d.ID, d.EventID, d.IntegrationName, colourize(g.stdout, string(d.Status)), d.Attempts, d.LastStatusCode, d.CreatedAt, reason)
	}
	return t.flush()
}

// settled: the event is recorded (not only accepted or queued) and none of
// its deliveries still waits for its first attempt.
func settled(ev api.EventView, err error) bool {
	if err != nil || ev.ReceivedAt.IsZero() {
		return false
	}
	for _, d := range ev.Deliveries {
		if d.Status == herald.DeliveryPending {
			return false
		}
	}
	return true
}

// printAccepted is the 202 as a table: whether the event reaches any
// integration (MATCHED), and whether its id was seen before (DUPLICATE: it
// is not delivered again), with a line that says what either means.
func printAccepted(g *globals, a api.Accepted) error {
	matched := "?"
	if a.Matched != nil {
		matched = strconv.Itoa(*a.Matched)
	}
	duplicate := "no"
	switch {
	case a.Duplicate && a.BodyDiffers != nil && *a.BodyDiffers:
		duplicate = "yes, another body"
	case a.Duplicate:
		duplicate = "yes"
	}
	t := newTable(g.stdout, "EVENT", "MATCHED", "DUPLICATE", "WORKFLOW")
	t.row(a.ID, matched, duplicate, a.WorkflowID)
	if err := t.flush(); err != nil {
		return err
	}
	switch {
	case a.Duplicate:
		fmt.Fprintln(g.stderr, "note: this event id was received before; nothing is delivered again (send another --id)")
	case a.Matched != nil && *a.Matched == 0:
		fmt.Fprintln(g.stderr, "note: no integration subscribes to this type (and project): nothing is delivered")
	}
	return nil
}
