package channels

import (
	"net/url"
	"testing"
)

// FuzzURLValidation: an accepted URL is an absolute http(s) URL with a host.
func FuzzURLValidation(f *testing.F) {
	for _, s := range []string{"https://example.com/hook", "http://127.0.0.1:8080/x", "ftp://x", "https://", "https://[::1]:99/",
		"http://user:pass@host/p?q=1#frag", "https://exa mple.com", "//no-scheme", "https://%zz", "https://h:99999/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if err := ValidateURL(raw); err != nil {
			return
		}
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.Fragment != "" {
			t.Fatalf("accepted %q", raw)
		}
	})
}
