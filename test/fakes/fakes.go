// Package fakes runs stand-ins for Slack, Discord and Microsoft Teams webhooks
// over real HTTP. Each rejects what the real service rejects (platform limits,
// missing fields, wrong content type) and answers as it does, including its
// failure modes, chosen by the URL's last path segment.
package fakes

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// server is what the three fakes share: an httptest server and a record of
// the messages each accepted.
type server struct {
	*httptest.Server
	mu       sync.Mutex
	accepted []json.RawMessage
	rejected []string
	// hits counts requests per path, for modes that fail only at first.
	hits map[string]int
}

func newServer(t testing.TB, h func(s *server, w http.ResponseWriter, r *http.Request, body []byte)) *server {
	s := &server{hits: map[string]int{}}
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
