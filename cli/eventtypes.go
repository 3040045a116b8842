package cli

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/heraldhq/herald/internal/api"
)

func newEventTypesCmd(g *globals) *cobra.Command {
	var remote apiFlags
	cmd := &cobra.Command{Use: "event-types", Short: "The event catalog: Herald's types with their data schemas, and the team's own"}
	remote.bind(cmd)

	printType := func(v api.EventTypeView) error {
		if g.output == "json" {
			return printJSON(g.stdout, v)
		}
		t := newTable(g.stdout, "FIELD", "VALUE")
		t.row("name", v.Name)
		t.row("category", v.Category)
		t.row("built in", v.BuiltIn)
		t.row("description", v.Description)
		t.row("schema", string(v.Schema))
		if len(v.Example) > 0 {
			t.row("example", string(v.Example))
		}
		return t.flush()
	}

	list := &cobra.Command{
		Use: "list", Short: "Every type Herald knows, then the team's own", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := remote.client()
			if err != nil {
				return err
			}
			p, err := c.ListEventTypes(cmd.Context())
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printList(g, p.Data, p.NextCursor)
			}
			t := newTable(g.stdout, "NAME", "CATEGORY", "OWN", "DESCRIPTION")
			for _, v := range p.Data {
				t.row(v.Name, v.Category, !v.BuiltIn, v.Description)
			}
			return t.flush()
		},
	}
	show := &cobra.Command{
		Use: "show NAME", Short: "A type with its schema and example", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := remote.client()
			if err != nil {
				return err
			}
			v, err := c.GetEventType(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return printType(v)
		},
	}

	var schemaFile, exampleFile, description string
	request := func(cmd *cobra.Command, name *string) (api.EventTypeRequest, error) {
		r := api.EventTypeRequest{Name: name}
		if cmd.Flags().Changed("description") {
			r.Description = &description
		}
		for _, f := range []struct {
			flag, path string
			dst        *json.RawMessage
		}{{"schema", schemaFile, &r.Schema}, {"example", exampleFile, &r.Example}} {
			if f.path == "" {
				continue
			}
			text, err := readFlagFile(cmd, f.flag, f.path)
			if err != nil {
				return r, err
			}
			if !json.Valid([]byte(text)) {
				return r, fmt.Errorf("--%s %s: not JSON", f.flag, f.path)
			}
			*f.dst = json.RawMessage(text)
		}
		return r, nil
	}
	register := &cobra.Command{
		Use:   "register NAME --schema FILE [--description TEXT] [--example FILE]",
		Short: "Register a type of the team's own with the JSON Schema of its data (a file, or - for stdin)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := request(cmd, &args[0])
			if err != nil {
				return err
			}
			c, err := remote.client()
			if err != nil {
				return err
			}
			v, err := c.CreateEventType(cmd.Context(), r)
			if err != nil {
				return err
			}
			return printType(v)
		},
	}
	update := &cobra.Command{
		Use:   "update NAME [--schema FILE] [--description TEXT] [--example FILE]",
		Short: "Change one of the team's types",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := request(cmd, nil)
			if err != nil {
				return err
			}
			c, err := remote.client()
			if err != nil {
				return err
			}
			v, err := c.UpdateEventType(cmd.Context(), args[0], r)
			if err != nil {
				return err
			}
			return printType(v)
		},
	}
	for _, c := range []*cobra.Command{register, update} {
		c.Flags().StringVar(&schemaFile, "schema", "", "file with the JSON Schema of the data (- for stdin)")
		c.Flags().StringVar(&exampleFile, "example", "", "file with an example of the data, checked against the schema")
		c.Flags().StringVar(&description, "description", "", "what an event of this type announces")
	}
	del := &cobra.Command{
		Use: "delete NAME", Short: "Delete one of the team's types", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := remote.client()
			if err != nil {
				return err
			}
			if err := c.DeleteEventType(cmd.Context(), args[0]); err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "deleted %s\n", args[0])
			return nil
		},
	}
	validate := &cobra.Command{
		Use:   "validate [on|off]",
		Short: "Whether the team's events must match their type's schema (400 otherwise); no argument shows it",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := remote.client()
			if err != nil {
				return err
			}
			var v api.TeamSettingsView
			switch {
			case len(args) == 0:
				v, err = c.GetTeam(cmd.Context())
			case args[0] == "on" || args[0] == "off":
				on := args[0] == "on"
				v, err = c.UpdateTeam(cmd.Context(), api.TeamSettingsRequest{ValidateData: &on})
			default:
				return fmt.Errorf("validate %q: want on or off", args[0])
			}
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(g.stdout, v)
			}
			fmt.Fprintf(g.stdout, "validateData %s for team %s (%s)\n", map[bool]string{true: "on", false: "off"}[v.ValidateData], v.Name, v.ID)
			return nil
		},
	}
	cmd.AddCommand(list, show, register, update, del, validate)
	return cmd
}
