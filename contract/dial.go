package contract

import (
	"context"
	"fmt"
	"log/slog"

	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"

	"github.com/heraldhq/herald/codec"
	"github.com/heraldhq/herald/config"
)

// Dial connects to Temporal as the configuration says, with payload
// encryption when HERALD_PAYLOAD_KEY is set and the SDK's metrics reported to
// metrics (nil: none).
func Dial(ctx context.Context, cfg *config.Config, log *slog.Logger, metrics client.MetricsHandler) (client.Client, error) {
	dc, fc, _, err := codec.Converters(cfg.PayloadKey)
	if err != nil {
		return nil, err
	}
	c, err := client.DialContext(ctx, client.Options{
		HostPort:         cfg.TemporalAddress,
		Namespace:        cfg.TemporalNamespace,
		Logger:           tlog.NewStructuredLogger(log.With("component", "temporal")),
		DataConverter:    dc,
		FailureConverter: fc,
		MetricsHandler:   metrics,
	})
	if err != nil {
		return nil, fmt.Errorf("connect to temporal at %s: %w", cfg.TemporalAddress, err)
	}
	return c, nil
}
