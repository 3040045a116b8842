package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/heraldhq/herald/activities"
	"github.com/heraldhq/herald/gateway"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/internal/metrics"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/telemetry"
	"github.com/heraldhq/herald/internal/temporalclient"
	"github.com/heraldhq/herald/schema"
	"github.com/heraldhq/herald/worker"
)

// runtime is what a server process holds: config, logger, database, Temporal.
type runtime struct {
	// stopTracing flushes the spans not yet exported (tracing on).
	stopTracing func(context.Context) error
	cfg         *config.Config
	log         *slog.Logger
	store       *store.Store
	temporal    client.Client
	metrics     *metrics.Metrics
}

func (r *runtime) close() {
	if r.stopTracing != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = r.stopTracing(ctx)
		cancel()
	}
	r.metrics.Close()
	if r.temporal != nil {
		r.temporal.Close()
	}
	if r.store != nil {
		r.store.Close()
	}
}

// openRuntime connects to Postgres (migrating it) and to Temporal.
func openRuntime(ctx context.Context, g *globals, b *config.Binder) (*runtime, error) {
	cfg, err := b.Load(nil)
	if err != nil {
		return nil, err
	}
	log, err := newLogger(cfg, g.stderr)
	if err != nil {
		return nil, err
	}
	r := &runtime{cfg: cfg, log: log, metrics: metrics.New()}
	// Before anything that traces is built (OTEL_EXPORTER_OTLP_ENDPOINT).
	if r.stopTracing, err = telemetry.Setup(ctx, "herald"); err != nil {
		return nil, err
	}
	if telemetry.Provider() != nil {
		log.Info("tracing: exporting spans over OTLP")
	}
	if r.store, err = openStore(ctx, cfg); err != nil {
		return nil, err
	}
	if applied, err := schema.Migrate(ctx, r.store.DB()); err != nil {
		r.close()
		return nil, err
	} else if len(applied) > 0 {
		log.Info("applied migrations", "versions", applied)
	}
	if err := secureSecrets(ctx, r.store, cfg, log); err != nil {
		r.close()
		return nil, err
	}
	if err := checkRetentionInForce(ctx, r.store, cfg); err != nil {
		r.close()
		return nil, err
	}
	if r.temporal, err = temporalclient.Dial(ctx, cfg, log, r.metrics.Temporal()); err != nil {
		r.close()
		return nil, err
	}
	return r, nil
}

// checkRetentionInForce refuses a retention shorter than an integration's
// own retry schedule (config.Validate checked the default one).
func checkRetentionInForce(ctx context.Context, st *store.Store, cfg *config.Config) error {
	overrides, err := st.RetryOverrides(ctx)
	if err != nil {
		return err
	}
	for _, o := range overrides {
		p, err := o.Retry.V.Apply(cfg.Retry)
		if err != nil {
			continue // stored valid under the defaults of its day; its deliveries use what they were planned with
		}
		if err := config.CheckRetention(cfg.Retention, fmt.Sprintf("the retry schedule of integration %s (%s)", o.ID, o.Name), p); err != nil {
			return err
		}
	}
	return nil
}

// runGateway serves until ctx ends, then drains in-flight requests.
func (r *runtime) runGateway(ctx context.Context) error {
	if err := r.cfg.CheckMetricsExposure(); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", r.cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", r.cfg.Listen, err)
	}
	srv, err := gateway.New(r.cfg, r.store, r.temporal, r.log, r.metrics)
	if err != nil {
		return err
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	r.log.Info("gateway listening", "url", "http://"+ln.Addr().String())
	select {
	case err := <-errc:
		return fmt.Errorf("gateway: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

// runWorker polls the task queue until ctx ends.
func (r *runtime) runWorker(ctx context.Context) error {
	acts := activities.New(r.cfg, r.store, r.temporal)
	acts.Metrics = r.metrics
	if r.cfg.WorkflowCacheSize > 0 {
		sdkworker.SetStickyWorkflowCacheSize(r.cfg.WorkflowCacheSize)
	}
	w := worker.New(r.temporal, acts, worker.Options{TaskQueue: r.cfg.TaskQueue,
		MaxConcurrentActivities: r.cfg.WorkerMaxActivities, MaxConcurrentWorkflowTasks: r.cfg.WorkerMaxWorkflowTasks,
		ActivityPollers: r.cfg.WorkerActivityPollers, WorkflowPollers: r.cfg.WorkerWorkflowPollers,
		// An attempt takes at most the attempt timeout: let the in-flight ones finish.
		StopTimeout: r.cfg.AttemptTimeout + 5*time.Second})
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	if err := contract.EnsureRetentionSchedule(ctx, r.temporal, r.cfg.TaskQueue,
		contract.RetentionInput{Retention: r.cfg.Retention, AuditRetention: r.cfg.AuditRetention}); err != nil {
		// Deliveries do not depend on it: say so and go on.
		r.log.Warn("retention schedule", "error", err)
	}
	r.log.Info("worker polling", "taskQueue", r.cfg.TaskQueue, "namespace", r.cfg.TemporalNamespace)
	<-ctx.Done()
	w.Stop()
	return nil
}

// serveMetrics exposes /metrics on its own listener, apart from the
// gateway's public one (which serves it only with HERALD_METRICS_TOKEN).
func (r *runtime) serveMetrics(ctx context.Context) error {
	if r.cfg.MetricsListen == "" {
		return nil
	}
	if r.cfg.MetricsToken == "" && config.ListensOnEveryInterface(r.cfg.MetricsListen) {
		r.log.Warn("metrics: /metrics answers anyone who reaches " + r.cfg.MetricsListen + "; keep that port off public networks, or set HERALD_METRICS_TOKEN")
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", r.metrics.Handler(r.cfg.MetricsToken))
	// Liveness for container health checks, which need no metrics token.
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	// Profiles, for benchmarks and incidents (the listener is loopback by default).
	mux.Handle("/debug/pprof/", metrics.RequireToken(r.cfg.MetricsToken, http.HandlerFunc(pprof.Index)))
	mux.Handle("/debug/pprof/profile", metrics.RequireToken(r.cfg.MetricsToken, http.HandlerFunc(pprof.Profile)))
	srv := &http.Server{Addr: r.cfg.MetricsListen, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	ln, err := net.Listen("tcp", r.cfg.MetricsListen)
	if err != nil {
		return fmt.Errorf("metrics listener on %s: %w", r.cfg.MetricsListen, err)
	}
	go func() { _ = srv.Serve(ln) }()
	r.log.Info("metrics listening", "url", "http://"+ln.Addr().String()+"/metrics")
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	return nil
}

const serverGroups = config.GroupDatabase | config.GroupTemporal | config.GroupGateway | config.GroupDelivery

// newServerCmd builds a long-running command: it loads the configuration,
// connects and migrates, then runs until interrupted.
func newServerCmd(g *globals, use, short string, cfg config.Config, run func(*runtime, context.Context) error) *cobra.Command {
	cmd := &cobra.Command{Use: use, Short: short, Args: cobra.NoArgs}
	b := config.Bind(cmd.Flags(), &cfg, serverGroups)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		r, err := openRuntime(cmd.Context(), g, b)
		if err != nil {
			return err
		}
		defer r.close()
		if err := r.serveMetrics(cmd.Context()); err != nil {
			return err
		}
		return run(r, cmd.Context())
	}
	return cmd
}

func newServeCmd(g *globals) *cobra.Command {
	return newServerCmd(g, "serve", "Run the HTTP gateway (event ingestion and management API), and with --with-worker a worker beside it",
		config.Defaults(), func(r *runtime, ctx context.Context) error {
			if !r.cfg.WithWorker {
				return r.runGateway(ctx)
			}
			return r.runGatewayAndWorker(ctx)
		})
}

func newWorkerCmd(g *globals) *cobra.Command {
	return newServerCmd(g, "worker", "Run a Temporal worker that executes event workflows and deliveries",
		config.Defaults(), (*runtime).runWorker)
}

func newDevCmd(g *globals) *cobra.Command {
	cfg := config.Defaults()
	// Development receivers usually run on this machine.
	cfg.AllowPrivateDestinations = "true"
	cfg.WithWorker = true
	return newServerCmd(g, "dev", "Run the gateway and a worker in one process, for development", cfg,
		(*runtime).runGatewayAndWorker)
}

// runGatewayAndWorker runs both on one Temporal client, so that new events
// start eagerly on this process's worker (config.StartsEagerly), until ctx
// ends or either stops.
func (r *runtime) runGatewayAndWorker(ctx context.Context) error {
	r.cfg.WithWorker = true
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 2)
	go func() { errc <- r.runWorker(ctx) }()
	go func() { errc <- r.runGateway(ctx) }()
	err := <-errc
	cancel()
	return errors.Join(err, <-errc)
}

func newMigrateCmd(g *globals) *cobra.Command {
	cfg := config.Defaults()
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Create the database if missing and apply the migrations",
		Args:  cobra.NoArgs,
	}
	b := config.Bind(cmd.Flags(), &cfg, config.GroupDatabase)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		c, err := b.Load(nil)
		if err != nil {
			return err
		}
		created, err := schema.EnsureDatabase(cmd.Context(), c.DatabaseURL)
		if err != nil {
			return err
		}
		if created && g.output != "json" {
			fmt.Fprintln(g.stdout, "created the database")
		}
		st, err := openStore(cmd.Context(), c)
		if err != nil {
			return err
		}
		defer st.Close()
		applied, err := schema.Migrate(cmd.Context(), st.DB())
		if err != nil {
			return err
		}
		if applied == nil {
			applied = []int{}
		}
		if g.output == "json" {
			return printJSON(g.stdout, map[string]any{"createdDatabase": created, "applied": applied})
		}
		if len(applied) == 0 {
			fmt.Fprintln(g.stdout, "database is up to date")
			return nil
		}
		fmt.Fprintf(g.stdout, "applied migrations %v\n", applied)
		return nil
	}
	return cmd
}
