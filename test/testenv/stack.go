package testenv

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"

	"github.com/heraldhq/herald/activities"
	"github.com/heraldhq/herald/gateway"
	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/apiclient"
	"github.com/heraldhq/herald/internal/channels"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/contract"
	"github.com/heraldhq/herald/internal/keyring"
	"github.com/heraldhq/herald/internal/metrics"
	"github.com/heraldhq/herald/internal/ssrf"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/telemetry"
	"github.com/heraldhq/herald/internal/temporalclient"
	"github.com/heraldhq/herald/schema"
	"github.com/heraldhq/herald/worker"
)

func quietLogger() tlog.Logger {
	return tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
}

// SyncBuffer is a goroutine-safe log sink.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Stack is a running Herald: gateway over real HTTP and a worker, on the shared
// Temporal dev server and a database of its own.
type Stack struct {
	URL      string
	Config   *config.Config
	Store    *store.Store
	Temporal client.Client
	// Team and Key are a team created for the test and its ingest+manage key.
	Team string
	Key  string
	// Logs holds everything the gateway and worker logged (JSON lines).
	Logs *SyncBuffer
	// Gateway is the running gateway (its route table).
	Gateway *gateway.Server
	// worker is the stack's own worker (StopWorker).
	worker interface{ Stop() }
}

// StopWorker stops the stack's own worker, as a worker lost mid-work:
// what it was running is taken up by another (AddWorker) once Temporal
// sees it gone.
func (s *Stack) StopWorker() { s.worker.Stop() }

// AddWorker starts another worker on the stack's task queue, with its own
// Postgres pool and activities: two workers share only what two processes
// would (Postgres and the Temporal server).
func (s *Stack) AddWorker(t testing.TB) {
	t.Helper()
	st := openStore(t, s.Config)
	t.Cleanup(func() { st.Close() })
	acts := activities.New(s.Config, st, s.Temporal)
	w := worker.New(s.Temporal, acts, worker.Options{TaskQueue: s.Config.TaskQueue})
	if err := w.Start(); err != nil {
		t.Fatalf("start a second worker: %v", err)
	}
	t.Cleanup(w.Stop)
}

// NewStack starts a gateway and a worker with the defaults, a unique task
// queue and a fresh database, after applying each option to the config.
func NewStack(t testing.TB, opts ...func(*config.Config)) *Stack {
	t.Helper()
	return NewStackResolving(t, nil, opts...)
}

// NewStackResolving is NewStack with the gateway's URL checks and the
// worker's dialer resolving hosts through r (nil: the system's resolver).
func NewStackResolving(t testing.TB, r ssrf.Resolver, opts ...func(*config.Config)) *Stack {
	t.Helper()
	dev := DevServer(t)
	cfg := config.Defaults()
	cfg.DatabaseURL = NewDatabase(t)
	cfg.TemporalAddress = dev.FrontendHostPort()
	cfg.TaskQueue = "herald-test-" + randomHex(6)
	cfg.Listen = "127.0.0.1:0"
	cfg.AllowPrivateDestinations = "true"
	cfg.RateLimit = 0 // tests that want the limit set it
	// Secrets sealed at rest, as herald dev and the stack do.
	cfg.SecretKeys = TestSecretKeys
	// The gateway serves /metrics only behind a token (Scrape presents it).
	cfg.MetricsToken = TestMetricsToken
	// Gateway and worker share one client, as in herald dev: events start eagerly.
	cfg.WithWorker = true
	for _, o := range opts {
		o(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("config: %v", err)
	}
	// The gateway's listener first: its address is Herald's own, which no
	// delivery may reach (config.DestinationPolicy).
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Listen = ln.Addr().String()
	ctx := context.Background()
	st := openStore(t, &cfg)
	t.Cleanup(func() { st.Close() })
	if _, err := schema.Migrate(ctx, st.DB()); err != nil {
		t.Fatal(err)
	}
	logs := &SyncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	m := metrics.New()
	tc, err := temporalclient.Dial(ctx, &cfg, log, m.Temporal())
	if err != nil {
		t.Fatalf("dial temporal: %v", err)
	}
	t.Cleanup(tc.Close)

	acts := activities.New(&cfg, st, tc)
	acts.Metrics = m
	if r != nil {
		acts.Sender = channels.NewSender(channels.SenderOptions{
			Timeout: cfg.AttemptTimeout, ConnectTimeout: cfg.ConnectTimeout, BodyLimit: cfg.ResponseBodyLimit,
			DialContext: (&ssrf.Dialer{Policy: cfg.DestinationPolicy(), Resolver: r, Timeout: cfg.ConnectTimeout}).DialContext,
			Tracer:      telemetry.Provider(),
		})
		acts.Tokens = channels.NewTokens(acts.Sender, nil)
	}
	w := worker.New(tc, acts, worker.Options{TaskQueue: cfg.TaskQueue})
	if err := w.Start(); err != nil {
		t.Fatalf("start worker: %v", err)
	}
	t.Cleanup(w.Stop)

	gw, err := gateway.New(&cfg, st, tc, log, m)
	if err != nil {
		t.Fatal(err)
	}
	if r != nil {
		gw.SetResolver(r)
	}
	if _, isTest := t.(*testing.T); isTest {
		// Tests hold Herald to its document. Benchmarks measure Herald, not
		// the check; fuzzing sends what no client would (encoding/json's
		// case-insensitive field names among it) to find crashes.
		enforceContract(t, gw)
	}
	go func() { _ = gw.Serve(ln) }()
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = gw.Shutdown(sctx)
	})
	s := &Stack{URL: "http://" + ln.Addr().String(), Config: &cfg, Store: st, Temporal: tc, Logs: logs, Gateway: gw, worker: w}
	s.Team, s.Key = Team(t, st)
	return s
}

// TestMetricsToken is the metrics token of every test stack.
const TestMetricsToken = "test-metrics-token"

// Scrape reads the gateway's /metrics with the stack's metrics token.
func (s *Stack) Scrape(t testing.TB) string {
	t.Helper()
	r := s.Do(t, http.MethodGet, "/metrics", s.Config.MetricsToken, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("/metrics: %d %s", r.Status, r.Body)
	}
	return string(r.Body)
}

// TestSecretKeys is the secret key ring of every test stack.
var TestSecretKeys = "t1:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0x5e}, 32))

// openStore opens the stack's store with its secret key ring.
func openStore(t testing.TB, cfg *config.Config) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), cfg.DatabaseURL, cfg.DBMaxConns)
	if err != nil {
		t.Fatal(err)
	}
	st.LimitIntegrations(cfg.MaxIntegrations)
	if cfg.SecretKeys != "" {
		ring, err := keyring.Parse(cfg.SecretKeys, "secret key")
		if err != nil {
			t.Fatal(err)
		}
		st.UseSecretKeys(ring)
	}
	return st
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// Response is an HTTP answer read whole.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test if it cannot.
func (r Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %d answer %q: %v", r.Status, r.Body, err)
	}
}

// Do sends a request to the gateway with the given key ("" for none). body may
// be nil, a []byte/string sent as is, or a value encoded as JSON.
func (s *Stack) Do(t testing.TB, method, path, key string, body any, header ...string) Response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		enc, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(enc)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: data}
}

// CreateIntegration creates an integration through the API and returns it.
func (s *Stack) CreateIntegration(t testing.TB, body map[string]any) api.IntegrationView {
	t.Helper()
	v, err := s.API().CreateIntegration(context.Background(), wire[api.IntegrationRequest](t, body))
	if err != nil {
		t.Fatalf("create integration: %v", err)
	}
	return v
}

// wire is a test's body as the API's request type: a key the type lacks
// fails the test (it would be a typo the gateway refuses too).
func wire[T any](t testing.TB, body any) T {
	t.Helper()
	var out T
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&out); err != nil {
		t.Fatalf("the body %s is not a %T: %v", b, out, err)
	}
	return out
}

// PostEvent posts an event and returns the workflow id from the 202.
func (s *Stack) PostEvent(t testing.TB, body any) string {
	t.Helper()
	switch body.(type) {
	case string, []byte: // sent as it is
		r := s.Do(t, http.MethodPost, "/v1/events", s.Key, body)
		if r.Status != http.StatusAccepted {
			t.Fatalf("post event: %d %s", r.Status, r.Body)
		}
		var out struct{ WorkflowID string }
		r.JSON(t, &out)
		return out.WorkflowID
	}
	acc, err := s.API().SendEvent(context.Background(), wire[api.EventRequest](t, body))
	if err != nil {
		t.Fatalf("post event: %v", err)
	}
	return acc.WorkflowID
}

// AwaitWorkflow waits for an event workflow to finish and returns its result.
func (s *Stack) AwaitWorkflow(t testing.TB, workflowID string) contract.EventResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var res contract.EventResult
	if err := s.Temporal.GetWorkflow(ctx, workflowID, "").Get(ctx, &res); err != nil {
		t.Fatalf("workflow %s: %v", workflowID, err)
	}
	return res
}

// Delivery fetches a delivery with its attempts through the API.
func (s *Stack) Delivery(t testing.TB, id string) api.DeliveryView {
	t.Helper()
	v, err := s.API().GetDelivery(context.Background(), id)
	if err != nil {
		t.Fatalf("get delivery %s: %v", id, err)
	}
	return v
}

// API is the generated Go client (internal/apiclient) with the stack's key.
func (s *Stack) API() *apiclient.Client { return apiclient.New(s.URL, s.Key) }
