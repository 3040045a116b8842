package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/alerts"
	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/apiclient"
	"github.com/heraldhq/herald/internal/jsontime"
	"github.com/heraldhq/herald/internal/pacing"
	"github.com/heraldhq/herald/internal/retry"
)

func newIntegrationsCmd(g *globals) *cobra.Command {
	var remote apiFlags
	cmd := &cobra.Command{Use: "integrations", Aliases: []string{"integration", "int"}, Short: "Manage notification integrations"}
	remote.bind(cmd)

	cmd.AddCommand(
		newIntegrationCreateCmd(g, &remote),
		newIntegrationListCmd(g, &remote),
		newIntegrationGetCmd(g, &remote),
		newIntegrationUpdateCmd(g, &remote),
		newIntegrationDeleteCmd(g, &remote),
		newIntegrationEnableCmd(g, &remote),
		newIntegrationDisableCmd(g, &remote),
		newIntegrationTestCmd(g, &remote),
		newIntegrationPreviewCmd(g, &remote),
		newIntegrationStatsCmd(g, &remote),
		newIntegrationSlackInstallCmd(g, &remote),
	)
	return cmd
}

func newIntegrationCreateCmd(g *globals, remote *apiFlags) *cobra.Command {
	var f integrationFlags
	create := &cobra.Command{
		Use:   "create --name NAME --destination URL --events build:*,job-run:failure",
		Short: "Create an integration",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			body, err := f.body(cmd, api.Creating)
			if err != nil {
				return err
			}
			c, err := remote.client()
			if err != nil {
				return err
			}
			out, err := c.CreateIntegration(cmd.Context(), body)
			if err != nil {
				return err
			}
			if err := printIntegration(g, out); err != nil {
				return err
			}
			return confirmationFailed(g, out)
		},
	}
	f.bind(create, api.Creating)
	return create
}

func newIntegrationUpdateCmd(g *globals, remote *apiFlags) *cobra.Command {
	var uf integrationFlags
	update := &cobra.Command{
		Use:   "update ID|NAME [--name N] [--destination U] [--events …] [--projects …] [--secret-file F | --generate-secret] [--enabled=false]",
		Short: "Change an integration; only the flags given change",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body, err := uf.body(cmd, api.Updating)
			if err != nil {
				return err
			}
			c, id, err := remote.integration(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			out, err := c.UpdateIntegration(cmd.Context(), id, body)
			if err != nil {
				return err
			}
			return printIntegration(g, out)
		},
	}
	uf.bind(update, api.Updating)
	return update
}

func newIntegrationListCmd(g *globals, remote *apiFlags) *cobra.Command {
	list := &cobra.Command{
		Use:   "list",
		Short: "List integrations",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := remote.client()
			if err != nil {
				return err
			}
			var all []api.IntegrationView
			cursor := ""
			for {
				p, err := c.ListIntegrations(cmd.Context(), cursor, 200)
				if err != nil {
					return err
				}
				all = append(all, p.Data...)
				if cursor = p.NextCursor; cursor == "" {
					break
				}
			}
			if g.output == "json" {
				return printList(g, all, "")
			}
			t := newTable(g.stdout, "ID", "NAME", "TYPE", "HEALTH", "EVENTS", "PROJECTS", "URL")
			for _, i := range all {
				t.row(i.ID, i.Name, string(i.Type), colourize(g.stdout, healthText(i.Health)), i.Events, i.Projects, i.URL)
			}
			return t.flush()
		},
	}
	return list
}

func newIntegrationGetCmd(g *globals, remote *apiFlags) *cobra.Command {
	var waitFor string
	var waitUp time.Duration
	get := &cobra.Command{
		Use:     "get ID|NAME [--wait-for healthy|failing|disabled [--wait 1m]]",
		Aliases: []string{"show"},
		Short:   "Show an integration",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, id, err := remote.integration(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			out, err := awaitHealth(cmd.Context(), c, id, herald.Health(waitFor), waitUp)
			if out.ID != "" && err != nil {
				_ = printIntegration(g, out)
			}
			if err != nil {
				return err
			}
			return printIntegration(g, out)
		},
	}
	get.Flags().StringVar(&waitFor, "wait-for", "", "wait until its health is this: healthy, failing or disabled")
	get.Flags().DurationVar(&waitUp, "wait", time.Minute, "how long --wait-for waits before it gives up")
	return get
}

func newIntegrationDeleteCmd(g *globals, remote *apiFlags) *cobra.Command {
	del := &cobra.Command{
		Use:   "delete ID|NAME",
		Short: "Delete an integration (its delivery history stays)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, id, err := remote.integration(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if err := c.DeleteIntegration(cmd.Context(), id); err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(g.stdout, map[string]any{"id": id, "deleted": true})
			}
			fmt.Fprintf(g.stdout, "deleted %s\n", id)
			return nil
		},
	}
	return del
}

func newIntegrationEnableCmd(g *globals, remote *apiFlags) *cobra.Command {
	var resendToo bool
	enable := &cobra.Command{
		Use:   "enable ID|NAME [--resend]",
		Short: "Enable an integration: fresh health, and deliveries waiting on backoff are retried now",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, id, err := remote.integration(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			before, err := c.GetIntegration(cmd.Context(), id)
			if err != nil {
				return err
			}
			out, err := c.EnableIntegration(cmd.Context(), id)
			if err != nil || !resendToo {
				if err == nil {
					err = printIntegration(g, out)
				}
				return err
			}
			return resendSinceTheTrouble(cmd, g, c, before, out)
		},
	}
	enable.Flags().BoolVar(&resendToo, "resend", false, "then resend what failed, and what was skipped while it was disabled, since its trouble began")
	return enable
}

func newIntegrationDisableCmd(g *globals, remote *apiFlags) *cobra.Command {
	var reason string
	disable := &cobra.Command{
		Use:   "disable ID|NAME [--reason R]",
		Short: "Disable an integration; its team hears of it through integration:disabled",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, id, err := remote.integration(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			out, err := c.DisableIntegration(cmd.Context(), id, reason)
			if err != nil {
				return err
			}
			return printIntegration(g, out)
		},
	}
	disable.Flags().StringVar(&reason, "reason", "", "why (shown with the integration)")
	return disable
}

func newIntegrationTestCmd(g *globals, remote *apiFlags) *cobra.Command {
	test := &cobra.Command{
		Use:   "test ID|NAME",
		Short: "Send a test notification now and report the outcome",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, id, err := remote.integration(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			out, err := c.TestIntegration(cmd.Context(), id)
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(g.stdout, out)
			}
			if out.Delivered {
				fmt.Fprintf(g.stdout, "delivered (%s)\n", out.Reason)
				return nil
			}
			fmt.Fprintf(g.stdout, "not delivered: %s (%s)\n", out.Outcome, out.Reason)
			return exitError(2)
		},
	}
	return test
}

func newIntegrationSlackInstallCmd(g *globals, remote *apiFlags) *cobra.Command {
	var slackName, slackEvents, slackProjects, reinstall string
	slack := &cobra.Command{
		Use:   "slack-install [--name N --events build:*,…] | slack-install --reinstall ID",
		Short: "Print an Add to Slack link (open it in a browser; it expires in 10 minutes)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{}
			for k, v := range map[string]string{"name": slackName, "events": slackEvents, "projects": slackProjects, "integration": reinstall} {
				if v != "" {
					q.Set(k, v)
				}
			}
			c, err := remote.client()
			if err != nil {
				return err
			}
			out, err := c.SlackInstall(cmd.Context(), q)
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(g.stdout, out)
			}
			fmt.Fprintln(g.stdout, out.URL)
			return nil
		},
	}
	slack.Flags().StringVar(&slackName, "name", "", "integration name (default slack)")
	slack.Flags().StringVar(&slackEvents, "events", "", "comma-separated event patterns (default *)")
	slack.Flags().StringVar(&slackProjects, "projects", "", "comma-separated project ids")
	slack.Flags().StringVar(&reinstall, "reinstall", "", "point this Slack integration at a newly chosen channel")
	return slack
}

// integrationFlags are the fields of create and update.
type integrationFlags struct {
	name, typ, url, secret string
	secretFile             string
	generateSecret         bool
	signing                string
	events, projects       []string
	enabled                bool
	maxAttempts            int
	initialInterval        string
	maxInterval            string
	autoRecover            bool
	format                 string
	alertPolicy            string
	rate                   string
	burst                  int
	maxInFlight            int
	disableAfter           int
	ordering               string
	auth                   authFlags
	routing                routingFlags
}

func (f *integrationFlags) bind(cmd *cobra.Command, intent api.Intent) {
	fs := cmd.Flags()
	fs.StringVar(&f.name, "name", "", "name, 3 to 39 characters")
	if intent == api.Creating {
		fs.StringVar(&f.typ, "type", "webhook", "integration type: webhook, slack, discord or teams")
	}
	// Not --url: that is the gateway's, on every client command.
	fs.StringVar(&f.url, "destination", "", "where the integration posts: the receiver's URL or the chat webhook")
	// A secret on the command line is readable by every user of the machine
	// (ps, /proc/PID/cmdline) and stays in shell history: it comes from a file,
	// stdin or the environment instead.
	fs.StringVar(&f.secretFile, "secret-file", "", "read the webhook secret (whsec_… or any token) from this file, - for stdin ($"+secretEnv+" also works)")
	fs.StringVar(&f.secret, "secret", "", "refused: use --secret-file or $"+secretEnv)
	_ = fs.MarkHidden("secret")
	fs.BoolVar(&f.generateSecret, "generate-secret", false, "generate a Standard Webhooks secret (shown once), or a new key of --signing")
	fs.StringVar(&f.signing, "signing", "", "webhook signatures: hmac (a shared whsec_ secret) or ed25519 (a key Herald keeps; receivers verify with its public key)")
	fs.StringSliceVar(&f.events, "events", nil, "event types or patterns: build:start, build:*, *")
	fs.StringSliceVar(&f.projects, "projects", nil, "only events of these project ids (empty: all projects)")
	fs.BoolVar(&f.enabled, "enabled", true, "deliver to this integration")
	fs.IntVar(&f.maxAttempts, "max-attempts", 0, "attempts per delivery, the first included (default: the server's)")
	fs.StringVar(&f.initialInterval, "initial-interval", "", "delay before the first retry, e.g. 5s (default: the server's)")
	fs.StringVar(&f.maxInterval, "max-interval", "", "longest delay between retries, e.g. 2h (default: the server's)")
	fs.StringVar(&f.alertPolicy, "alert-policy", "", `this integration's alert policy as JSON, e.g. '{"groupWait":"5s"}' ('{}' removes it)`)
	fs.StringVar(&f.format, "format", "", "teams message format: auto, adaptive-card or message-card")
	fs.BoolVar(&f.autoRecover, "auto-recover", false, "once disabled automatically, probe the endpoint and re-enable it when it answers")
	fs.StringVar(&f.rate, "rate", "", "send rate as COUNT/PER, e.g. 1/1s or 5/2s; off: no pacing; default: the channel's")
	fs.IntVar(&f.burst, "burst", 0, "requests of the rate that may go at once (with --rate, or alone to change the burst)")
	fs.IntVar(&f.maxInFlight, "max-in-flight", 0, "requests in flight at once, 1 to 10000 (default: the channel's)")
	fs.IntVar(&f.disableAfter, "disable-after", 0, "failed deliveries in a row that disable it, 1 to 1000 (0: the server's, 5 unless set)")
	fs.StringVar(&f.ordering, "ordering", "", "none, or fifo: attempts in the order the events arrived")
	f.auth.bind(cmd)
	f.routing.bind(cmd)
	if intent == api.Updating {
		f.auth.bindRemovals(cmd)
	}
}

// rateOverride reads --rate and --burst into the API's rateLimit.
func (f *integrationFlags) rateOverride(cmd *cobra.Command) (*pacing.Override, error) {
	var o pacing.Override
	if cmd.Flags().Changed("rate") {
		switch f.rate {
		case "off":
			o.Off = true
		case "default":
			return &o, nil // {}: the channel's default
		default:
			count, per, ok := strings.Cut(f.rate, "/")
			n, err := strconv.Atoi(count)
			if !ok || err != nil {
				return nil, fmt.Errorf("--rate %q: want COUNT/PER such as 1/1s, off or default", f.rate)
			}
			d, err := time.ParseDuration(per)
			if err != nil {
				return nil, fmt.Errorf("--rate %q: %q is not a duration such as 1s or 2s", f.rate, per)
			}
			o.Count, o.Per = &n, ptr(jsontime.Duration(d))
		}
	}
	if cmd.Flags().Changed("burst") {
		o.Burst = &f.burst
	}
	if o == (pacing.Override{}) {
		return nil, nil
	}
	return &o, nil
}

// secretEnv carries a webhook secret into create and update.
const secretEnv = "HERALD_INTEGRATION_SECRET"

// readSecret finds the webhook secret the command was given, if any.
func (f *integrationFlags) readSecret(cmd *cobra.Command) (string, bool, error) {
	if cmd.Flags().Changed("secret") {
		return "", false, fmt.Errorf("--secret would put the secret in the process list and shell history; use --secret-file FILE, --secret-file - (stdin) or $%s", secretEnv)
	}
	if cmd.Flags().Changed("secret-file") {
		b, err := readFlagFile(cmd, "secret-file", f.secretFile)
		if err != nil {
			return "", false, err
		}
		return strings.TrimSpace(b), true, nil
	}
	if v, ok := os.LookupEnv(secretEnv); ok {
		return strings.TrimSpace(v), true, nil
	}
	return "", false, nil
}

// body is the request: on update only the flags that were set.
func (f *integrationFlags) body(cmd *cobra.Command, intent api.Intent) (api.IntegrationRequest, error) {
	var r api.IntegrationRequest
	set := func(name string) bool { return intent == api.Creating || cmd.Flags().Changed(name) }
	if set("name") {
		r.Name = &f.name
	}
	if intent == api.Creating {
		r.Type = &f.typ
	}
	if set("destination") {
		r.URL = &f.url
	}
	if secret, ok, err := f.readSecret(cmd); err != nil {
		return r, err
	} else if ok {
		r.Secret = &secret
	}
	r.GenerateSecret = f.generateSecret
	if cmd.Flags().Changed("signing") {
		r.Signing = &f.signing
	}
	if set("events") {
		r.Events = ptr(nonNil(f.events))
	}
	if cmd.Flags().Changed("projects") {
		r.Projects = ptr(nonNil(f.projects))
	}
	if cmd.Flags().Changed("enabled") {
		r.Enabled = &f.enabled
	}
	o, err := f.retryOverride(cmd)
	if err != nil {
		return r, err
	}
	r.Retry = o
	if cmd.Flags().Changed("format") {
		r.Format = &f.format
	}
	if cmd.Flags().Changed("alert-policy") {
		var p alerts.Policy
		dec := json.NewDecoder(strings.NewReader(f.alertPolicy))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&p); err != nil {
			return r, fmt.Errorf("--alert-policy: %w", err)
		}
		r.AlertPolicy = &p
	}
	if cmd.Flags().Changed("auto-recover") {
		r.AutoRecover = &f.autoRecover
	}
	r.RateLimit, err = f.rateOverride(cmd)
	if err != nil {
		return r, err
	}
	if cmd.Flags().Changed("max-in-flight") {
		r.MaxInFlight = &f.maxInFlight
	}
	if cmd.Flags().Changed("disable-after") {
		r.DisableAfter = &f.disableAfter
	}
	if cmd.Flags().Changed("ordering") {
		r.Ordering = ptr(herald.Ordering(f.ordering))
	}
	if err := f.auth.apply(cmd, &r); err != nil {
		return r, err
	}
	f.routing.apply(cmd, &r)
	return r, nil
}

// retryOverride is the retry flags given, nil when none is.
func (f *integrationFlags) retryOverride(cmd *cobra.Command) (*retry.Override, error) {
	var o retry.Override
	if cmd.Flags().Changed("max-attempts") {
		o.MaxAttempts = &f.maxAttempts
	}
	for _, d := range []struct {
		flag, value string
		into        **jsontime.Duration
	}{{"initial-interval", f.initialInterval, &o.InitialInterval}, {"max-interval", f.maxInterval, &o.MaxInterval}} {
		if !cmd.Flags().Changed(d.flag) {
			continue
		}
		v, err := time.ParseDuration(d.value)
		if err != nil {
			return nil, fmt.Errorf("--%s %q: want a duration such as 30s or 2h", d.flag, d.value)
		}
		*d.into = ptr(jsontime.Duration(v))
	}
	if o == (retry.Override{}) {
		return nil, nil
	}
	return &o, nil
}

func ptr[T any](v T) *T { return &v }

func rateText(r api.RateLimitView) string {
	s := "unlimited"
	if !r.Unlimited {
		s = fmt.Sprintf("%d per %s, burst %d", r.Count, r.Per, r.Burst)
	}
	if !r.Custom {
		s += " (the channel's default)"
	}
	return s
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func printIntegration(g *globals, i api.IntegrationView) error {
	warn(g, i.Warnings)
	if g.output == "json" {
		return printJSON(g.stdout, i)
	}
	t := newTable(g.stdout, "FIELD", "VALUE")
	t.row("id", i.ID)
	t.row("name", i.Name)
	t.row("type", string(i.Type))
	t.row("url", i.URL)
	t.row("enabled", i.Enabled)
	t.row("health", healthText(i.Health))
	if i.Health.DisableNotice != "" {
		t.row("disable notice", i.Health.DisableNotice)
	}
	t.row("retry", fmt.Sprintf("%d attempts, first after %s, at most %s apart", i.Retry.MaxAttempts, i.Retry.InitialInterval, i.Retry.MaxInterval))
	t.row("disable after", fmt.Sprintf("%d failed deliveries in a row", i.Health.DisableAfter))
	t.row("auto-recover", i.AutoRecover)
	t.row("rate limit", rateText(i.RateLimit))
	if i.MaxInFlight > 0 {
		t.row("max in flight", i.MaxInFlight)
	} else {
		t.row("max in flight", "no cap")
	}
	t.row("ordering", string(i.Ordering))
	t.row("events", i.Events)
	t.row("projects", i.Projects)
	t.row("has secret", i.HasSecret)
	if i.Signing != "" {
		t.row("signing", i.Signing)
	}
	if i.PublicKey != "" {
		t.row("public key", i.PublicKey+"   (receivers verify v1a signatures with it)")
	}
	if i.PreviousPublicKey != "" {
		t.row("previous public key", i.PreviousPublicKey+"   (still signs during the rotation's grace)")
	}
	if i.Secret != "" {
		t.row("secret", i.Secret+"   (shown once: store it now)")
	}
	if len(i.Headers) > 0 {
		names := make([]string, 0, len(i.Headers))
		for k := range i.Headers {
			names = append(names, k)
		}
		sort.Strings(names)
		t.row("custom headers", strings.Join(names, ", ")+"   (values hidden)")
	}
	if c := i.TLS; c != nil {
		ca := ""
		if c.HasCA {
			ca = ", own CA bundle"
		}
		t.row("client certificate", fmt.Sprintf("%s, expires %s, sha256 %s%s", c.Subject, c.NotAfter.Format("2006-01-02"), c.Fingerprint, ca))
	}
	if o := i.OAuth2; o != nil {
		t.row("oauth2", fmt.Sprintf("client %s at %s, scopes %v", o.ClientID, o.TokenURL, nonNil(o.Scopes)))
	}
	routingRows(t, i)
	if i.Channel != "" {
		t.row("channel", i.Channel)
	}
	if i.Format != "" {
		t.row("format", i.Format)
	}
	if c := i.Confirmation; c != nil {
		if c.Delivered {
			t.row("confirmation", "delivered")
		} else {
			t.row("confirmation", "not delivered: "+c.Reason)
		}
	}
	t.row("created", i.CreatedAt)
	t.row("updated", i.UpdatedAt)
	return t.flush()
}

// resendSinceTheTrouble resends, after an enable, the integration's failed
// deliveries and those skipped while it was disabled, since its first
// failure (or its disable, or a day ago when neither is known), as the
// console's "Enable and resend" does for one delivery.
func resendSinceTheTrouble(cmd *cobra.Command, g *globals, c *apiclient.Client, before, enabled api.IntegrationView) error {
	since := time.Now().Add(-24 * time.Hour)
	switch {
	case before.Health.FirstFailedAt != nil:
		since = *before.Health.FirstFailedAt
	case before.Health.DisabledAt != nil:
		since = *before.Health.DisabledAt
	}
	started, err := c.BulkResend(cmd.Context(), enabled.ID, api.BulkResendRequest{Status: "failed", Since: since.UTC().Format(time.RFC3339)})
	if err != nil {
		return fmt.Errorf("%s is enabled; the resend could not start: %w", enabled.Name, err)
	}
	p, err := followResend(cmd, g, c, started.ID)
	if err != nil {
		return err
	}
	if g.output == "json" {
		return printJSON(g.stdout, map[string]any{"integration": enabled, "resend": map[string]any{"id": started.ID, "sent": p.Sent, "total": p.Total}})
	}
	if err := printIntegration(g, enabled); err != nil {
		return err
	}
	fmt.Fprintf(g.stdout, "enabled, and resent %d deliveries (failed, or skipped while disabled) since %s\n", p.Sent, since.Format(time.RFC3339))
	return nil
}

// confirmationFailed says, prominently and with a non-zero exit, that an
// integration was made but its confirmation did not get through: the
// receiver is not ready, and waiting events would fail the same way.
func confirmationFailed(g *globals, i api.IntegrationView) error {
	c := i.Confirmation
	if c == nil || c.Delivered {
		return nil
	}
	fmt.Fprintf(g.stderr, "\nerror: the confirmation message to %s was NOT delivered: %s\n", i.Name, c.Reason)
	fmt.Fprintf(g.stderr, "The integration %s was created and kept; it shows failing until a request gets through.\n", i.ID)
	if c.DeliveryID != "" {
		fmt.Fprintf(g.stderr, "See the request and its answer: herald deliveries show %s\n", c.DeliveryID)
	}
	fmt.Fprintf(g.stderr, "Fix the receiver, then send the confirmation again: herald integrations test %s\n", i.ID)
	return exitError(3)
}

// healthText is the seed's status in words.
func healthText(h api.HealthView) string {
	switch h.Status {
	case herald.HealthFailing:
		s := fmt.Sprintf("failing: %d failed request(s)", h.FailedRequests)
		if h.FirstFailedAt != nil {
			s += " since " + cell(h.FirstFailedAt)
		}
		if h.ConsecutiveFailures > 0 {
			s += fmt.Sprintf(", %d failed deliveries in a row", h.ConsecutiveFailures)
		}
		return s
	case herald.HealthDisabled:
		s := "disabled"
		if h.DisabledReason != "" {
			s += ": " + h.DisabledReason
		}
		if h.DisabledAt != nil {
			s += " (" + cell(h.DisabledAt) + ")"
		}
		return s
	}
	return string(h.Status)
}

// awaitHealth reads an integration and, when want is set, reads it again until its health is
// want or up has passed; on time-out it returns the last reading with the error.
func awaitHealth(ctx context.Context, c *apiclient.Client, id string, want herald.Health, up time.Duration) (api.IntegrationView, error) {
	switch want {
	case "", herald.HealthHealthy, herald.HealthFailing, herald.HealthDisabled:
	default:
		return api.IntegrationView{}, fmt.Errorf("--wait-for %q: want healthy, failing or disabled", want)
	}
	deadline := time.Now().Add(up)
	for {
		out, err := c.GetIntegration(ctx, id)
		if err != nil || want == "" || out.Health.Status == want {
			return out, err
		}
		if time.Now().After(deadline) {
			return out, fmt.Errorf("%s is %s, not %s, after %s", out.Name, out.Health.Status, want, up)
		}
		select {
		case <-ctx.Done():
			return out, ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}
