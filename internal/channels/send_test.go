package channels

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

func newTestSender(timeout time.Duration, limit int) *Sender {
	return NewSender(SenderOptions{Timeout: timeout, ConnectTimeout: time.Second, BodyLimit: limit})
}

func TestSenderDoesNotFollowRedirects(t *testing.T) {
	hit := make(chan struct{}, 1)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hit <- struct{}{} }))
	defer target.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL, http.StatusFound)
	}))
	defer srv.Close()
	ex := newTestSender(5*time.Second, 1024).Send(context.Background(), &Request{Method: "POST", URL: srv.URL, Header: http.Header{}})
	if ex.Err != nil || ex.Response.Status != http.StatusFound {
		t.Fatalf("exchange %+v", ex)
	}
	if r := ClassifyStatus(ex.Response, time.Now()); r.Outcome != herald.OutcomeRetry {
		t.Errorf("302 classified %s", r.Outcome)
	}
	select {
	case <-hit:
		t.Error("the redirect was followed")
	default:
	}
}

func TestSenderCapsResponseBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(strings.Repeat("z", 5000)))
	}))
	defer srv.Close()
	ex := newTestSender(5*time.Second, 1000).Send(context.Background(), &Request{Method: "POST", URL: srv.URL, Header: http.Header{}})
	if ex.Err != nil || len(ex.Response.Body) != 1000 || !ex.BodyTruncated {
		t.Fatalf("body %d bytes, truncated %v, err %v", len(ex.Response.Body), ex.BodyTruncated, ex.Err)
	}
}

func TestSenderTimeoutIsRetryAndNamesNoURL(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	defer srv.Close()
	defer close(release)
	url := srv.URL + "/secret-path/T000/B000/XXXX"
	ex := newTestSender(200*time.Millisecond, 1000).Send(context.Background(), &Request{Method: "POST", URL: url, Header: http.Header{}})
	if ex.Err == nil {
		t.Fatal("no timeout")
	}
	r := TransportResult(ex.Err)
	if r.Outcome != herald.OutcomeRetry || !strings.HasPrefix(r.Reason, "timeout") {
		t.Errorf("result %+v", r)
	}
	if strings.Contains(r.Reason, "secret-path") || strings.Contains(ex.Err.Error(), "XXXX") {
		t.Errorf("the URL leaked into the error: %q", r.Reason)
	}
}

func TestSenderConnectionRefusedIsRetry(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ex := newTestSender(time.Second, 10).Send(context.Background(), &Request{Method: "POST", URL: "http://" + addr + "/hook?token=abc", Header: http.Header{}})
	r := TransportResult(ex.Err)
	if r.Outcome != herald.OutcomeRetry || !strings.HasPrefix(r.Reason, "connection error") || strings.Contains(r.Reason, "token=abc") {
		t.Errorf("result %+v", r)
	}
}
