package channels

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald"
)

// MaxRetryAfter caps how long a receiver's Retry-After can hold a delivery back.
const MaxRetryAfter = time.Hour

// ClassifyStatus applies the shared answer table (README.md, "What a webhook receiver gets")
// to an HTTP status. Channels call it after their own success checks.
func ClassifyStatus(r *Response, now time.Time) Result {
	code := r.Status
	reason := fmt.Sprintf("HTTP %d", code)
	switch {
	case code >= 200 && code < 300:
		return Result{Outcome: herald.OutcomeDelivered, Reason: reason}
	case code >= 300 && code < 400:
		// Redirects are not followed: the receiver must be configured with its final URL.
		return Result{Outcome: herald.OutcomeRetry, Reason: reason + " (redirects are not followed)", RetryAfter: RetryAfter(r.Header, now)}
	case code == http.StatusGone:
		return Result{Outcome: herald.OutcomeGone, Reason: reason + ": the endpoint is gone"}
	case code == http.StatusTooManyRequests:
		return Result{Outcome: herald.OutcomeThrottled, Reason: reason + ": rate limited", RetryAfter: RetryAfter(r.Header, now)}
	case code == http.StatusRequestTimeout, code == http.StatusTooEarly:
		return Result{Outcome: herald.OutcomeRetry, Reason: reason, RetryAfter: RetryAfter(r.Header, now)}
	case code >= 400 && code < 500:
		return Result{Outcome: herald.OutcomePermanent, Reason: reason}
	default: // 5xx and anything stranger
		return Result{Outcome: herald.OutcomeRetry, Reason: reason, RetryAfter: RetryAfter(r.Header, now)}
	}
}

// RetryAfter reads a Retry-After header given as delta-seconds or as an HTTP
// date, capped at MaxRetryAfter. Zero means none was given (or it was unreadable
// or in the past).
func RetryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		if secs > MaxRetryAfter.Seconds() {
			return MaxRetryAfter
		}
		d = time.Duration(secs * float64(time.Second))
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return capRetryAfter(d)
}

func capRetryAfter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return min(d, MaxRetryAfter)
}
