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
	cmd.AddCommand(newEventTypeListCmd(g, &remote), newEventTypeShowCmd(g, &remote), newEventTypeRegisterCmd(g, &remote),
		newEventTypeUpdateCmd(g, &remote), newEventTypeDeleteCmd(g, &remote), newEventTypeValidateCmd(g, &remote))
	return cmd
}

func printEventType(g *globals, v api.EventTypeView) error {
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

// eventTypeFlags are register's and update's: the schema, example and
// description of a type.
type eventTypeFlags struct{ schemaFile, exampleFile, description string }

func (f *eventTypeFlags) bind(c *cobra.Command) {
	c.Flags().StringVar(&f.schemaFile, "schema", "", "file with the JSON Schema of the data (- for stdin)")
	c.Flags().StringVar(&f.exampleFile, "example", "", "file with an example of the data, checked against the schema")
	c.Flags().StringVar(&f.description, "description", "", "what an event of this type announces")
}

func (f *eventTypeFlags) request(cmd *cobra.Command, name *string) (api.EventTypeRequest, error) {
	r := api.EventTypeRequest{Name: name}
	if cmd.Flags().Changed("description") {
		r.Description = &f.description
	}
	for _, f := range []struct {
		flag, path string
		dst        *json.RawMessage
	}{{"schema", f.schemaFile, &r.Schema}, {"example", f.exampleFile, &r.Example}} {
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

func newEventTypeListCmd(g *globals, remote *apiFlags) *cobra.Command {
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
	return list
}

func newEventTypeShowCmd(g *globals, remote *apiFlags) *cobra.Command {
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
			return printEventType(g, v)
		},
	}
	return show
}

func newEventTypeRegisterCmd(g *globals, remote *apiFlags) *cobra.Command {
	var f eventTypeFlags
	register := &cobra.Command{
		Use:   "register NAME --schema FILE [--description TEXT] [--example FILE]",
		Short: "Register a type of the team's own with the JSON Schema of its data (a file, or - for stdin)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := f.request(cmd, &args[0])
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
			return printEventType(g, v)
		},
	}
	f.bind(register)
	return register
}

func newEventTypeUpdateCmd(g *globals, remote *apiFlags) *cobra.Command {
	var f eventTypeFlags
	update := &cobra.Command{
		Use:   "update NAME [--schema FILE] [--description TEXT] [--example FILE]",
		Short: "Change one of the team's types",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := f.request(cmd, nil)
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
			return printEventType(g, v)
		},
	}
	f.bind(update)
	return update
}

func newEventTypeDeleteCmd(g *globals, remote *apiFlags) *cobra.Command {
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
	return del
}

func newEventTypeValidateCmd(g *globals, remote *apiFlags) *cobra.Command {
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
	return validate
}
