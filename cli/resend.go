package cli

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/apiclient"
	"github.com/heraldhq/herald/internal/contract"
)

func newResendCmd(g *globals) *cobra.Command {
	var remote apiFlags
	var integration, status, since, cancelID string
	var failed, noWait bool
	cmd := &cobra.Command{
		Use:   "resend DELIVERY_ID | resend --integration ID --failed [--since 24h]",
		Short: "Resend a delivery now, or every failed delivery of an integration",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case cancelID != "":
				c, err := remote.client()
				if err != nil {
					return err
				}
				if err := c.CancelBulkResend(cmd.Context(), cancelID); err != nil {
					return err
				}
				if g.output == "json" {
					return printJSON(g.stdout, map[string]any{"id": cancelID, "cancelled": true})
				}
				fmt.Fprintf(g.stdout, "bulk resend %s cancelled\n", cancelID)
				return nil
			case len(args) == 1 && integration == "":
				c, err := remote.client()
				if err != nil {
					return err
				}
				out, err := c.Resend(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				if g.output == "json" {
					return printJSON(g.stdout, out)
				}
				fmt.Fprintf(g.stdout, "resend of %s requested (workflow %s)\n", out.DeliveryID, out.WorkflowID)
				return nil
			case len(args) == 0 && integration != "":
				if failed {
					status = "failed"
				}
				return bulkResend(cmd, g, &remote, bulkResendFlags{integration: integration, status: status, since: since, noWait: noWait})
			}
			return fmt.Errorf("give a delivery id, or --integration ID (with --failed or --status)")
		},
	}
	remote.bind(cmd)
	cmd.Flags().StringVar(&integration, "integration", "", "resend this integration's deliveries (its id or name)")
	cmd.Flags().BoolVar(&failed, "failed", false, "its failed deliveries (same as --status failed)")
	cmd.Flags().StringVar(&status, "status", "failed", "deliveries with this status: failed, skipped, delivered")
	cmd.Flags().StringVar(&since, "since", "", "only deliveries created in this long (24h) or since this RFC 3339 time")
	cmd.Flags().BoolVar(&noWait, "no-wait", false, "start the resend and return without following it")
	cmd.Flags().StringVar(&cancelID, "cancel", "", "cancel the bulk resend with this id")
	return cmd
}

// bulkResendFlags say which deliveries of which integration a bulk resend
// takes, and whether the command follows it (not with noWait).
type bulkResendFlags struct {
	integration, status, since string
	noWait                     bool
}

func bulkResend(cmd *cobra.Command, g *globals, remote *apiFlags, f bulkResendFlags) error {
	body := api.BulkResendRequest{Status: f.status}
	if f.since != "" {
		t, err := parseSince(f.since, time.Now())
		if err != nil {
			return err
		}
		body.Since = t.UTC().Format(time.RFC3339)
	}
	c, id, err := remote.integration(cmd.Context(), f.integration)
	if err != nil {
		return err
	}
	started, err := c.BulkResend(cmd.Context(), id, body)
	if err != nil {
		return err
	}
	if f.noWait {
		if g.output == "json" {
			return printJSON(g.stdout, started)
		}
		fmt.Fprintf(g.stdout, "bulk resend %s started (workflow %s)\n", started.ID, started.WorkflowID)
		return nil
	}
	p, err := followResend(cmd, g, c, started.ID)
	if err != nil {
		return err
	}
	if g.output == "json" {
		return printJSON(g.stdout, map[string]any{"id": started.ID, "workflowId": started.WorkflowID, "sent": p.Sent, "total": p.Total})
	}
	fmt.Fprintf(g.stdout, "resent %d deliveries\n", p.Sent)
	return nil
}

// followResend draws a bulk resend's progress until it is done.
func followResend(cmd *cobra.Command, g *globals, c *apiclient.Client, id string) (contract.BulkResendProgress, error) {
	bar := newProgressBar(g.stderr)
	for {
		p, err := c.BulkResendStatus(cmd.Context(), id)
		if err != nil {
			return p, err
		}
		bar.draw(p.Sent, p.Total)
		if p.Done {
			bar.done()
			return p, nil
		}
		select {
		case <-cmd.Context().Done():
			bar.done()
			fmt.Fprintf(g.stderr, "stopped following; the resend goes on (id %s)\n", id)
			return p, cmd.Context().Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// parseSince reads "24h"-style ages and RFC 3339 times.
func parseSince(s string, now time.Time) (time.Time, error) { return parseWhen("since", s, now) }

// parseWhen reads flag's value: an age (24h, 7d) before now, or an RFC 3339 time.
func parseWhen(flag, s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		if d <= 0 {
			return time.Time{}, fmt.Errorf("--%s %q: want a positive age such as 24h", flag, s)
		}
		return now.Add(-d), nil
	}
	if strings.HasSuffix(s, "d") {
		var days int
		if _, err := fmt.Sscanf(s, "%dd", &days); err == nil && days > 0 {
			return now.AddDate(0, 0, -days), nil
		}
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("--%s %q: want an age (24h, 7d) or an RFC 3339 time", flag, s)
	}
	return t, nil
}

// progressBar redraws one line on a terminal; elsewhere it stays quiet.
type progressBar struct {
	w    io.Writer
	tty  bool
	last string
}

func newProgressBar(w io.Writer) *progressBar {
	f, ok := w.(*os.File)
	return &progressBar{w: w, tty: ok && term.IsTerminal(int(f.Fd()))}
}

func (b *progressBar) draw(done, total int) {
	if !b.tty {
		return
	}
	const width = 30
	filled := width
	if total > 0 {
		filled = min(width, done*width/total)
	}
	line := fmt.Sprintf("\r[%s%s] %d/%d", strings.Repeat("█", filled), strings.Repeat("·", width-filled), done, total)
	if line != b.last {
		fmt.Fprint(b.w, line)
		b.last = line
	}
}

func (b *progressBar) done() {
	if b.tty && b.last != "" {
		fmt.Fprintln(b.w)
	}
}
