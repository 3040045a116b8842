package testenv

import (
	"crypto/tls"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// Reply is one scripted answer of a Receiver.
type Reply struct {
	Status int
	Body   string
	Header map[string]string
}

// Received is one request a Receiver got.
type Received struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
	At     time.Time
	// ClientCert is the common name of the client certificate presented
	// over TLS ("": none, or plain HTTP).
	ClientCert string
}

// Receiver is a real HTTP endpoint that answers with a script (then the default)
// and records every request.
type Receiver struct {
	*httptest.Server
	mu     sync.Mutex
	script []Reply
	// fallback answers once the script is used up.
	fallback Reply
	reqs     []Received
	// Clock stamps Received.At (time.Now unless a test sets it, e.g. to a test
	// environment's mock clock).
	Clock func() time.Time
}

// NewReceiver starts a receiver answering the script in order, then 200 "ok".
func NewReceiver(t testing.TB, script ...Reply) *Receiver {
	r := &Receiver{script: script, fallback: Reply{Status: 200, Body: "ok"}, Clock: time.Now}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.Close)
	return r
}

// NewTLSReceiver is NewReceiver over TLS with cfg (its certificate, and the
// client certificates it requires).
func NewTLSReceiver(t testing.TB, cfg *tls.Config, script ...Reply) *Receiver {
	r := &Receiver{script: script, fallback: Reply{Status: 200, Body: "ok"}, Clock: time.Now}
	r.Server = httptest.NewUnstartedServer(http.HandlerFunc(r.serve))
	r.Server.TLS = cfg
	// Refused handshakes are what some tests make: not noise for the log.
	r.Server.Config.ErrorLog = log.New(io.Discard, "", 0)
	r.Server.StartTLS()
	t.Cleanup(r.Close)
	return r
}

func (r *Receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	got := Received{Method: req.Method, Path: req.URL.Path, Header: req.Header.Clone(), Body: body, At: r.Clock()}
	if req.TLS != nil && len(req.TLS.PeerCertificates) > 0 {
		got.ClientCert = req.TLS.PeerCertificates[0].Subject.CommonName
	}
	r.mu.Lock()
	r.reqs = append(r.reqs, got)
	reply := r.fallback
	if len(r.script) > 0 {
		reply, r.script = r.script[0], r.script[1:]
	}
	r.mu.Unlock()
	for k, v := range reply.Header {
		w.Header().Set(k, v)
	}
	w.WriteHeader(reply.Status)
	_, _ = io.WriteString(w, reply.Body)
}

// Requests returns a copy of what arrived so far.
func (r *Receiver) Requests() []Received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Received(nil), r.reqs...)
}

// SetDefault sets the answer given once the script is used up.
func (r *Receiver) SetDefault(reply Reply) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fallback = reply
}
