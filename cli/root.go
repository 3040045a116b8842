// Package cli is the herald command line: servers (serve, worker, dev,
// migrate), bootstrap on the database (teams, keys) and client commands over
// the HTTP API.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/heraldhq/herald/internal/config"
)

// Execute runs the command line and returns the exit code.
func Execute() int {
	root := NewRoot(os.Stdout, os.Stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := root.ExecuteContext(ctx); err != nil {
		var ee exitError
		if errors.As(err, &ee) {
			return int(ee) // the command said why already
		}
		fmt.Fprintln(os.Stderr, "herald:", err)
		return 1
	}
	return 0
}

type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit %d", int(e)) }

// globals are the flags every command takes.
type globals struct {
	output string
	stdout io.Writer
	stderr io.Writer
}

// NewRoot builds the command tree writing to the given streams.
func NewRoot(stdout, stderr io.Writer) *cobra.Command {
	g := &globals{stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:           "herald",
		Short:         "Herald delivers platform events to Slack, Discord, Teams and signed webhooks",
		Version:       version(),
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			switch g.output {
			case "table", "json":
				return nil
			}
			return fmt.Errorf("--output %q: want table or json", g.output)
		},
	}
	root.SetVersionTemplate("herald {{.Version}}\n")
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentFlags().StringVarP(&g.output, "output", "o", "table", "output format: table or json")
	root.AddCommand(
		newServeCmd(g), newWorkerCmd(g), newDevCmd(g), newMigrateCmd(g),
		newTeamsCmd(g), newKeysCmd(g),
		newIntegrationsCmd(g), newEventsCmd(g), newDeliveriesCmd(g), newResendCmd(g), newReplayCmd(g), newAlertsCmd(g), newTemporalCmd(g), newHealthCmd(g), newBenchCmd(g), newSecretsCmd(g), newAuditCmd(g), newEventTypesCmd(g),
	)
	return root
}

// newLogger builds the process logger from the configuration.
func newLogger(cfg *config.Config, w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		return nil, fmt.Errorf("log level %q: want debug, info, warn or error", cfg.LogLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch strings.ToLower(cfg.LogFormat) {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text", "":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("log format %q: want text or json", cfg.LogFormat)
}

// discardLogger is for commands whose Temporal client should stay quiet.
func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
