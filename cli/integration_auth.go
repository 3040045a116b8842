package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/channels"
)

// authFlags set a webhook's endpoint authentication. Every secret comes
// from a file (or stdin), never the command line, which other users of the
// machine can read.
type authFlags struct {
	headersFile                    string
	clientCert, clientKey, caFile  string
	tokenURL, clientID, secretFile string
	scopes                         []string
	noHeaders, noTLS, noOAuth      bool
}

func (f *authFlags) bind(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&f.headersFile, "headers-file", "", `custom headers to send, a JSON object such as {"X-Api-Key": "…"} in this file (- for stdin); replaces the ones set`)
	fs.StringVar(&f.clientCert, "client-cert", "", "mutual TLS: the client certificate to present (PEM file)")
	fs.StringVar(&f.clientKey, "client-key", "", "mutual TLS: the client certificate's private key (PEM file)")
	fs.StringVar(&f.caFile, "ca-bundle", "", "mutual TLS: the only CAs trusted for the endpoint's certificate (PEM file)")
	fs.StringVar(&f.tokenURL, "oauth-token-url", "", "OAuth 2.0 client credentials: the token endpoint")
	fs.StringVar(&f.clientID, "oauth-client-id", "", "OAuth 2.0 client credentials: the client id")
	fs.StringVar(&f.secretFile, "oauth-client-secret-file", "", "OAuth 2.0 client credentials: the client secret, from this file (- for stdin)")
	fs.StringSliceVar(&f.scopes, "oauth-scopes", nil, "OAuth 2.0 client credentials: scopes to ask for")
}

// bindRemovals registers the flags that take a part away: on update only
// (a new integration has nothing to remove).
func (f *authFlags) bindRemovals(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.BoolVar(&f.noHeaders, "no-headers", false, "remove the custom headers")
	fs.BoolVar(&f.noTLS, "no-client-cert", false, "remove the client certificate")
	fs.BoolVar(&f.noOAuth, "no-oauth", false, "remove the OAuth 2.0 client credentials")
}

func readFlagFile(cmd *cobra.Command, flag, path string) (string, error) {
	var b []byte
	var err error
	if path == "-" {
		b, err = io.ReadAll(io.LimitReader(cmd.InOrStdin(), 1<<20))
	} else {
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return "", fmt.Errorf("--%s: %w", flag, err)
	}
	return string(b), nil
}

func (f *authFlags) apply(cmd *cobra.Command, r *api.IntegrationRequest) error {
	changed := cmd.Flags().Changed
	switch {
	case f.noHeaders:
		r.Headers = &map[string]string{}
	case changed("headers-file"):
		raw, err := readFlagFile(cmd, "headers-file", f.headersFile)
		if err != nil {
			return err
		}
		var h map[string]string
		if err := json.Unmarshal([]byte(raw), &h); err != nil {
			return fmt.Errorf("--headers-file: want a JSON object of header names and string values: %w", err)
		}
		if h == nil {
			h = map[string]string{}
		}
		r.Headers = &h
	}
	switch {
	case f.noTLS:
		r.TLS = &channels.ClientTLS{}
	case changed("client-cert") || changed("client-key") || changed("ca-bundle"):
		if !changed("client-cert") || !changed("client-key") {
			return fmt.Errorf("--client-cert and --client-key go together")
		}
		t := channels.ClientTLS{}
		var err error
		if t.CertPEM, err = readFlagFile(cmd, "client-cert", f.clientCert); err != nil {
			return err
		}
		if t.KeyPEM, err = readFlagFile(cmd, "client-key", f.clientKey); err != nil {
			return err
		}
		if changed("ca-bundle") {
			if t.CAPEM, err = readFlagFile(cmd, "ca-bundle", f.caFile); err != nil {
				return err
			}
		}
		r.TLS = &t
	}
	switch {
	case f.noOAuth:
		r.OAuth2 = &channels.OAuth2{}
	case changed("oauth-token-url") || changed("oauth-client-id") || changed("oauth-client-secret-file") || changed("oauth-scopes"):
		if !changed("oauth-token-url") || !changed("oauth-client-id") || !changed("oauth-client-secret-file") {
			return fmt.Errorf("OAuth 2.0 needs --oauth-token-url, --oauth-client-id and --oauth-client-secret-file together")
		}
		secret, err := readFlagFile(cmd, "oauth-client-secret-file", f.secretFile)
		if err != nil {
			return err
		}
		r.OAuth2 = &channels.OAuth2{TokenURL: f.tokenURL, ClientID: f.clientID, ClientSecret: strings.TrimSpace(secret), Scopes: f.scopes}
	}
	return nil
}
