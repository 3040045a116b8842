package channels

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/ssrf"
	"github.com/heraldhq/herald/internal/telemetry"
)

// SenderOptions tune the HTTP client that makes delivery attempts.
type SenderOptions struct {
	// Timeout bounds one attempt end to end (connect, TLS, request, response body).
	Timeout time.Duration
	// ConnectTimeout bounds the TCP connect.
	ConnectTimeout time.Duration
	// BodyLimit is how many bytes of each response body are kept.
	BodyLimit int
	// DialContext replaces the dialer (the SSRF guard plugs in here).
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// Tracer, when set, gives each request a client span and sends its W3C
	// traceparent, so the receiver's spans join the event's trace.
	Tracer trace.TracerProvider
}

// Sender makes one HTTP attempt at a time and never follows redirects.
type Sender struct {
	client    *http.Client
	bodyLimit int
	// mtls holds one client per client certificate (mutual TLS): a
	// transport's TLS configuration is fixed, and its pooled connections
	// were made with that certificate.
	mtls *clientCache
}

// NewSender builds a Sender.
func NewSender(o SenderOptions) *Sender {
	dial := o.DialContext
	if dial == nil {
		dial = (&net.Dialer{Timeout: o.ConnectTimeout, KeepAlive: 30 * time.Second}).DialContext
	}
	tr := &http.Transport{
		Proxy:                 nil, // deliveries go straight to the receiver
		DialContext:           dial,
		TLSHandshakeTimeout:   o.ConnectTimeout,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
		ForceAttemptHTTP2:     true,
	}
	client := func(tr *http.Transport) *http.Client {
		var rt http.RoundTripper = tr
		if o.Tracer != nil {
			rt = tracedTransport{next: tr, tracer: o.Tracer.Tracer(telemetry.ScopeName)}
		}
		return &http.Client{
			Transport: rt,
			Timeout:   o.Timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		}
	}
	return &Sender{
		client:    client(tr),
		bodyLimit: o.BodyLimit,
		mtls: newClientCache(maxTLSClients, func(cfg *tls.Config) *http.Client {
			t := tr.Clone()
			t.TLSClientConfig = cfg
			t.MaxIdleConnsPerHost = 4
			return client(t)
		}),
	}
}

// maxTLSClients bounds the clients kept for client certificates: beyond it
// the least recently used one is closed (its next attempt builds it again).
const maxTLSClients = 256

// HTTPClient is the client that sends requests with these TLS settings (nil:
// none): the shared one, or the one of this client certificate.
func (s *Sender) HTTPClient(t *ClientTLS) (*http.Client, error) {
	if t == nil {
		return s.client, nil
	}
	return s.mtls.get(t)
}

// Exchange is one attempt: what was sent and what came back (or why nothing did).
type Exchange struct {
	Started       time.Time
	Duration      time.Duration
	Response      *Response
	BodyTruncated bool
	// Err is the transport failure, already stripped of the request URL.
	Err error
}

// Send makes the request once.
func (s *Sender) Send(ctx context.Context, r *Request) Exchange {
	ex := Exchange{Started: time.Now()}
	req, err := http.NewRequestWithContext(ctx, r.Method, r.URL, bytes.NewReader(r.Body))
	if err != nil {
		ex.Err = fmt.Errorf("build request: %w", stripURL(err))
		return ex
	}
	req.Header = r.Header.Clone()
	client, err := s.HTTPClient(r.TLS)
	if err != nil {
		ex.Err = fmt.Errorf("client certificate: %w", err)
		return ex
	}
	resp, err := client.Do(req)
	if err != nil {
		ex.Duration = time.Since(ex.Started)
		ex.Err = stripURL(err)
		return ex
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, int64(s.bodyLimit)+1))
	ex.Duration = time.Since(ex.Started)
	if len(body) > s.bodyLimit {
		body, ex.BodyTruncated = body[:s.bodyLimit], true
	}
	ex.Response = &Response{Status: resp.StatusCode, Header: resp.Header, Body: body}
	if err != nil && !ex.BodyTruncated {
		// The status arrived, so the receiver answered; a body cut short is noted, not fatal.
		ex.Response.Body = append(ex.Response.Body, []byte(fmt.Sprintf("\n[herald: reading the body failed: %v]", stripURL(err)))...)
	}
	return ex
}

// TransportResult classifies an attempt that got no answer: worth a retry,
// unless the destination itself is refused (SSRF guard), which no retry changes.
func TransportResult(err error) Result {
	var refused *ssrf.RefusedError
	if errors.As(err, &refused) {
		return Result{Outcome: herald.OutcomePermanent, Reason: "refused: " + refused.Error()}
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return Result{Outcome: herald.OutcomeRetry, Reason: "timeout: " + err.Error()}
	}
	return Result{Outcome: herald.OutcomeRetry, Reason: "connection error: " + err.Error()}
}

// stripURL drops the URL that net/http puts in its errors: a chat webhook URL is
// itself a secret, so it must not reach logs or workflow history.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}
