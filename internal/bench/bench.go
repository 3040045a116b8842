// Package bench drives a running Herald over HTTP like a platform would and
// measures it against the bare Temporal ceiling: a minimal workflow with one
// activity making the same HTTP POST, started straight through the client.
package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// Options say what to run.
type Options struct {
	GatewayURL string
	APIKey     string
	// Events to send; in rate mode Rate per second for Duration instead.
	Events      int
	Concurrency int
	Rate        float64
	Duration    time.Duration
	// FanOut is how many integrations each event matches (the caller creates
	// them pointing at Receiver).
	FanOut int
	// Temporal, for the bare ceiling (nil: skip it).
	Temporal  client.Client
	BareQueue string
	// BareEager starts the bare workflows eagerly on the bare worker, which
	// runs in this process on Temporal: the ceiling for a process that both
	// starts workflows and works them (herald dev, herald serve --with-worker).
	BareEager bool
	// Progress receives a line now and then (nil: quiet).
	Progress func(string)
	// Hostile events are sent, beside the run, by another team (HostileKey)
	// with a 3,000-character project id: the gateway must refuse them without
	// slowing the run's own events.
	Hostile    int
	HostileKey string
}

// HostileProjectLen is the project id length of a hostile event (the API
// allows 100).
const HostileProjectLen = 3000

// Figures are one run's measurements.
type Figures struct {
	Events         int     `json:"events"`
	Deliveries     int     `json:"deliveries"`
	Seconds        float64 `json:"seconds"`
	DeliveriesPerS float64 `json:"deliveriesPerSecond"`
	EventsPerS     float64 `json:"eventsPerSecond"`
	// AcceptedPerS is accepted events per second of the sending phase alone:
	// the rate the gateway took events in (202), deliveries aside.
	AcceptedPerS  float64 `json:"acceptedPerSecond"`
	IngestP50MS   float64 `json:"ingestP50Ms"`
	IngestP99MS   float64 `json:"ingestP99Ms"`
	EndToEndP50MS float64 `json:"endToEndP50Ms"`
	EndToEndP99MS float64 `json:"endToEndP99Ms"`
	EndToEndMaxMS float64 `json:"endToEndMaxMs"`
	Rejected      int     `json:"rejected"`
	// Rejections counts the rejected events by answer ("503", "429", or
	// "no answer" for a connection that failed).
	Rejections map[string]int `json:"rejections,omitempty"`
	Missing    int            `json:"missing"`
	// HostileAnswers counts the hostile events' answers by status, and
	// HostileDelivered the deliveries any of them caused (want 0).
	HostileAnswers   map[string]int `json:"hostileAnswers,omitempty"`
	HostileDelivered int            `json:"hostileDelivered,omitempty"`
}

// StatusError is an HTTP answer other than 202.
type StatusError int

func (e StatusError) Error() string { return fmt.Sprintf("HTTP %d", int(e)) }

func rejection(err error) string {
	var se StatusError
	if errors.As(err, &se) {
		return strconv.Itoa(int(se))
	}
	return "no answer"
}

// Receiver records when each delivery arrives, by event id and webhook-id.
type Receiver struct {
	URL string
	srv *http.Server
	mu  sync.Mutex
	got map[string]time.Time // delivery key → first arrival
}

// NewReceiver listens on loopback.
func NewReceiver() (*Receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &Receiver{URL: "http://" + ln.Addr().String(), got: map[string]time.Time{}}
	r.srv = &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		now := time.Now()
		_, _ = io.Copy(io.Discard, req.Body)
		// One delivery = (event, path): each integration has its own path.
		id := req.Header.Get("X-Northflank-Notification-Integration-Event-Id")
		if id == "" {
			id = req.Header.Get("X-Bench-Id")
		}
		key := id + "|" + req.URL.Path
		r.mu.Lock()
		if _, dup := r.got[key]; !dup {
			r.got[key] = now
		}
		r.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	})}
	go func() { _ = r.srv.Serve(ln) }()
	return r, nil
}

// Close stops the receiver.
func (r *Receiver) Close() { _ = r.srv.Close() }

// countOf counts the deliveries of the given events.
func (r *Receiver) countOf(events map[string]time.Time) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for k := range r.got {
		id, _, _ := strings.Cut(k, "|")
		if _, ok := events[id]; ok {
			n++
		}
	}
	return n
}

func (r *Receiver) reset() {
	r.mu.Lock()
	r.got = map[string]time.Time{}
	r.mu.Unlock()
}

// arrivals maps an event id to its deliveries' arrival times (the event id is
// the part of the key before the first "|", set by the sender).
func (r *Receiver) arrivals(eventOf func(string) string) map[string][]time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string][]time.Time{}
	for k, t := range r.got {
		id := eventOf(k)
		out[id] = append(out[id], t)
	}
	return out
}

// schedule sends n events (or Rate/s for Duration) with send, concurrently.
func schedule(ctx context.Context, o Options, send func(i int)) int {
	n := o.Events
	if o.Rate > 0 {
		n = int(o.Rate * o.Duration.Seconds())
	}
	jobs := make(chan int)
	var wg sync.WaitGroup
	workers := max(o.Concurrency, 1)
	if o.Rate > 0 {
		workers = max(workers, int(o.Rate)) // enough senders to hold the rate
	}
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				send(i)
			}
		}()
	}
	start := time.Now()
	for i := 0; i < n && ctx.Err() == nil; i++ {
		if o.Rate > 0 {
			due := start.Add(time.Duration(float64(i) / o.Rate * float64(time.Second)))
			time.Sleep(time.Until(due))
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return n
}

// drive sends events with start (one call per event, timed as the ingest
// latency), then waits for every delivery at the receiver.
func drive(ctx context.Context, o Options, recv *Receiver, label string, start func(id string) error, runID string) Figures {
	recv.reset()
	var mu sync.Mutex
	posted := map[string]time.Time{}
	var ingest []time.Duration
	var rejected int64
	rejections := map[string]int{}
	began := time.Now()
	n := schedule(ctx, o, func(i int) {
		id := fmt.Sprintf("%s-%06d", runID, i)
		t0 := time.Now()
		if err := start(id); err != nil {
			atomic.AddInt64(&rejected, 1)
			mu.Lock()
			rejections[rejection(err)]++
			mu.Unlock()
			return
		}
		d := time.Since(t0)
		mu.Lock()
		posted[id], ingest = t0, append(ingest, d)
		mu.Unlock()
	})
	sending := time.Since(began)
	want := (n - int(rejected)) * o.FanOut
	// Only accepted events count: an event answered 503 after its start timed
	// out may still have started, and its deliveries must not stand in for others.
	waitFor(ctx, func() int { return recv.countOf(posted) }, want, o.Progress, label)
	f := figures(n, want, int(rejected), time.Since(began), ingest, posted, recv)
	f.AcceptedPerS = float64(n-int(rejected)) / sending.Seconds()
	if len(rejections) > 0 {
		f.Rejections = rejections
	}
	return f
}

// RunHerald posts events to the gateway and waits for every delivery.
func RunHerald(ctx context.Context, o Options, recv *Receiver, runID string) (Figures, error) {
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 512}}
	post := func(key, id, project string) error {
		body, _ := json.Marshal(map[string]any{"id": id, "event": "build:start",
			"data": map[string]any{"project": map[string]any{"id": project}, "build": map[string]any{"id": id, "branch": "main"}}})
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.GatewayURL+"/v1/events", bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			return StatusError(resp.StatusCode)
		}
		return nil
	}
	var hostile sync.WaitGroup
	var hmu sync.Mutex
	answers := map[string]int{}
	if o.Hostile > 0 {
		project := strings.Repeat("p", HostileProjectLen)
		hostile.Add(1)
		go func() {
			defer hostile.Done()
			// All at once, from 8 senders, as the run's own events start.
			schedule(ctx, Options{Events: o.Hostile, Concurrency: 8}, func(i int) {
				a := "202"
				if err := post(o.HostileKey, fmt.Sprintf("x%s-%06d", runID, i), project); err != nil {
					a = rejection(err)
				}
				hmu.Lock()
				answers[a]++
				hmu.Unlock()
			})
		}()
	}
	f := drive(ctx, o, recv, "herald", func(id string) error { return post(o.APIKey, id, "bench") }, runID)
	hostile.Wait()
	if o.Hostile > 0 {
		f.HostileAnswers = answers
		for id, ts := range recv.arrivals(func(k string) string { id, _, _ := strings.Cut(k, "|"); return id }) {
			if strings.HasPrefix(id, "x"+runID) {
				f.HostileDelivered += len(ts)
			}
		}
	}
	return f, nil
}

func waitFor(ctx context.Context, count func() int, want int, progress func(string), label string) {
	deadline := time.Now().Add(5 * time.Minute)
	last := -1
	for time.Now().Before(deadline) && ctx.Err() == nil {
		got := count()
		if progress != nil && got != last {
			progress(fmt.Sprintf("%s: %d/%d deliveries", label, got, want))
			last = got
		}
		if got >= want {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func figures(n, want, rejected int, elapsed time.Duration, ingest []time.Duration, posted map[string]time.Time, recv *Receiver) Figures {
	byEvent := recv.arrivals(func(k string) string {
		id, _, _ := strings.Cut(k, "|")
		return id
	})
	var e2e []time.Duration
	got := 0
	for id, t0 := range posted {
		for _, t := range byEvent[id] {
			e2e = append(e2e, t.Sub(t0))
			got++
		}
	}
	f := Figures{Events: n, Deliveries: got, Seconds: elapsed.Seconds(), Rejected: rejected, Missing: max(0, want-got)}
	f.DeliveriesPerS = float64(got) / elapsed.Seconds()
	f.EventsPerS = float64(n-rejected) / elapsed.Seconds()
	f.IngestP50MS, f.IngestP99MS = pct(ingest, 50), pct(ingest, 99)
	f.EndToEndP50MS, f.EndToEndP99MS, f.EndToEndMaxMS = pct(e2e, 50), pct(e2e, 99), pct(e2e, 100)
	return f
}

func pct(ds []time.Duration, p float64) float64 {
	if len(ds) == 0 {
		return 0
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	i := int(float64(len(ds)-1) * p / 100)
	return float64(ds[i].Microseconds()) / 1000
}

// BareInput is the bare workflow's input.
type BareInput struct {
	URLs []string
	ID   string
	// Local posts from local activities (the local-activity ceiling).
	Local bool
}

// BareWorkflow is the ceiling: one activity per URL, in parallel, no
// database, no matching, no recording.
func BareWorkflow(ctx workflow.Context, in BareInput) error {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{MaximumAttempts: 3}})
	ctx = workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{MaximumAttempts: 3}})
	var fs []workflow.Future
	for _, u := range in.URLs {
		if in.Local {
			fs = append(fs, workflow.ExecuteLocalActivity(ctx, BarePost, u, in.ID))
		} else {
			fs = append(fs, workflow.ExecuteActivity(ctx, BarePost, u, in.ID))
		}
	}
	for _, f := range fs {
		if err := f.Get(ctx, nil); err != nil {
			return err
		}
	}
	return nil
}

var bareClient = &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 512}}

// BarePost makes the same HTTP POST Herald would.
func BarePost(ctx context.Context, url, id string) error {
	body := []byte(`{"event":"build:start","data":{"project":{"id":"bench"},"build":{"id":"` + id + `","branch":"main"}}}`)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Bench-Id", id)
	resp, err := bareClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	_ = activity.GetInfo(ctx)
	return nil
}

// RunBare starts the bare workflow straight through the Temporal client, with
// a worker in this process, at the same concurrency and fan-out.
func RunBare(ctx context.Context, o Options, recv *Receiver, runID string) (Figures, error) {
	return runBare(ctx, o, recv, runID, BareInput{})
}

// RunBareLocal is RunBare with the posts as local activities: the best
// ceiling there is for a workflow per event.
func RunBareLocal(ctx context.Context, o Options, recv *Receiver, runID string) (Figures, error) {
	return runBare(ctx, o, recv, runID, BareInput{Local: true})
}

// runBare drives the bare workflow; shape says how it posts (Local).
func runBare(ctx context.Context, o Options, recv *Receiver, runID string, shape BareInput) (Figures, error) {
	w := worker.New(o.Temporal, o.BareQueue, worker.Options{})
	w.RegisterWorkflow(BareWorkflow)
	w.RegisterActivity(BarePost)
	if err := w.Start(); err != nil {
		return Figures{}, err
	}
	defer w.Stop()
	return drive(ctx, o, recv, "bare", func(id string) error {
		urls := make([]string, o.FanOut)
		for k := range urls {
			urls[k] = recv.URL + "/bare/" + strconv.Itoa(k) + "/" + id
		}
		_, err := o.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "bench-bare/" + id, TaskQueue: o.BareQueue, EnableEagerStart: o.BareEager}, BareWorkflow, BareInput{URLs: urls, ID: id, Local: shape.Local})
		return err
	}, runID), nil
}
