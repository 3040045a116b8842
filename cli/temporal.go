package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/internal/temporalclient"
)

func newTemporalCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "temporal", Short: "Temporal set-up helpers"}
	cmd.AddCommand(&cobra.Command{
		Use:   "search-attributes",
		Short: "Print Herald's search attributes as NAME=Type (the dev server's --search-attribute form)",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if g.output == "json" {
				return printJSON(g.stdout, contract.SearchAttributes())
			}
			for _, sa := range contract.SearchAttributes() {
				fmt.Fprintln(g.stdout, sa)
			}
			return nil
		},
	})
	cfg := config.Defaults()
	setup := &cobra.Command{
		Use:   "setup",
		Short: "Register Herald's search attributes on a Temporal namespace (idempotent)",
		Args:  cobra.NoArgs,
	}
	b := config.Bind(setup.Flags(), &cfg, config.GroupTemporal)
	setup.RunE = func(cmd *cobra.Command, _ []string) error {
		c, err := b.Load(nil)
		if err != nil {
			return err
		}
		log, err := newLogger(c, g.stderr)
		if err != nil {
			return err
		}
		tc, err := temporalclient.Dial(cmd.Context(), c, log, nil)
		if err != nil {
			return err
		}
		defer tc.Close()
		added, err := contract.SetupSearchAttributes(cmd.Context(), tc, c.TemporalNamespace)
		if err != nil {
			return err
		}
		if added == nil {
			added = []string{}
		}
		if g.output == "json" {
			return printJSON(g.stdout, map[string]any{"namespace": c.TemporalNamespace, "added": added})
		}
		if len(added) == 0 {
			fmt.Fprintf(g.stdout, "namespace %s already has Herald's search attributes\n", c.TemporalNamespace)
			return nil
		}
		fmt.Fprintf(g.stdout, "added to namespace %s: %s\n", c.TemporalNamespace, strings.Join(added, ", "))
		return nil
	}
	cmd.AddCommand(setup)
	return cmd
}
