package cli

import (
	"encoding/json"
	"strings"

	"github.com/spf13/cobra"

	"github.com/heraldhq/herald/internal/api"
)

func newAlertsCmd(g *globals) *cobra.Command {
	var remote apiFlags
	cmd := &cobra.Command{Use: "alerts", Short: "Alert noise control: how repeated alerts are grouped"}
	remote.bind(cmd)
	var patterns, groupBy, groupWait, repeat string
	var disabled, reset bool
	policy := &cobra.Command{
		Use:   "policy [--group-by project.id,service.id,type] [--group-wait 30s] [--repeat-interval 1h] [--patterns alert:*] [--disabled] [--reset]",
		Short: "Show the team's alert policy, or change it with flags",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := remote.client()
			if err != nil {
				return err
			}
			var out api.AlertPolicyView
			switch {
			case reset:
				out, err = c.PutAlertPolicy(cmd.Context(), nil)
			case anyChanged(cmd, "patterns", "group-by", "group-wait", "repeat-interval", "disabled"):
				body := map[string]any{}
				if patterns != "" {
					body["patterns"] = strings.Split(patterns, ",")
				}
				if groupBy != "" {
					body["groupBy"] = strings.Split(groupBy, ",")
				}
				if groupWait != "" {
					body["groupWait"] = groupWait
				}
				if repeat != "" {
					body["repeatInterval"] = repeat
				}
				if disabled {
					body["disabled"] = true
				}
				raw, merr := json.Marshal(body)
				if merr != nil {
					return merr
				}
				out, err = c.PutAlertPolicy(cmd.Context(), raw)
			default:
				out, err = c.GetAlertPolicy(cmd.Context())
			}
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(g.stdout, out)
			}
			t := newTable(g.stdout, "FIELD", "VALUE")
			t.row("patterns", out.Patterns)
			t.row("group by", out.GroupBy)
			t.row("group wait", out.GroupWait)
			t.row("repeat interval", out.RepeatInterval)
			t.row("grouping", map[bool]string{false: "on", true: "off"}[out.Disabled])
			t.row("custom", out.Custom)
			return t.flush()
		},
	}
	policy.Flags().StringVar(&patterns, "patterns", "", "event patterns grouped (default alert:*)")
	policy.Flags().StringVar(&groupBy, "group-by", "", "data paths that make a group (default project.id,service.id,type)")
	policy.Flags().StringVar(&groupWait, "group-wait", "", "how long a group's first alert waits for company (default 30s)")
	policy.Flags().StringVar(&repeat, "repeat-interval", "", "how long later alerts are held for one summary (default 1h)")
	policy.Flags().BoolVar(&disabled, "disabled", false, "turn grouping off")
	policy.Flags().BoolVar(&reset, "reset", false, "back to the defaults")
	cmd.AddCommand(policy)
	return cmd
}

func anyChanged(cmd *cobra.Command, names ...string) bool {
	for _, n := range names {
		if cmd.Flags().Changed(n) {
			return true
		}
	}
	return false
}
