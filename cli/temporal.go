package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/heraldhq/herald/contract"
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
	return cmd
}
