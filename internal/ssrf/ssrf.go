// Package ssrf keeps deliveries away from the network Herald runs in. Every
// connection is checked at connect time, on the address actually dialled
// (so a DNS answer that changes between a check and the dial cannot slip
// through), against loopback, private, link-local, CGNAT, unique-local,
// multicast and unspecified ranges, in their IPv4-mapped forms too.
package ssrf

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// RefusedError is a destination the policy does not allow.
type RefusedError struct {
	Host   string
	Addr   netip.Addr
	Reason string
}

func (e *RefusedError) Error() string {
	if e.Addr.IsValid() {
		return fmt.Sprintf("destination %s refused: %s is %s", e.Host, e.Addr, e.Reason)
	}
	return fmt.Sprintf("destination %s refused: %s", e.Host, e.Reason)
}

type blocked struct {
	prefix netip.Prefix
	reason string
}

// Refused ranges: RFC 6890 special-purpose blocks that reach the local
// network or nowhere.
var refused = []blocked{
	{netip.MustParsePrefix("0.0.0.0/8"), "an unspecified (\"this network\") address"},
	{netip.MustParsePrefix("10.0.0.0/8"), "a private (RFC 1918) address"},
	{netip.MustParsePrefix("100.64.0.0/10"), "a carrier-grade NAT address"},
	{netip.MustParsePrefix("127.0.0.0/8"), "a loopback address"},
	{netip.MustParsePrefix("169.254.0.0/16"), "a link-local address (cloud metadata lives there)"},
	{netip.MustParsePrefix("172.16.0.0/12"), "a private (RFC 1918) address"},
	{netip.MustParsePrefix("192.0.0.0/24"), "an IETF protocol assignment"},
	{netip.MustParsePrefix("192.168.0.0/16"), "a private (RFC 1918) address"},
	{netip.MustParsePrefix("198.18.0.0/15"), "a benchmarking address"},
	{netip.MustParsePrefix("224.0.0.0/4"), "a multicast address"},
	{netip.MustParsePrefix("240.0.0.0/4"), "a reserved address"},
	{netip.MustParsePrefix("::/128"), "the unspecified address"},
	{netip.MustParsePrefix("::1/128"), "a loopback address"},
	{netip.MustParsePrefix("::/96"), "an IPv4-compatible address (deprecated by RFC 4291)"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "a local-use NAT64 address (RFC 8215)"},
	{netip.MustParsePrefix("100::/64"), "a discard-only address"},
	{netip.MustParsePrefix("2001::/32"), "a Teredo address (it hides an IPv4 address)"},
	{netip.MustParsePrefix("2001:db8::/32"), "a documentation address"},
	{netip.MustParsePrefix("fc00::/7"), "a unique-local (private) address"},
	{netip.MustParsePrefix("fe80::/10"), "a link-local address"},
	{netip.MustParsePrefix("fec0::/10"), "a site-local address (deprecated, private)"},
	{netip.MustParsePrefix("ff00::/8"), "a multicast address"},
}

// IPv6 forms that carry an IPv4 address, which is checked as well: NAT64's
// well-known prefix (RFC 6052) and SIIT's IPv4-translated form (RFC 2765)
// hold it in the last 32 bits, 6to4 (RFC 3056) in bits 16 to 47.
var (
	nat64      = netip.MustParsePrefix("64:ff9b::/96")
	translated = netip.MustParsePrefix("::ffff:0:0:0/96")
	sixToFour  = netip.MustParsePrefix("2002::/16")
)

// embeddedIPv4 is the IPv4 address an IPv6 address carries, if any.
func embeddedIPv4(a netip.Addr) (netip.Addr, bool) {
	if !a.Is6() {
		return netip.Addr{}, false
	}
	b := a.As16()
	switch {
	case nat64.Contains(a), translated.Contains(a):
		return netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}), true
	case sixToFour.Contains(a):
		return netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}), true
	}
	return netip.Addr{}, false
}

// Policy says which destinations deliveries may reach.
type Policy struct {
	// AllowAll turns the guard off (development, where receivers are local).
	AllowAll bool
	// Allowed are ranges let through although they are refused by default.
	Allowed []netip.Prefix
	// Self are addresses never reached even when allowed: Herald's own
	// listeners and the services it depends on (Temporal, Postgres).
	Self []netip.AddrPort
}

// ParsePolicy reads HERALD_ALLOW_PRIVATE_DESTINATIONS: "true", "false" (or
// empty), or a comma-separated list of CIDRs to allow.
func ParsePolicy(s string) (Policy, error) {
	s = strings.TrimSpace(s)
	if b, err := strconv.ParseBool(s); err == nil {
		return Policy{AllowAll: b}, nil
	}
	if s == "" {
		return Policy{}, nil
	}
	var p Policy
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		pfx, err := netip.ParsePrefix(part)
		if err != nil {
			addr, aerr := netip.ParseAddr(part)
			if aerr != nil {
				return Policy{}, fmt.Errorf("allowed destination %q: want true, false or CIDRs such as 10.1.0.0/16", part)
			}
			pfx = netip.PrefixFrom(addr, addr.BitLen())
		}
		p.Allowed = append(p.Allowed, pfx.Masked())
	}
	return p, nil
}

// Check says whether an address may be dialled on port.
func (p Policy) Check(host string, addr netip.Addr, port uint16) error {
	// Zones (fe80::1%eth0) would make every prefix test false: check the bare address.
	addr = addr.Unmap().WithZone("")
	for _, self := range p.Self {
		if self.Port() == port && sameHost(self.Addr().Unmap().WithZone(""), addr) {
			return &RefusedError{Host: host, Addr: addr, Reason: "one of Herald's own services (gateway, metrics, Temporal or Postgres)"}
		}
	}
	if p.AllowAll {
		return nil
	}
	check := addr
	if v4, ok := embeddedIPv4(addr); ok {
		check = v4
	}
	for _, a := range p.Allowed {
		if a.Contains(check) || a.Contains(addr) {
			return nil
		}
	}
	for _, b := range refused {
		if b.prefix.Contains(check) || b.prefix.Contains(addr) {
			return &RefusedError{Host: host, Addr: addr, Reason: b.reason}
		}
	}
	if check == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		return &RefusedError{Host: host, Addr: addr, Reason: "the broadcast address"}
	}
	return nil
}

// thisNetwork is 0.0.0.0/8: a connection to any of it (0.0.0.0 itself on
// Linux) reaches this machine.
var thisNetwork = netip.MustParsePrefix("0.0.0.0/8")

// sameHost says whether a connection to dest reaches the listener at self:
// the same address, or both this machine's (a listener on 127.0.0.1 is
// reached through 0.0.0.0, [::] and [::ffff:0.0.0.0]; one on 0.0.0.0
// through any address of this machine).
func sameHost(self, dest netip.Addr) bool {
	return self == dest || (onThisMachine(self) && onThisMachine(dest))
}

func onThisMachine(a netip.Addr) bool {
	return thisNetwork.Contains(a) || isLocal(a)
}

func isLocal(a netip.Addr) bool {
	if a.IsLoopback() || a.IsUnspecified() {
		return true
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return false
	}
	for _, ia := range addrs {
		if n, ok := ia.(*net.IPNet); ok {
			if ip, ok := netip.AddrFromSlice(n.IP); ok && ip.Unmap() == a {
				return true
			}
		}
	}
	return false
}

// oddNumeric matches hosts that some resolvers read as IPv4 addresses in
// decimal, octal or hex forms (2130706433, 0177.0.0.1, 0x7f.1): refused
// outright, since what they mean depends on who parses them.
var oddNumeric = regexp.MustCompile(`(?i)^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+)){0,3}\.?$`)

// CheckHost rejects hosts written as non-standard numeric addresses, and IP
// literals the policy refuses.
func (p Policy) CheckHost(host string, port uint16) error {
	h := strings.Trim(host, "[]")
	// What the HTTP client will dial: it maps a non-ASCII host through IDNA,
	// which turns fullwidth digits (１２７.０.０.１) into ASCII ones.
	if a, err := ASCIIHost(h); err != nil {
		return &RefusedError{Host: host, Reason: "a host name that is not valid IDNA: " + err.Error()}
	} else {
		h = a
	}
	if addr, err := netip.ParseAddr(h); err == nil {
		return p.Check(host, addr, port)
	}
	if oddNumeric.MatchString(h) {
		return &RefusedError{Host: host, Reason: "a numeric address in a non-standard form"}
	}
	return nil
}

// ASCIIHost is host as Go's HTTP client dials it: non-ASCII names mapped
// through IDNA's lookup profile, as net/http does.
func ASCIIHost(host string) (string, error) {
	for i := 0; i < len(host); i++ {
		if host[i] >= utf8.RuneSelf {
			return idna.Lookup.ToASCII(host)
		}
	}
	return host, nil
}

// Resolver looks hosts up (net.DefaultResolver, or a test's own).
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Dialer dials only addresses the policy allows.
type Dialer struct {
	Policy   Policy
	Resolver Resolver
	Timeout  time.Duration
}

// DialContext resolves addr's host once, refuses the connection if any answer
// is not allowed, and dials the checked address itself; the socket is checked
// again just before connect.
func (d *Dialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, portStr, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("port %q: %w", portStr, err)
	}
	if err := d.Policy.CheckHost(host, uint16(port)); err != nil {
		return nil, err
	}
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		addrs = []netip.Addr{a}
	} else {
		r := d.Resolver
		if r == nil {
			r = net.DefaultResolver
		}
		if addrs, err = r.LookupNetIP(ctx, "ip", host); err != nil {
			return nil, fmt.Errorf("resolve %s: %w", host, err)
		}
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("resolve %s: no addresses", host)
	}
	for _, a := range addrs {
		if err := d.Policy.Check(host, a, uint16(port)); err != nil {
			return nil, err
		}
	}
	nd := &net.Dialer{Timeout: d.Timeout, KeepAlive: 30 * time.Second, Control: d.control(host)}
	var firstErr error
	for _, a := range addrs {
		conn, err := nd.DialContext(ctx, network, netip.AddrPortFrom(a, uint16(port)).String())
		if err == nil {
			return conn, nil
		}
		if firstErr == nil {
			firstErr = err
		}
		var refusedErr *RefusedError
		if errors.As(err, &refusedErr) {
			return nil, err
		}
	}
	return nil, firstErr
}

// control re-checks the exact address the socket connects to.
func (d *Dialer) control(host string) func(network, address string, _ syscall.RawConn) error {
	return func(_, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return &RefusedError{Host: host, Reason: "an address that does not parse: " + address}
		}
		return d.Policy.Check(host, ap.Addr(), ap.Port())
	}
}
