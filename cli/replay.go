package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/heraldhq/herald/internal/api"
)

// newReplayCmd is herald replay: past events delivered to an integration,
// with a progress bar; --status and --cancel follow or stop one.
func newReplayCmd(g *globals) *cobra.Command {
	var remote apiFlags
	var since, until, statusID, cancelID string
	var events []string
	var again, noWait bool
	cmd := &cobra.Command{
		Use:   "replay ID|NAME --since 7d [--until TIME] [--events build:*] [--again]",
		Short: "Deliver past events to an integration (one it was created after, or one that missed them)",
		Long: "Each past event of the range the integration subscribes to, and its filter passes, gets a delivery with trigger replay. " +
			"An event it had delivered already is left out unless --again, so the same replay twice delivers nothing twice.",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := remote.client()
			if err != nil {
				return err
			}
			var v api.ReplayView
			switch {
			case cancelID != "":
				v, err = c.CancelReplay(cmd.Context(), cancelID)
			case statusID != "":
				v, err = c.ReplayState(cmd.Context(), statusID)
			case len(args) == 1:
				v, err = startReplay(cmd, &remote, args[0], since, until, api.ReplayRequest{Events: events, Again: again})
			default:
				return fmt.Errorf("name the integration to replay to, or give --status ID or --cancel ID")
			}
			if err != nil {
				return err
			}
			if !noWait && cancelID == "" && v.Status == api.ReplayRunning {
				if v, err = followReplay(cmd, g, &remote, v); err != nil {
					return err
				}
			}
			return printReplay(g, v)
		},
	}
	remote.bind(cmd)
	fs := cmd.Flags()
	fs.StringVar(&since, "since", "", "the start of the range: an age (24h, 7d) or an RFC 3339 time")
	fs.StringVar(&until, "until", "", "the end of the range (default: now)")
	fs.StringSliceVar(&events, "events", nil, "only these event types or patterns (default: all the integration's)")
	fs.BoolVar(&again, "again", false, "also deliver the events the integration had already")
	fs.BoolVar(&noWait, "no-wait", false, "start it and return; follow it with --status ID")
	fs.StringVar(&statusID, "status", "", "where replay ID stands")
	fs.StringVar(&cancelID, "cancel", "", "stop replay ID (what it started stays started)")
	return cmd
}

// startReplay starts req (its events and again set) over the range the
// flags give, read as ages or times.
func startReplay(cmd *cobra.Command, remote *apiFlags, who, since, until string, req api.ReplayRequest) (api.ReplayView, error) {
	c, id, err := remote.integration(cmd.Context(), who)
	if err != nil {
		return api.ReplayView{}, err
	}
	now := time.Now()
	if since == "" {
		return api.ReplayView{}, fmt.Errorf("--since is required: where the range starts (an age such as 7d, or an RFC 3339 time)")
	}
	from, err := parseWhen("since", since, now)
	if err != nil {
		return api.ReplayView{}, err
	}
	req.Since = from.UTC().Format(time.RFC3339)
	if until != "" {
		to, err := parseWhen("until", until, now)
		if err != nil {
			return api.ReplayView{}, err
		}
		req.Until = to.UTC().Format(time.RFC3339)
	}
	return c.Replay(cmd.Context(), id, req)
}

// followReplay draws a replay's progress until it is no longer running.
func followReplay(cmd *cobra.Command, g *globals, remote *apiFlags, v api.ReplayView) (api.ReplayView, error) {
	c, err := remote.client()
	if err != nil {
		return v, err
	}
	bar := newProgressBar(g.stderr)
	for v.Status == api.ReplayRunning {
		bar.draw(v.Done, v.Total)
		select {
		case <-cmd.Context().Done():
			bar.done()
			fmt.Fprintf(g.stderr, "stopped following; the replay goes on (herald replay --status %s)\n", v.ID)
			return v, cmd.Context().Err()
		case <-time.After(500 * time.Millisecond):
		}
		if v, err = c.ReplayState(cmd.Context(), v.ID); err != nil {
			return v, err
		}
	}
	bar.draw(v.Done, v.Total)
	bar.done()
	return v, nil
}

func printReplay(g *globals, v api.ReplayView) error {
	if g.output == "json" {
		return printJSON(g.stdout, v)
	}
	fmt.Fprintf(g.stdout, "replay %s %s: %d of %d past events gone through, %d given a delivery\n", v.ID, v.Status, v.Done, v.Total, v.Started)
	return nil
}
