package workflows

import "testing"

func TestMarkdownText(t *testing.T) {
	for in, want := range map[string]string{
		"HTTP 503":                            "HTTP 503",
		"web-ui-hook 1.2 #3 +":                "web-ui-hook 1.2 #3 +",
		"[click](http://evil.example)":        `\[click\]\(http://evil.example\)`,
		"![x](http://evil.example/t.png)":     `\!\[x\]\(http://evil.example/t.png\)`,
		"<img src=x onerror=alert(1)>":        `\<img src=x onerror=alert\(1\)\>`,
		"**bold** _it_ `code` ~~s~~ &lt; |t|": "\\*\\*bold\\*\\* \\_it\\_ \\`code\\` \\~\\~s\\~\\~ \\&lt; \\|t\\|",
		"line\n# heading\r\n- x":              "line # heading  - x",
		`back\slash`:                          `back\\slash`,
	} {
		if got := markdownText(in); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}
