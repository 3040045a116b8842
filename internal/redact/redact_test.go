package redact

import "testing"

func TestURL(t *testing.T) {
	cases := map[string]string{
		"https://hooks.slack.com/services/T0123/B0456/xyzSECRET":                 "https://hooks.slack.com/services/T0…/••••",
		"https://discord.com/api/webhooks/123456/tokenSECRET":                    "https://discord.com/api/we…/••••",
		"https://prod.logic.azure.com:443/workflows/abc/triggers?sig=SECRET&x=1": "https://prod.logic.azure.com:443/workflows/ab…/••••?••••",
		"http://127.0.0.1:9000/hook":                                             "http://127.0.0.1:9000/••••",
		"https://example.com":                                                    "https://example.com",
		"https://user:pass@example.com/a/b":                                      "https://example.com/a/••••",
		"::not a url":                                                            "••••",
		// A token in the first segment (Telegram's bot API) is not shown whole.
		"https://api.telegram.org/bot123456:AAEhBOweik6ad9r/sendMessage": "https://api.telegram.org/bo…/se…/••••",
		"https://example.com/AbCdEfGhIjKlMnOpQrStUvWxYz0123/x":           "https://example.com/Ab…/••••",
		"https://example.com/v1/hooks":                                   "https://example.com/v1/ho…/••••",
	}
	for in, want := range cases {
		if got := URL(in); got != want {
			t.Errorf("URL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSecrets(t *testing.T) {
	if got := Secrets("token whsec_abc123 in https://x/y?t=whsec_abc123", "whsec_abc123", ""); got != "token •••• in https://x/y?t=••••" {
		t.Errorf("%q", got)
	}
}
