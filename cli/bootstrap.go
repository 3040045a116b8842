package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/user"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/apiclient"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/schema"
)

// Team and key commands go through the API (an admin key) when a key is
// given, and straight to the database otherwise: that is how the first team
// and key are made, before any key exists.

func withDatabase(ctx context.Context, b *config.Binder, fn func(*store.Store) error) error {
	st, err := openDatabase(ctx, b)
	if err != nil {
		return err
	}
	return runOnDatabase(ctx, st, fn)
}

// openDatabase connects to the configured database.
func openDatabase(ctx context.Context, b *config.Binder) (*store.Store, error) {
	cfg, err := b.Load(nil)
	if err != nil {
		return nil, err
	}
	return openStore(ctx, cfg)
}

// runOnDatabase migrates st, runs fn on it and closes it.
func runOnDatabase(ctx context.Context, st *store.Store, fn func(*store.Store) error) error {
	defer st.Close()
	if _, err := schema.Migrate(ctx, st.DB()); err != nil {
		return err
	}
	return fn(st)
}

func (f *apiFlags) viaAPI() bool { return f.apiKey != "" || os.Getenv("HERALD_API_KEY") != "" }

// bootstrap runs a team or key command: on the database when --database-url
// is given or no key is; else through the API. A key that may not do it (the quickstart's own ingest,manage key,
// still exported when the quickstart is pasted a second time) is not a dead
// end: against a gateway on this machine whose database answers, the
// command is done on the database, with a note; otherwise the error says
// exactly what to unset or pass.
func bootstrap(cmd *cobra.Command, g *globals, remote *apiFlags, b *config.Binder, viaAPI func(*apiclient.Client) error, viaDB onDatabase) error {
	ctx := cmd.Context()
	if cmd.Flags().Changed("database-url") || !remote.viaAPI() {
		return withDatabase(ctx, b, viaDB.run)
	}
	c, err := remote.client()
	if err != nil {
		return err
	}
	err = viaAPI(c)
	var ae *apiclient.Error
	if !errors.As(err, &ae) || (ae.Status != http.StatusUnauthorized && ae.Status != http.StatusForbidden) {
		return err
	}
	if remote.local() {
		// The database answers within a moment, or the error below says what to do.
		octx, cancel := context.WithTimeout(ctx, 3*time.Second)
		st, err := openDatabase(octx, b)
		cancel()
		if err == nil {
			fmt.Fprintf(g.stderr, "note: HERALD_API_KEY may not do this (%s): done on the local database instead\n", ae.Detail)
			return runOnDatabase(ctx, st, viaDB.run)
		}
	}
	return fmt.Errorf("%w\nHERALD_API_KEY is a key without the admin (or, for its own team's keys, owner) scope this needs.\n"+
		"To do it on the database instead: unset HERALD_API_KEY, or pass --database-url URL;\n"+
		"or pass --api-key with an admin key (bin/herald keys create --team TEAM --scopes admin, run without HERALD_API_KEY)", err)
}

// local says whether the gateway the client talks to is on this machine.
func (f *apiFlags) local() bool {
	u, err := url.Parse(f.base())
	if err != nil {
		return false
	}
	if u.Hostname() == "localhost" {
		return true
	}
	ip := net.ParseIP(u.Hostname())
	return ip != nil && ip.IsLoopback()
}

func newTeamsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "teams", Short: "Manage teams (with an admin key through the API, else on the database)"}
	var remote apiFlags
	remote.bind(cmd)
	cfg := config.Defaults()
	b := config.Bind(cmd.PersistentFlags(), &cfg, config.GroupDatabase)
	create := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a team",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return bootstrap(cmd, g, &remote, b, func(c *apiclient.Client) error {
				t, err := c.CreateTeam(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				return printTeam(g, t)
			}, func(svc *service.Service, a service.Actor) error {
				v, err := svc.CreateTeam(cmd.Context(), a, args[0])
				if err != nil {
					return err
				}
				return printTeam(g, v)
			})
		},
	}
	list := &cobra.Command{
		Use:   "list",
		Short: "List teams",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return bootstrap(cmd, g, &remote, b, func(c *apiclient.Client) error {
				p, err := c.ListTeams(cmd.Context())
				if err != nil {
					return err
				}
				return printTeamList(g, p.Data...)
			}, func(svc *service.Service, a service.Actor) error {
				views, err := svc.ListTeams(cmd.Context(), a)
				if err != nil {
					return err
				}
				return printTeamList(g, views...)
			})
		},
	}
	cmd.AddCommand(create, list)
	return cmd
}

func newKeysCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "keys", Short: "Manage API keys (with an admin key through the API, else on the database)"}
	var remote apiFlags
	remote.bind(cmd)
	cfg := config.Defaults()
	b := config.Bind(cmd.PersistentFlags(), &cfg, config.GroupDatabase)
	cmd.AddCommand(newKeyCreateCmd(g, &remote, b), newKeyListCmd(g, &remote, b), newKeyRevokeCmd(g, &remote, b))
	return cmd
}

func newKeyCreateCmd(g *globals, remote *apiFlags, b *config.Binder) *cobra.Command {
	var team, name, scopes string
	create := &cobra.Command{
		Use:   "create --team ID --scopes ingest,manage",
		Short: "Create an API key; the key is printed once and never stored",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var names []string
			for _, s := range strings.Split(scopes, ",") {
				p, err := herald.ParseScope(strings.TrimSpace(s))
				if err != nil {
					return err
				}
				names = append(names, string(p))
			}
			return bootstrap(cmd, g, remote, b, func(c *apiclient.Client) error {
				k, err := c.CreateKey(cmd.Context(), api.KeyRequest{TeamID: team, Name: name, Scopes: names})
				if err != nil {
					return err
				}
				return printKey(g, k)
			}, func(svc *service.Service, a service.Actor) error {
				if team == "" {
					return fmt.Errorf("--team is required")
				}
				v, err := svc.CreateKey(cmd.Context(), a, api.KeyRequest{TeamID: team, Name: name, Scopes: names})
				if err != nil {
					return err
				}
				return printKey(g, v)
			})
		},
	}
	create.Flags().StringVar(&team, "team", "", "team id (required on the database; through the API, default the key's team)")
	create.Flags().StringVar(&name, "name", "", "a label for the key")
	create.Flags().StringVar(&scopes, "scopes", "ingest,manage", "comma-separated scopes: ingest, manage, owner (its own team's keys and alert policy), admin (the operator's, across teams)")
	return create
}

func newKeyListCmd(g *globals, remote *apiFlags, b *config.Binder) *cobra.Command {
	var listTeam string
	list := &cobra.Command{
		Use:   "list [--team ID]",
		Short: "List a team's keys (prefixes and scopes, never the keys)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return bootstrap(cmd, g, remote, b, func(c *apiclient.Client) error {
				p, err := c.ListKeys(cmd.Context(), listTeam)
				if err != nil {
					return err
				}
				return printKeyList(g, p.Data...)
			}, func(svc *service.Service, a service.Actor) error {
				if listTeam == "" {
					return fmt.Errorf("--team is required")
				}
				views, err := svc.ListKeys(cmd.Context(), a, listTeam)
				if err != nil {
					return err
				}
				return printKeyList(g, views...)
			})
		},
	}
	list.Flags().StringVar(&listTeam, "team", "", "team id")
	return list
}

func newKeyRevokeCmd(g *globals, remote *apiFlags, b *config.Binder) *cobra.Command {
	revoke := &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke a key: it fails from its next request on",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return bootstrap(cmd, g, remote, b, func(c *apiclient.Client) error {
				k, err := c.RevokeKey(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				return printKey(g, k)
			}, func(svc *service.Service, a service.Actor) error {
				v, err := svc.RevokeKey(cmd.Context(), a, args[0])
				if err != nil {
					return err
				}
				return printKey(g, v)
			})
		},
	}
	return revoke
}

// onDatabase is a command's work straight on the database, through the
// service layer, as the operating-system user (the audit log says who
// bootstrapped what).
type onDatabase func(svc *service.Service, a service.Actor) error

func (f onDatabase) run(st *store.Store) error {
	name := os.Getenv("USER")
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	cfg := config.Defaults()
	svc := service.New(&cfg, st, nil, nil, discardLogger())
	return f(svc, service.Actor{Actor: store.Actor{Kind: store.ActorDatabase, Name: name, Via: "cli"}})
}

// printTeam prints one team (created) as an object, with its warnings.
func printTeam(g *globals, t api.TeamView) error {
	warn(g, t.Warnings)
	if g.output == "json" {
		return printJSON(g.stdout, t)
	}
	return printTeamList(g, t)
}

// printTeamList prints teams as every list does.
func printTeamList(g *globals, ts ...api.TeamView) error {
	if g.output == "json" {
		return printList(g, ts, "")
	}
	tb := newTable(g.stdout, "ID", "NAME", "CREATED")
	for _, t := range ts {
		tb.row(t.ID, t.Name, t.CreatedAt)
	}
	return tb.flush()
}

// printKey prints one key as an object; a new key's secret with the warning
// that it is shown once.
func printKey(g *globals, k api.KeyView) error {
	if g.output == "json" {
		return printJSON(g.stdout, k)
	}
	if err := printKeyList(g, k); err != nil {
		return err
	}
	if k.Key != "" {
		fmt.Fprintln(g.stderr, "Store the key now: it is not shown again.")
	}
	return nil
}

// printKeyList prints keys as every list does.
func printKeyList(g *globals, ks ...api.KeyView) error {
	if g.output == "json" {
		return printList(g, ks, "")
	}
	tb := newTable(g.stdout, "ID", "TEAM", "NAME", "PREFIX", "SCOPES", "CREATED", "REVOKED", "KEY")
	for _, k := range ks {
		tb.row(k.ID, k.TeamID, k.Name, k.Prefix, k.Scopes, k.CreatedAt, k.RevokedAt, k.Key)
	}
	return tb.flush()
}
