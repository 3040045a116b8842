package chaos

import (
	"context"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Answer is what a flapping receiver did with one request.
type Answer string

const (
	AnswerOK        Answer = "200"
	AnswerError     Answer = "500"
	AnswerThrottled Answer = "429"
	// AnswerHang holds the request until the sender gives up.
	AnswerHang Answer = "hang"
	// AnswerReset drops the connection with a TCP reset.
	AnswerReset Answer = "reset"
)

// answered is what the sender saw of an answer: a status, or none at all.
func (a Answer) answered() string {
	switch a {
	case AnswerHang, AnswerReset:
		return "none"
	}
	return string(a)
}

// Mix is how often a receiver answers each way, in percent; the rest is 200.
type Mix struct {
	Error, Throttled, Hang, Reset int
}

// DefaultMix flaps on about one request in three.
var DefaultMix = Mix{Error: 10, Throttled: 8, Hang: 6, Reset: 6}

// Request is one request a receiver got and how it answered.
type Request struct {
	DeliveryID  string
	Integration int
	Answer      Answer
	At          time.Time
}

// Receiver is a real HTTP endpoint for several integrations (one path each)
// that answers with a random Mix and records every request by webhook-id.
type Receiver struct {
	srv  *http.Server
	ln   net.Listener
	mix  Mix
	stop chan struct{}

	mu   sync.Mutex
	rnd  *rand.Rand
	reqs []Request
}

// NewReceiver listens on a free loopback port. seed makes the answers repeatable.
func NewReceiver(mix Mix, seed uint64) (*Receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &Receiver{ln: ln, mix: mix, stop: make(chan struct{}), rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	r.srv = &http.Server{Handler: http.HandlerFunc(r.serve), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = r.srv.Serve(ln) }()
	return r, nil
}

// URL is the endpoint of integration i.
func (r *Receiver) URL(i int) string { return "http://" + r.ln.Addr().String() + "/" + strconv.Itoa(i) }

// Close stops the receiver, releasing any hanging request.
func (r *Receiver) Close() {
	close(r.stop)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = r.srv.Shutdown(ctx)
}

// Requests returns a copy of every request so far.
func (r *Receiver) Requests() []Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Request(nil), r.reqs...)
}

func (r *Receiver) pick() Answer {
	n := r.rnd.IntN(100)
	for _, c := range []struct {
		pct int
		a   Answer
	}{{r.mix.Error, AnswerError}, {r.mix.Throttled, AnswerThrottled}, {r.mix.Hang, AnswerHang}, {r.mix.Reset, AnswerReset}} {
		if n < c.pct {
			return c.a
		}
		n -= c.pct
	}
	return AnswerOK
}

func (r *Receiver) serve(w http.ResponseWriter, req *http.Request) {
	_, _ = io.Copy(io.Discard, req.Body)
	integration, _ := strconv.Atoi(strings.TrimPrefix(req.URL.Path, "/"))
	r.mu.Lock()
	a := r.pick()
	r.reqs = append(r.reqs, Request{DeliveryID: req.Header.Get("webhook-id"), Integration: integration, Answer: a, At: time.Now()})
	r.mu.Unlock()
	switch a {
	case AnswerOK:
		_, _ = io.WriteString(w, "ok")
	case AnswerError:
		http.Error(w, "flapping", http.StatusInternalServerError)
	case AnswerThrottled:
		w.Header().Set("Retry-After", "1")
		http.Error(w, "slow down", http.StatusTooManyRequests)
	case AnswerHang:
		// Until the sender's attempt timeout closes the connection.
		select {
		case <-req.Context().Done():
		case <-r.stop:
		case <-time.After(5 * time.Minute):
		}
	case AnswerReset:
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				if tc, ok := conn.(*net.TCPConn); ok {
					_ = tc.SetLinger(0) // close with RST, not FIN
				}
				_ = conn.Close()
			}
		}
	}
}
