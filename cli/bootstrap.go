package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/config"
	"github.com/heraldhq/herald/schema"
	"github.com/heraldhq/herald/store"
)

// withDatabase opens and migrates the database for a bootstrap command, which
// works with no gateway running.
func withDatabase(ctx context.Context, b *config.Binder, fn func(*store.Store) error) error {
	cfg, err := b.Load(nil)
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := schema.Migrate(ctx, st.DB()); err != nil {
		return err
	}
	return fn(st)
}

func newTeamsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "teams", Short: "Manage teams (directly on the database)"}
	cfg := config.Defaults()
	create := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a team",
		Args:  cobra.ExactArgs(1),
	}
	b := config.Bind(create.Flags(), &cfg, config.GroupDatabase)
	create.RunE = func(cmd *cobra.Command, args []string) error {
		return withDatabase(cmd.Context(), b, func(st *store.Store) error {
			t, err := st.CreateTeam(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(g.stdout, t)
			}
			tb := newTable(g.stdout, "ID", "NAME", "CREATED")
			tb.row(t.ID, t.Name, t.CreatedAt)
			return tb.flush()
		})
	}
	cmd.AddCommand(create)
	return cmd
}

func newKeysCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "keys", Short: "Manage API keys (directly on the database)"}
	cfg := config.Defaults()
	var team, name, scopes string
	create := &cobra.Command{
		Use:   "create --team ID --scopes ingest,manage",
		Short: "Create an API key; the key is printed once and never stored",
		Args:  cobra.NoArgs,
	}
	create.Flags().StringVar(&team, "team", "", "team id (required)")
	create.Flags().StringVar(&name, "name", "", "a label for the key")
	create.Flags().StringVar(&scopes, "scopes", "ingest,manage", "comma-separated scopes: ingest, manage, admin")
	b := config.Bind(create.Flags(), &cfg, config.GroupDatabase)
	create.RunE = func(cmd *cobra.Command, _ []string) error {
		if team == "" {
			return fmt.Errorf("--team is required")
		}
		var sc []herald.Scope
		for _, s := range strings.Split(scopes, ",") {
			p, err := herald.ParseScope(strings.TrimSpace(s))
			if err != nil {
				return err
			}
			sc = append(sc, p)
		}
		return withDatabase(cmd.Context(), b, func(st *store.Store) error {
			k, plain, err := st.CreateKey(cmd.Context(), team, name, sc)
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(g.stdout, map[string]any{
					"id": k.ID, "teamId": k.TeamID, "name": k.Name, "prefix": k.Prefix,
					"scopes": k.Scopes, "createdAt": k.CreatedAt, "key": plain,
				})
			}
			tb := newTable(g.stdout, "ID", "TEAM", "SCOPES", "KEY")
			tb.row(k.ID, k.TeamID, []string(k.Scopes), plain)
			if err := tb.flush(); err != nil {
				return err
			}
			fmt.Fprintln(g.stderr, "Store the key now: it is not shown again.")
			return nil
		})
	}
	cmd.AddCommand(create)
	return cmd
}
