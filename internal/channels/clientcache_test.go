package channels

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/http"
	"testing"
	"time"
)

func selfSigned(t *testing.T, cn string) *ClientTLS {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalPKCS8PrivateKey(key)
	return &ClientTLS{CertPEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		KeyPEM: string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}))}
}

// One client per certificate, the same one for the same certificate, the
// least recently used closed first beyond the bound; a certificate that
// does not match its key builds none.
func TestClientCacheOnePerCertificate(t *testing.T) {
	built := 0
	c := newClientCache(2, func(cfg *tls.Config) *http.Client {
		built++
		if len(cfg.Certificates) != 1 || cfg.Certificates[0].Leaf == nil {
			t.Fatalf("config without its certificate: %+v", cfg)
		}
		return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}
	})
	a, b, d := selfSigned(t, "a"), selfSigned(t, "b"), selfSigned(t, "d")
	ca1, _ := c.get(a)
	ca2, _ := c.get(&ClientTLS{CertPEM: a.CertPEM, KeyPEM: a.KeyPEM}) // equal settings, another value
	if ca1 != ca2 || built != 1 {
		t.Fatalf("the same certificate built %d clients", built)
	}
	c.get(b)
	c.get(a) // a is now the most recent
	c.get(d) // evicts b
	if c.len() != 2 || built != 3 {
		t.Fatalf("%d kept, %d built", c.len(), built)
	}
	if again, _ := c.get(a); again != ca1 {
		t.Fatal("the most recently used client was evicted")
	}
	c.get(b)
	if built != 4 {
		t.Fatalf("b was not built again after its eviction (%d built)", built)
	}
	mismatched := &ClientTLS{CertPEM: a.CertPEM, KeyPEM: b.KeyPEM}
	if _, err := c.get(mismatched); err == nil || built != 4 {
		t.Fatalf("a certificate with another's key: %v", err)
	}
}
