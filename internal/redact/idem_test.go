package redact

import "testing"

// Attempts store their URL masked, and views mask it again: masking twice
// changes nothing.
func TestURLMaskedTwiceIsTheSame(t *testing.T) {
	for _, u := range []string{
		"https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX",
		"https://discord.com/api/webhooks/123/abcdefghijklmnop?wait=true",
		"https://example.webhook.office.com/webhookb2/abc@def/IncomingWebhook/123/456",
		"https://receiver.example.com/hook?token=s3cr3t&x=1",
		"http://127.0.0.1:9000/bot123456:AAEsecret/sendMessage",
		"https://example.com/",
		"not a url",
	} {
		once := URL(u)
		if twice := URL(once); twice != once {
			t.Errorf("%s: masked %q, then %q", u, once, twice)
		}
	}
}
