// Package fakes runs stand-ins for Slack, Discord and Microsoft Teams webhooks
// over real HTTP. Each rejects what the real service rejects (platform limits,
// missing fields, wrong content type) and answers as it does, including its
// failure modes, chosen by the URL's last path segment.
package fakes

import (
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// server is what the three fakes share: an httptest server and a record of
// the messages each accepted.
type server struct {
	*httptest.Server
	mu       sync.Mutex
	accepted []json.RawMessage
	// acceptedAt is when each accepted message arrived.
	acceptedAt []time.Time
	rejected   []string
	// hits counts requests per path, for modes that fail only at first.
	hits map[string]int
	// buckets and windows are the rate limits of the "bucket" modes, per
	// path; limited counts the requests they refused.
	buckets map[string]*bucket
	windows map[string]*window
	limited int
}

// bucket is a token bucket: capacity tokens, one more every refill.
type bucket struct {
	tokens float64
	at     time.Time
}

// take takes a token from path's bucket, or says how long until one is there.
func (s *server) take(path string, capacity int, refill time.Duration) (ok bool, wait time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	b := s.buckets[path]
	if b == nil {
		b = &bucket{tokens: float64(capacity), at: now}
		s.buckets[path] = b
	}
	b.tokens = math.Min(float64(capacity), b.tokens+float64(now.Sub(b.at))/float64(refill))
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	s.limited++
	return false, time.Duration((1 - b.tokens) * float64(refill))
}

// window is a fixed-window limit, as Discord's buckets are: limit requests
// per window, counted from the window's first request.
type window struct {
	start time.Time
	used  int
}

// spend counts a request against path's window; it returns what is left and
// when the window resets, and false when the request is over the limit.
func (s *server) spend(path string, limit int, per time.Duration) (remaining int, resetAfter time.Duration, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	w := s.windows[path]
	if w == nil || now.Sub(w.start) >= per {
		w = &window{start: now}
		s.windows[path] = w
	}
	resetAfter = per - now.Sub(w.start)
	if w.used >= limit {
		s.limited++
		return 0, resetAfter, false
	}
	w.used++
	return limit - w.used, resetAfter, true
}

// Limited is how many requests a "bucket" mode answered 429.
func (s *server) Limited() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.limited
}

func newServer(t testing.TB, h func(s *server, w http.ResponseWriter, r *http.Request, body []byte)) *server {
	s := &server{hits: map[string]int{}, buckets: map[string]*bucket{}, windows: map[string]*window{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "read error", http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.hits[r.URL.Path]++
		s.mu.Unlock()
		if r.Method != http.MethodPost {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h(s, w, r, body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *server) accept(body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accepted = append(s.accepted, append(json.RawMessage(nil), body...))
	s.acceptedAt = append(s.acceptedAt, time.Now())
}

func (s *server) reject(why string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rejected = append(s.rejected, why)
}

// hit is how many requests the path has had, this one included.
func (s *server) hit(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

// Accepted returns the messages accepted so far.
func (s *server) Accepted() []json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]json.RawMessage(nil), s.accepted...)
}

// AcceptedAt returns when each accepted message arrived.
func (s *server) AcceptedAt() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.acceptedAt...)
}

// Rejected returns why requests were refused so far.
func (s *server) Rejected() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.rejected...)
}

// mode is the URL's last path segment: it selects a failure mode.
func mode(r *http.Request) string {
	return r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
}

func isJSON(r *http.Request) bool {
	ct := strings.ToLower(r.Header.Get("Content-Type"))
	return strings.HasPrefix(ct, "application/json")
}

// length counts as the platforms do (UTF-16 code units).
func length(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}
