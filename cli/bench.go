package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/bench"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/temporalclient"
)

// benchFlags are bench's own flags; the run's options are filled in from them.
type benchFlags struct {
	o               bench.Options
	url, pids       string
	bare, bareEager bool
}

func newBenchCmd(g *globals) *cobra.Command {
	cfg := config.Defaults()
	var f benchFlags
	cmd := &cobra.Command{
		Use:   "bench --url http://127.0.0.1:8080 [--events 2000 --concurrency 32 | --rate 20 --duration 30s] [--fanout 3]",
		Short: "Measure a running Herald against the bare Temporal ceiling",
		Args:  cobra.NoArgs,
	}
	b := config.Bind(cmd.Flags(), &cfg, config.GroupDatabase|config.GroupTemporal)
	o := &f.o
	cmd.Flags().StringVar(&f.url, "url", "http://127.0.0.1:8080", "the gateway")
	cmd.Flags().IntVar(&o.Events, "events", 1000, "events to send (max-rate mode)")
	cmd.Flags().IntVar(&o.Concurrency, "concurrency", 32, "concurrent senders (max-rate mode)")
	cmd.Flags().Float64Var(&o.Rate, "rate", 0, "events per second (fixed-rate mode)")
	cmd.Flags().DurationVar(&o.Duration, "duration", 30*time.Second, "how long to send (fixed-rate mode)")
	cmd.Flags().IntVar(&o.FanOut, "fanout", 1, "integrations each event matches")
	cmd.Flags().BoolVar(&f.bare, "bare", true, "also measure the bare Temporal ceiling")
	cmd.Flags().BoolVar(&f.bareEager, "bare-eager", false, "also measure the bare ceiling with local activities started eagerly (on this process's worker)")
	cmd.Flags().StringVar(&f.pids, "pids", "", "processes to measure, with their children: gateway=PID,worker=PID,postgres=PID,…")
	cmd.Flags().IntVar(&o.Hostile, "hostile", 0, "also send this many events from a second team with a 3,000-character project id, at the same time")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		c, err := b.Load(nil)
		if err != nil {
			return err
		}
		return f.run(cmd.Context(), g, c)
	}
	return cmd
}

// run measures Herald, then each ceiling, against the same server.
func (f *benchFlags) run(ctx context.Context, g *globals, c *config.Config) error {
	o := f.o
	recv, err := bench.NewReceiver()
	if err != nil {
		return err
	}
	defer recv.Close()
	st, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	team, key, err := benchTeam(ctx, st, recv.URL, o.FanOut)
	if err != nil {
		return err
	}
	if o.Hostile > 0 {
		if _, o.HostileKey, err = benchTeam(ctx, st, recv.URL, o.FanOut); err != nil {
			return err
		}
	}
	o.GatewayURL, o.APIKey, o.BareQueue = strings.TrimRight(f.url, "/"), key, "herald-bench-bare"
	bar := newProgressBar(g.stderr)
	o.Progress = func(s string) {
		if bar.tty {
			fmt.Fprintf(g.stderr, "\r%-60s", s)
		}
	}
	procs, err := parsePIDs(f.pids)
	if err != nil {
		return err
	}
	tc, err := temporalclient.Dial(ctx, c, discardLogger(), nil)
	if err != nil {
		return err
	}
	defer tc.Close()
	o.Temporal = tc
	runs := f.runs()
	report, usage, err := measure(ctx, o, recv, runs, procs)
	if err != nil {
		return err
	}
	shape, err := bench.HistoryShape(ctx, tc, "HeraldTeamId = '"+team+"' AND ExecutionStatus = 'Completed'", 20)
	if err != nil {
		return err
	}
	report["heraldShape"] = shape
	if bar.tty {
		fmt.Fprintln(g.stderr)
	}
	if g.output == "json" {
		return printJSON(g.stdout, report)
	}
	return printBench(g, o, runs, usage, shape)
}

// runs are Herald, then the ceilings: the bare workflow with an activity per
// delivery, with local activities (the best there is for a workflow per
// event started through matching), and, with --bare-eager, started eagerly.
func (f *benchFlags) runs() []benchRun {
	runs := []benchRun{{name: "HERALD", key: "herald", run: bench.RunHerald}}
	if f.bare {
		runs = append(runs, benchRun{name: "BARE", key: "bare", run: bench.RunBare},
			benchRun{name: "BARE LOCAL", key: "bareLocal", run: bench.RunBareLocal})
		if f.bareEager {
			runs = append(runs, benchRun{name: "BARE LOCAL EAGER", key: "bareLocalEager", eager: true, run: bench.RunBareLocal})
		}
	}
	return runs
}

// measure makes each run in turn, reading the CPU of the processes named
// with --pids around each.
func measure(ctx context.Context, o bench.Options, recv *bench.Receiver, runs []benchRun, procs []namedPID) (map[string]any, map[string][]bench.Proc, error) {
	runID := strconv.FormatInt(time.Now().UnixNano(), 36)
	report := map[string]any{"options": map[string]any{"events": o.Events, "concurrency": o.Concurrency,
		"rate": o.Rate, "duration": o.Duration.String(), "fanout": o.FanOut}}
	usage := map[string][]bench.Proc{}
	for i := range runs {
		r := &runs[i]
		o.BareEager = r.eager
		before := readProcs(procs)
		var err error
		if r.fig, err = r.run(ctx, o, recv, fmt.Sprintf("%d%s", i, runID)); err != nil {
			return nil, nil, err
		}
		for j, p := range readProcs(procs) {
			p.CPUSeconds -= before[j].CPUSeconds
			usage[r.key] = append(usage[r.key], p)
		}
		report[r.key] = r.fig
	}
	report["processes"] = usage["herald"]
	report["processesByRun"] = usage
	return report, usage, nil
}

// printBench prints Herald's figures beside each ceiling's, with the ratio.
func printBench(g *globals, o bench.Options, runs []benchRun, usage map[string][]bench.Proc, shape bench.Shape) error {
	herald := runs[0].fig
	cols := []string{"FIGURE", "HERALD"}
	for _, r := range runs[1:] {
		cols = append(cols, r.name, "HERALD ÷ "+r.name)
	}
	t := newTable(g.stdout, cols...)
	row := func(name string, v func(bench.Figures) float64) {
		h := v(herald)
		cells := []any{name, fmt.Sprintf("%.1f", h)}
		for _, r := range runs[1:] {
			ratio := "-"
			if b := v(r.fig); b > 0 {
				ratio = fmt.Sprintf("%.2f", h/b)
			}
			cells = append(cells, fmt.Sprintf("%.1f", v(r.fig)), ratio)
		}
		t.row(cells...)
	}
	row("deliveries/s", func(f bench.Figures) float64 { return f.DeliveriesPerS })
	row("events/s", func(f bench.Figures) float64 { return f.EventsPerS })
	row("accepted/s while sending", func(f bench.Figures) float64 { return f.AcceptedPerS })
	row("ingest p50 ms", func(f bench.Figures) float64 { return f.IngestP50MS })
	row("ingest p99 ms", func(f bench.Figures) float64 { return f.IngestP99MS })
	row("end-to-end p50 ms", func(f bench.Figures) float64 { return f.EndToEndP50MS })
	row("end-to-end p99 ms", func(f bench.Figures) float64 { return f.EndToEndP99MS })
	row("end-to-end max ms", func(f bench.Figures) float64 { return f.EndToEndMaxMS })
	if err := t.flush(); err != nil {
		return err
	}
	fmt.Fprintf(g.stdout, "\n%d events × %d, %d deliveries, %d rejected, %d missing\n", herald.Events, o.FanOut, herald.Deliveries, herald.Rejected, herald.Missing)
	fmt.Fprintf(g.stdout, "per Herald event (%d sampled): %.1f history events, %.1f workflow tasks, %.1f activity tasks\n",
		shape.Sampled, shape.Events, shape.WorkflowTasks, shape.ActivityTasks)
	if len(herald.Rejections) > 0 {
		fmt.Fprintf(g.stdout, "rejected by answer: %v\n", herald.Rejections)
	}
	if o.Hostile > 0 {
		fmt.Fprintf(g.stdout, "hostile team: %d events with a %d-character project id, answered %v, %d deliveries\n",
			o.Hostile, bench.HostileProjectLen, herald.HostileAnswers, herald.HostileDelivered)
	}
	for _, r := range runs {
		for _, p := range usage[r.key] {
			fmt.Fprintf(g.stdout, "%s, during %s: %.1f CPU s, peak RSS %.0f MB\n", p.Name, strings.ToLower(r.name), p.CPUSeconds, p.PeakRSSMB)
		}
	}
	return nil
}

// benchRun is one measured run of herald bench: Herald or a ceiling.
type benchRun struct {
	name, key string
	eager     bool
	run       func(context.Context, bench.Options, *bench.Receiver, string) (bench.Figures, error)
	fig       bench.Figures
}

// benchTeam makes a team, a key and fanout integrations pointing at the receiver.
func benchTeam(ctx context.Context, st *store.Store, recvURL string, fanout int) (teamID, key string, err error) {
	team, err := st.CreateTeam(ctx, "bench "+time.Now().Format(time.RFC3339))
	if err != nil {
		return "", "", err
	}
	_, key, err = st.CreateKey(ctx, team.ID, "bench", []herald.Scope{herald.ScopeIngest, herald.ScopeManage})
	if err != nil {
		return "", "", err
	}
	for i := range fanout {
		if _, err := st.CreateIntegration(ctx, store.Integration{TeamID: team.ID, Name: fmt.Sprintf("bench-%d", i),
			Type: herald.IntegrationWebhook, URL: fmt.Sprintf("%s/h/%d", recvURL, i), Events: []string{"build:*"}, Enabled: true}); err != nil {
			return "", "", err
		}
	}
	return team.ID, key, nil
}

type namedPID struct {
	name string
	pid  int
}

func parsePIDs(s string) ([]namedPID, error) {
	var out []namedPID
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		name, p, ok := strings.Cut(part, "=")
		pid, err := strconv.Atoi(p)
		if !ok || err != nil {
			return nil, fmt.Errorf("--pids %q: want name=PID", part)
		}
		out = append(out, namedPID{name, pid})
	}
	return out, nil
}

func readProcs(ps []namedPID) []bench.Proc {
	out := make([]bench.Proc, len(ps))
	for i, p := range ps {
		out[i], _ = bench.ReadProc(p.name, p.pid)
	}
	return out
}
