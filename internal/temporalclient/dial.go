// Package temporalclient connects Herald to Temporal: address and namespace,
// TLS, mTLS or an API key, the payload codec bound to each workflow's team,
// and the SDK's metrics.
package temporalclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	temporalotel "go.temporal.io/sdk/contrib/opentelemetry"
	"log/slog"
	"net"
	"net/netip"
	"os"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"

	"github.com/heraldhq/herald/internal/codec"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/internal/telemetry"
)

// Dial connects to Temporal as the configuration says, with payload
// encryption when HERALD_PAYLOAD_KEY is set and the SDK's metrics reported to
// metrics (nil: none).
func Dial(ctx context.Context, cfg *config.Config, log *slog.Logger, metrics client.MetricsHandler) (client.Client, error) {
	dc, fc, _, err := codec.Converters(cfg.PayloadKey, contract.TeamOfWorkflowID)
	if err != nil {
		return nil, err
	}
	opts := client.Options{
		HostPort:         cfg.TemporalAddress,
		Namespace:        cfg.TemporalNamespace,
		Logger:           tlog.NewStructuredLogger(log.With("component", "temporal")),
		DataConverter:    dc,
		FailureConverter: fc,
		MetricsHandler:   metrics,
	}
	if err := security(cfg, &opts); err != nil {
		return nil, err
	}
	if !Compresses(cfg) {
		opts.ConnectionOptions.GrpcCompression = &client.GrpcCompressionNone{}
	}
	opts.ConnectionOptions.DialOptions = append(opts.ConnectionOptions.DialOptions, grpc.WithChainUnaryInterceptor(reportStarts))
	if tp := telemetry.Provider(); tp != nil {
		// Spans for the workflow start, the workflow and its activities,
		// their context carried in Temporal's headers (the worker built
		// from this client traces too).
		ti, err := temporalotel.NewTracingInterceptor(temporalotel.TracerOptions{
			Tracer: tp.Tracer("temporal-sdk-go"), TextMapPropagator: telemetry.Propagator})
		if err != nil {
			return nil, fmt.Errorf("temporal tracing: %w", err)
		}
		opts.Interceptors = append(opts.Interceptors, ti)
	}
	c, err := client.DialContext(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("connect to temporal at %s: %w", cfg.TemporalAddress, err)
	}
	return c, nil
}

// reportStarts passes Temporal's word on whether a start made a new run to
// the report the caller's context carries (contract.WithStartReport): a
// running run of the same id is used (started false), and a closed one
// answers "already started", which the SDK turns into the existing run
// without an error.
func reportStarts(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	err := invoker(ctx, method, req, reply, cc, opts...)
	r, ok := reply.(*workflowservice.StartWorkflowExecutionResponse)
	switch {
	case !ok:
	case err == nil && r.GetStarted():
		contract.ReportStart(ctx, contract.StartedNow)
	case err == nil:
		contract.ReportStart(ctx, contract.IDTaken)
	default:
		if _, taken := serviceerror.FromStatus(status.Convert(err)).(*serviceerror.WorkflowExecutionAlreadyStarted); taken {
			contract.ReportStart(ctx, contract.IDTaken)
		}
	}
	return err
}

// Compresses says whether requests to Temporal are gzipped: always with
// "gzip", never with "none", and with "auto" only when the frontend is not on
// a loopback address. Over loopback compression buys nothing and costs CPU on
// both ends, which on one machine is what bounds throughput (BENCHMARKS.md).
func Compresses(cfg *config.Config) bool {
	switch cfg.TemporalCompression {
	case "gzip":
		return true
	case "none":
		return false
	}
	host, _, err := net.SplitHostPort(cfg.TemporalAddress)
	if err != nil {
		return true
	}
	if host == "localhost" {
		return false
	}
	ip, err := netip.ParseAddr(host)
	return err != nil || !ip.IsLoopback()
}

// security sets TLS, mTLS and API-key credentials from the configuration.
func security(cfg *config.Config, opts *client.Options) error {
	if !cfg.TemporalTLS && cfg.TemporalAPIKey == "" && cfg.TemporalCert == "" {
		return nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: cfg.TemporalServerName}
	if cfg.TemporalCA != "" {
		pem, err := os.ReadFile(cfg.TemporalCA)
		if err != nil {
			return fmt.Errorf("temporal CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return fmt.Errorf("temporal CA %s holds no PEM certificate", cfg.TemporalCA)
		}
		tc.RootCAs = pool
	}
	if cfg.TemporalCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TemporalCert, cfg.TemporalKey)
		if err != nil {
			return fmt.Errorf("temporal client certificate: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	opts.ConnectionOptions.TLS = tc
	if cfg.TemporalAPIKey != "" {
		opts.Credentials = client.NewAPIKeyStaticCredentials(cfg.TemporalAPIKey)
	}
	return nil
}
