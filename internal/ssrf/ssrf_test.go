package ssrf

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"testing"
)

func TestRefusedRanges(t *testing.T) {
	refusedAddrs := []string{
		"127.0.0.1", "127.255.255.254", "10.0.0.1", "10.255.255.255", "172.16.0.1", "172.31.255.255",
		"192.168.1.1", "169.254.169.254", "169.254.0.1", "100.64.0.1", "100.127.255.255", "0.0.0.0", "0.1.2.3",
		"224.0.0.1", "239.255.255.250", "255.255.255.255", "240.0.0.1", "198.18.0.1", "192.0.0.8",
		"::1", "::", "fc00::1", "fd12:3456::1", "fe80::1", "ff02::1",
		// IPv4-mapped IPv6 forms and NAT64-embedded forms of refused addresses.
		"::ffff:127.0.0.1", "::ffff:10.1.2.3", "::ffff:169.254.169.254", "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe",
		// IPv4-compatible, IPv4-translated (SIIT), local-use NAT64, 6to4 of a
		// private address, site-local, Teredo, documentation, discard.
		"::127.0.0.1", "::10.0.0.1", "::ffff:0:127.0.0.1", "::ffff:0:a9fe:a9fe", "64:ff9b:1::7f00:1", "64:ff9b:1:ffff::1",
		"2002:7f00:1::", "2002:a00:1::1", "2002:a9fe:a9fe::", "fec0::1", "feff::1", "2001:0:4136:e378:8000:63bf:3fff:fdd2",
		"2001:db8::1", "100::1",
	}
	var p Policy
	for _, s := range refusedAddrs {
		err := p.Check("h", netip.MustParseAddr(s), 443)
		var re *RefusedError
		if !errors.As(err, &re) || re.Reason == "" {
			t.Errorf("%s: %v, want refused", s, err)
		}
	}
	for _, s := range []string{"8.8.8.8", "1.1.1.1", "203.0.113.7", "172.32.0.1", "100.128.0.1", "2606:4700::1111", "::ffff:8.8.8.8", "2002:808:808::1", "64:ff9b::808:808"} {
		if err := p.Check("h", netip.MustParseAddr(s), 443); err != nil {
			t.Errorf("%s: %v, want allowed", s, err)
		}
	}
}

func TestPolicyParsingAndAllowList(t *testing.T) {
	p, err := ParsePolicy("10.1.0.0/16, 127.0.0.2")
	if err != nil {
		t.Fatal(err)
	}
	if p.Check("h", netip.MustParseAddr("10.1.2.3"), 80) != nil || p.Check("h", netip.MustParseAddr("127.0.0.2"), 80) != nil {
		t.Error("allowed CIDRs refused")
	}
	if p.Check("h", netip.MustParseAddr("10.2.0.1"), 80) == nil || p.Check("h", netip.MustParseAddr("127.0.0.1"), 80) == nil {
		t.Error("addresses outside the allowed CIDRs let through")
	}
	if all, _ := ParsePolicy("true"); !all.AllowAll {
		t.Error("true")
	}
	if none, _ := ParsePolicy(""); none.AllowAll || len(none.Allowed) != 0 {
		t.Error("empty")
	}
	if _, err := ParsePolicy("yes please"); err == nil {
		t.Error("garbage accepted")
	}
	// The gateway's own listener is refused even when everything else is allowed.
	self := Policy{AllowAll: true, Self: []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:8080")}}
	if self.Check("h", netip.MustParseAddr("127.0.0.1"), 8080) == nil {
		t.Error("the gateway's own listener is reachable")
	}
	if self.Check("h", netip.MustParseAddr("127.0.0.1"), 9000) != nil {
		t.Error("another local port refused under AllowAll")
	}
	any := Policy{AllowAll: true, Self: []netip.AddrPort{netip.MustParseAddrPort("0.0.0.0:8080")}}
	if any.Check("h", netip.MustParseAddr("127.0.0.1"), 8080) == nil {
		t.Error("a gateway on 0.0.0.0 is reachable through loopback")
	}
}

// The unspecified addresses reach this machine: a listener of Herald's on
// loopback is refused through each of their forms, as a literal host and as
// what a name resolves to.
func TestSelfThroughTheUnspecifiedAddress(t *testing.T) {
	self := Policy{AllowAll: true, Self: []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:8080"), netip.MustParseAddrPort("[::1]:7233")}}
	for _, h := range []string{"0.0.0.0", "0.1.2.3", "[::]", "[::ffff:0.0.0.0]", "[::ffff:127.0.0.1]", "127.0.0.2", "[0:0:0:0:0:0:0:0]"} {
		if err := self.CheckHost(h, 8080); err == nil {
			t.Errorf("%s:8080 reaches the gateway", h)
		}
		if err := self.CheckHost(h, 7233); err == nil {
			t.Errorf("%s:7233 reaches Temporal", h)
		}
		if err := self.CheckHost(h, 9000); err != nil {
			t.Errorf("%s:9000, a receiver's port, refused: %v", h, err)
		}
	}
	for _, a := range []string{"0.0.0.0", "::", "::ffff:0.0.0.0"} {
		if self.Check("resolves.example", netip.MustParseAddr(a), 8080) == nil {
			t.Errorf("a name resolving to %s reaches the gateway", a)
		}
	}
}

func TestOddNumericHosts(t *testing.T) {
	var p Policy
	for _, h := range []string{"2130706433", "0177.0.0.1", "0x7f.0.0.1", "0x7f000001", "127.1", "017700000001", "10.1"} {
		if err := p.CheckHost(h, 80); err == nil {
			t.Errorf("%s accepted", h)
		}
	}
	for _, h := range []string{"example.com", "8.8.8.8", "1password.com", "123.example"} {
		if err := p.CheckHost(h, 80); err != nil {
			t.Errorf("%s: %v", h, err)
		}
	}
}

// rebinding answers a public address first and loopback afterwards.
type rebinding struct{ calls int }

func (r *rebinding) LookupNetIP(context.Context, string, string) ([]netip.Addr, error) {
	r.calls++
	if r.calls == 1 {
		return []netip.Addr{netip.MustParseAddr("203.0.113.7")}, nil
	}
	return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
}

func TestDialerChecksTheAddressItDials(t *testing.T) {
	hit := make(chan struct{}, 1)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		if c, err := ln.Accept(); err == nil {
			hit <- struct{}{}
			c.Close()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	r := &rebinding{calls: 1} // the "creation check" already saw the public answer
	d := &Dialer{Resolver: r}
	for _, target := range []string{"rebind.example", "127.0.0.1", "::ffff:127.0.0.1", "2130706433", "localhost",
		"::127.0.0.1", "::ffff:0:127.0.0.1", "64:ff9b:1::7f00:1", "2002:7f00:1::", "fec0::1", "１２７.０.０.１"} {
		_, err := d.DialContext(context.Background(), "tcp", net.JoinHostPort(target, strconv.Itoa(port)))
		var re *RefusedError
		if !errors.As(err, &re) {
			t.Errorf("%s: %v, want refused", target, err)
		}
	}
	select {
	case <-hit:
		t.Error("a refused dial reached the loopback listener")
	default:
	}
}

// FuzzCheckHost: no host panics the guard, and a literal in a refused range is refused.
func FuzzCheckHost(f *testing.F) {
	for _, h := range []string{"127.0.0.1", "::ffff:10.0.0.1", "2130706433", "0x7f.1", "example.com", "[::1]", "", "1.2.3.4.5", "fe80::1%eth0"} {
		f.Add(h)
	}
	f.Fuzz(func(t *testing.T, host string) {
		var p Policy
		err := p.CheckHost(host, 443)
		if a, perr := netip.ParseAddr(host); perr == nil && a.Unmap().IsLoopback() && err == nil {
			t.Fatalf("loopback %q let through", host)
		}
	})
}
