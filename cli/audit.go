package cli

import (
	"github.com/spf13/cobra"

	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/runes"
)

func newAuditCmd(g *globals) *cobra.Command {
	var remote apiFlags
	var q api.AuditQuery
	cmd := &cobra.Command{
		Use:   "audit [--object ID] [--actor KEY_ID] [--action ACTION]",
		Short: "Who changed what: the team's audit log, newest first",
		Long: "Every change made through the API, the console or the CLI, and every automatic disable or\n" +
			"re-enable by Herald, with its actor, object and a summary (never a secret value).\n" +
			"Actions: integration.create|update|delete|enable|disable|rotate-secret|test, integration.bulk-resend,\n" +
			"bulk-resend.cancel, delivery.resend, key.create|revoke, alert-policy.update, team.create.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := remote.client()
			if err != nil {
				return err
			}
			p, err := c.ListAudit(cmd.Context(), q)
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printList(g, p.Data, p.NextCursor)
			}
			t := newTable(g.stdout, "WHEN", "ACTION", "OBJECT", "ACTOR", "VIA", "SUMMARY")
			const auditSummaryWidth = 60
			for _, e := range p.Data {
				actor := e.Actor.Name
				if e.Actor.ID != "" {
					actor += " (" + e.Actor.ID + ")"
				}
				if actor == "" {
					actor = e.Actor.Kind
				}
				// A long summary would wrap the terminal's line and break the
				// columns: the table shows its start, -o json all of it.
				t.row(e.At, e.Action, e.Object.ID, actor, e.Actor.Via, runes.Truncate(string(e.Summary), auditSummaryWidth))
			}
			if err := t.flush(); err != nil {
				return err
			}
			moreHint(g, p.NextCursor)
			return nil
		},
	}
	remote.bind(cmd)
	f := cmd.Flags()
	f.StringVar(&q.Object, "object", "", "only entries about this object (an integration, key, delivery or team id)")
	f.StringVar(&q.Actor, "actor", "", "only changes made with this key id")
	f.StringVar(&q.Action, "action", "", "only this action, e.g. integration.update")
	f.StringVar(&q.Cursor, "cursor", "", "the page after this cursor (printed under a full page)")
	f.IntVar(&q.Limit, "limit", 50, "entries per page")
	return cmd
}
