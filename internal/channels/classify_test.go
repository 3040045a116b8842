package channels

import (
	"net/http"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// TestClassifyEveryStatus walks every status code from 100 to 599 through the
// shared table ClassifyStatus applies.
func TestClassifyEveryStatus(t *testing.T) {
	want := func(code int) herald.Outcome {
		switch {
		case code >= 200 && code <= 299:
			return herald.OutcomeDelivered
		case code == 410:
			return herald.OutcomeGone
		case code == 429:
			return herald.OutcomeThrottled // tried again, not counted as a failure
		case code == 408, code == 425:
			return herald.OutcomeRetry
		case code >= 400 && code <= 499:
			return herald.OutcomePermanent
		default: // 1xx (never final here), 3xx, 5xx
			return herald.OutcomeRetry
		}
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for code := 100; code <= 599; code++ {
		got := ClassifyStatus(&Response{Status: code, Header: http.Header{}}, now)
		if got.Outcome != want(code) {
			t.Errorf("HTTP %d: %s, want %s", code, got.Outcome, want(code))
		}
		if got.Reason == "" {
			t.Errorf("HTTP %d: empty reason", code)
		}
	}
	// The named retryable statuses of the table.
	for _, code := range []int{408, 425, 500, 502, 503, 504, 301, 302, 307, 308} {
		if got := ClassifyStatus(&Response{Status: code}, now).Outcome; got != herald.OutcomeRetry {
			t.Errorf("HTTP %d: %s, want retry", code, got)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		value string
		want  time.Duration
	}{
		{"", 0},
		{"7", 7 * time.Second},
		{" 120 ", 2 * time.Minute},
		{"1.5", 1500 * time.Millisecond},
		{"0", 0},
		{"-3", 0},
		{"86400", MaxRetryAfter},
		{"Fri, 27 Nov 2026 12:00:30 GMT", 30 * time.Second},
		{"Fri, 27 Nov 2026 11:00:00 GMT", 0}, // in the past
		{"Sat, 28 Nov 2026 12:00:00 GMT", MaxRetryAfter},
		{"soon", 0},
	}
	for _, c := range cases {
		h := http.Header{}
		if c.value != "" {
			h.Set("Retry-After", c.value)
		}
		if got := RetryAfter(h, now); got != c.want {
			t.Errorf("Retry-After %q = %s, want %s", c.value, got, c.want)
		}
	}
	r := ClassifyStatus(&Response{Status: 429, Header: http.Header{"Retry-After": {"7"}}}, now)
	if r.RetryAfter != 7*time.Second {
		t.Errorf("429 with Retry-After 7: %+v", r)
	}
}
