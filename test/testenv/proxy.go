package testenv

import (
	"io"
	"net"
	"sync"
	"testing"
)

// Fault is what a Proxy does to the traffic it carries.
type Fault int

const (
	// Pass forwards everything.
	Pass Fault = iota
	// Freeze holds every byte in both directions on every connection, old and
	// new, until the fault is lifted: a peer that hangs.
	Freeze
	// Refuse closes every connection and every new one at once: a peer that is down.
	Refuse
)

// Proxy is a TCP proxy in front of a real server (Postgres, Temporal) that a
// test can freeze or cut and then heal, to see what the client side does.
type Proxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	cond  *sync.Cond
	fault Fault
	conns map[net.Conn]struct{}
	// held counts the chunks waiting for a Freeze to lift.
	held int
}

// Held is how many chunks of traffic a Freeze holds now: a test waits for
// one to know a request is in flight and stuck.
func (p *Proxy) Held() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.held
}

// NewProxy listens on a free loopback port and forwards to target.
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	p.cond = sync.NewCond(&p.mu)
	go p.accept()
	t.Cleanup(p.Close)
	return p
}

// Addr is where clients connect instead of the target.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Set changes the fault; Refuse also drops the connections already open.
func (p *Proxy) Set(f Fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fault = f
	if f == Refuse {
		for c := range p.conns {
			_ = c.Close()
		}
	}
	p.cond.Broadcast()
}

// Close stops the proxy and drops every connection.
func (p *Proxy) Close() {
	_ = p.ln.Close()
	p.Set(Refuse)
}

func (p *Proxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.serve(c)
	}
}

func (p *Proxy) serve(client net.Conn) {
	p.mu.Lock()
	refused := p.fault == Refuse
	p.mu.Unlock()
	if refused {
		_ = client.Close()
		return
	}
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		_ = client.Close()
		return
	}
	if !p.track(client, server) {
		return
	}
	done := make(chan struct{}, 2)
	go func() { p.pipe(server, client); done <- struct{}{} }()
	go func() { p.pipe(client, server); done <- struct{}{} }()
	<-done
	_ = client.Close()
	_ = server.Close()
	<-done
	p.mu.Lock()
	delete(p.conns, client)
	delete(p.conns, server)
	p.mu.Unlock()
}

// track registers both ends unless the proxy started refusing meanwhile.
func (p *Proxy) track(conns ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fault == Refuse {
		for _, c := range conns {
			_ = c.Close()
		}
		return false
	}
	for _, c := range conns {
		p.conns[c] = struct{}{}
	}
	return true
}

// pipe copies src to dst, holding each chunk while the proxy is frozen.
func (p *Proxy) pipe(dst io.Writer, src io.Reader) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			for p.fault == Freeze {
				p.held++
				p.cond.Wait()
				p.held--
			}
			refused := p.fault == Refuse
			p.mu.Unlock()
			if refused {
				return
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
