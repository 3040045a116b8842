package channels

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"golang.org/x/net/http/httpguts"
)

// EndpointAuth is how a webhook receiver authenticates Herald beyond the
// signature: headers of its own, a client certificate (mutual TLS) and an
// OAuth 2.0 client-credentials token. Every field is a secret: the store
// seals the whole value at rest, views show only what identifies it, and
// stored attempts mask the headers it adds.
type EndpointAuth struct {
	Headers map[string]string `json:"headers,omitempty"`
	TLS     *ClientTLS        `json:"tls,omitempty"`
	OAuth2  *OAuth2           `json:"oauth2,omitempty"`
}

// ClientTLS is a client certificate and its key (PEM), and optionally the
// CAs (PEM) that alone are trusted for the endpoint's own certificate.
type ClientTLS struct {
	CertPEM string `json:"cert"`
	KeyPEM  string `json:"key"`
	CAPEM   string `json:"ca,omitempty"`
}

// OAuth2 is an OAuth 2.0 client-credentials grant (RFC 6749 §4.4): Herald
// asks TokenURL for a token and sends it as a bearer token.
type OAuth2 struct {
	TokenURL     string   `json:"tokenUrl"`
	ClientID     string   `json:"clientId"`
	ClientSecret string   `json:"clientSecret"`
	Scopes       []string `json:"scopes,omitempty"`
}

// Limits on endpoint authentication settings.
const (
	MaxCustomHeaders     = 20
	MaxHeaderValueLen    = 4096
	MaxPEMLen            = 64 << 10
	MaxOAuthFieldLen     = 1024
	MaxOAuthScopes       = 20
	AuthorizationHeader  = "Authorization"
	TraceParentHeader    = "Traceparent"
	maxHeaderNameLen     = 100
	standardWebhooksPref = "Webhook-"
)

// reservedHeaders are set by Herald or by HTTP itself, or are what a proxy
// in front of a receiver vouches for; a custom header may not replace them
// (a receiver must be able to trust them).
var reservedHeaders = []string{
	"Content-Type", "Content-Length", "Content-Encoding", "Transfer-Encoding", "Host", "Connection",
	"Keep-Alive", "Proxy-Authorization", "Proxy-Connection", "Te", "Trailer", "Upgrade", "Expect",
	"User-Agent", "Cookie", TraceParentHeader, "Tracestate", "Baggage",
	"Forwarded", "X-Real-Ip", "Via",
}

// reservedPrefixes: a proxy's X-Forwarded-For, -Host, -Proto and the rest.
const reservedProxyPrefix = "X-Forwarded-"

// foldedHeader is name as servers may read it: CGI, WSGI and Rack fold
// "_" and "-" into one variable (HTTP_X_FORWARDED_FOR), so
// X_Forwarded_For is X-Forwarded-For to them.
func foldedHeader(name string) string {
	return http.CanonicalHeaderKey(strings.ReplaceAll(name, "_", "-"))
}

// Empty reports whether nothing is configured.
func (a EndpointAuth) Empty() bool {
	return len(a.Headers) == 0 && a.TLS == nil && a.OAuth2 == nil
}

// ReservedHeader says why Herald will not let an integration set header
// name ("" when it may), with headerPrefix the seed headers' prefix.
func ReservedHeader(name, headerPrefix string) string {
	k := foldedHeader(name)
	switch {
	case slices.Contains(reservedHeaders, k) || strings.HasPrefix(k, reservedProxyPrefix):
		return "is set by Herald, by HTTP itself or by a proxy"
	case strings.HasPrefix(k, standardWebhooksPref):
		return "is a Standard Webhooks header Herald signs with"
	case headerPrefix != "" && strings.HasPrefix(k, foldedHeader(headerPrefix)):
		return "carries Herald's own integration headers (" + headerPrefix + "…)"
	}
	return ""
}

// Validate checks the settings, naming the field at fault as the API does.
func (a EndpointAuth) Validate(headerPrefix string) error {
	if len(a.Headers) > MaxCustomHeaders {
		return &FieldError{"headers", fmt.Sprintf("at most %d headers", MaxCustomHeaders)}
	}
	seen := map[string]string{}
	for _, name := range a.HeaderNames() {
		v := a.Headers[name]
		field := "headers." + name
		other, dup := seen[foldedHeader(name)]
		seen[foldedHeader(name)] = name
		reserved := ReservedHeader(name, headerPrefix)
		switch {
		case dup:
			return &FieldError{field, fmt.Sprintf("the same header as %q", other)}
		case len(name) > maxHeaderNameLen || !httpguts.ValidHeaderFieldName(name):
			return &FieldError{field, "not a valid header name"}
		case reserved != "":
			return &FieldError{field, "reserved: it " + reserved}
		case http.CanonicalHeaderKey(name) == AuthorizationHeader && a.OAuth2 != nil:
			return &FieldError{field, "reserved: the OAuth 2.0 token is sent as Authorization"}
		case v == "" || len(v) > MaxHeaderValueLen || !httpguts.ValidHeaderFieldValue(v):
			return &FieldError{field, fmt.Sprintf("needs a value of 1 to %d printable characters", MaxHeaderValueLen)}
		}
	}
	if a.TLS != nil {
		if _, err := a.TLS.Config(); err != nil {
			return err
		}
	}
	if o := a.OAuth2; o != nil {
		if err := ValidateURL(o.TokenURL); err != nil {
			return &FieldError{"oauth2.tokenUrl", err.Error()}
		}
		for f, v := range map[string]string{"oauth2.clientId": o.ClientID, "oauth2.clientSecret": o.ClientSecret} {
			if v == "" || len(v) > MaxOAuthFieldLen || strings.ContainsAny(v, "\x00\r\n") {
				return &FieldError{f, fmt.Sprintf("is required: 1 to %d characters, no line breaks", MaxOAuthFieldLen)}
			}
		}
		if len(o.Scopes) > MaxOAuthScopes {
			return &FieldError{"oauth2.scopes", fmt.Sprintf("at most %d scopes", MaxOAuthScopes)}
		}
		for _, sc := range o.Scopes {
			// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
			if sc == "" || strings.ContainsFunc(sc, func(r rune) bool { return r < 0x21 || r > 0x7e || r == '"' || r == '\\' }) {
				return &FieldError{"oauth2.scopes", fmt.Sprintf("%q is not a scope token", sc)}
			}
		}
	}
	return nil
}

// HeaderNames are the custom header names, sorted.
func (a EndpointAuth) HeaderNames() []string {
	out := make([]string, 0, len(a.Headers))
	for k := range a.Headers {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// SecretHeaders are the request headers this authentication adds, whose
// values are masked wherever a request is stored or shown.
func (a EndpointAuth) SecretHeaders() []string {
	out := a.HeaderNames()
	if a.OAuth2 != nil {
		out = append(out, AuthorizationHeader)
	}
	return out
}

// Config is the TLS client configuration: the certificate, and the CA
// bundle as the only roots when one is given. A certificate that does not
// match its key, or PEM that holds nothing, is a FieldError.
func (t *ClientTLS) Config() (*tls.Config, error) {
	if len(t.CertPEM) > MaxPEMLen || len(t.KeyPEM) > MaxPEMLen || len(t.CAPEM) > MaxPEMLen {
		return nil, &FieldError{"tls", fmt.Sprintf("each PEM value is at most %d bytes", MaxPEMLen)}
	}
	if t.CertPEM == "" || t.KeyPEM == "" {
		return nil, &FieldError{"tls", "needs both \"cert\" and \"key\" (PEM)"}
	}
	cert, err := tls.X509KeyPair([]byte(t.CertPEM), []byte(t.KeyPEM))
	if err != nil {
		return nil, &FieldError{"tls.cert", "the certificate and key do not form a pair: " + err.Error()}
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		return nil, &FieldError{"tls.cert", "not a valid X.509 certificate: " + err.Error()}
	}
	cert.Leaf = leaf
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if t.CAPEM != "" {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM([]byte(t.CAPEM)) {
			return nil, &FieldError{"tls.ca", "holds no PEM certificate"}
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

// Fingerprint identifies the settings (SHA-256, hex) without revealing them:
// transports are cached by it.
func (t *ClientTLS) Fingerprint() string {
	h := sha256.New()
	for _, p := range []string{t.CertPEM, t.KeyPEM, t.CAPEM} {
		fmt.Fprintf(h, "%d:%s", len(p), p)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// CertSummary is what a view shows of a client certificate: its subject,
// expiry and SHA-256 fingerprint (all public).
type CertSummary struct {
	Subject     string    `json:"subject"`
	NotAfter    time.Time `json:"notAfter"`
	Fingerprint string    `json:"fingerprint"`
	HasCA       bool      `json:"hasCaBundle"`
}

// Summary describes the certificate (zero when it does not parse).
func (t *ClientTLS) Summary() CertSummary {
	s := CertSummary{HasCA: t.CAPEM != ""}
	block, _ := pem.Decode([]byte(t.CertPEM))
	if block == nil {
		return s
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return s
	}
	sum := sha256.Sum256(c.Raw)
	s.Subject, s.NotAfter, s.Fingerprint = c.Subject.String(), c.NotAfter, hex.EncodeToString(sum[:])
	return s
}
