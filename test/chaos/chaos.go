// Package chaos is Herald's reliability harness: it posts events to a running
// Herald while crashing its parts and making receivers flap, then reconciles
// what receivers got against what Postgres recorded and what Temporal ran.
package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/temporalclient"
)

// Target is a running Herald the harness drives.
type Target struct {
	GatewayURL      string
	DatabaseURL     string
	TemporalAddress string
	TaskQueue       string
	// Faults are injected one after another while events are posted.
	Faults []Fault
	// Margin widens each fault's window on both sides: an attempt sent up to
	// this long before a crash may have lost its record to it.
	Margin time.Duration
}

// Fault is one thing that goes wrong.
type Fault struct {
	Name string
	// Inject does the damage and returns once the broken part is back (at
	// once, for a part left down).
	Inject func(ctx context.Context) error
}

// Options shape the workload.
type Options struct {
	Events       int
	Integrations int
	// Rate is events posted per second; Senders how many are in flight at most.
	Rate    float64
	Senders int
	Mix     Mix
	Seed    uint64
	// Drain bounds the wait for every delivery to settle after posting.
	Drain time.Duration
	Logf  func(format string, args ...any)
}

// FaultReport is when a fault happened and how long its part took to return.
type FaultReport struct {
	Name string    `json:"name"`
	At   time.Time `json:"at"`
	// DownSeconds: from the fault until the part was back.
	DownSeconds float64 `json:"downSeconds"`
	// RecoveredSeconds: from the fault until a receiver next got a 200-answered delivery.
	RecoveredSeconds float64 `json:"recoveredSeconds"`
	Error            string  `json:"error,omitempty"`
	up               time.Time
}

// Report is a run's outcome.
type Report struct {
	Events       int      `json:"events"`
	Integrations int      `json:"integrations"`
	Accepted     int      `json:"accepted"`
	NotAccepted  []string `json:"notAccepted"`
	// IngestRetries counts 503 and 429 answers (and refused connections) that
	// senders retried with the same id.
	IngestRetries  int64          `json:"ingestRetries"`
	PostingSeconds float64        `json:"postingSeconds"`
	DrainSeconds   float64        `json:"drainSeconds"`
	Settled        bool           `json:"settled"`
	Faults         []FaultReport  `json:"faults"`
	Workflows      map[string]int `json:"workflows"`
	Restarts       map[string]int `json:"restartsNobodyAskedFor,omitempty"`
	Reconciliation
}

// Problems are the ways the run broke Herald's promise; none is a pass.
func (r *Report) Problems() []string {
	var out []string
	if len(r.NotAccepted) > 0 {
		out = append(out, fmt.Sprintf("%d events were never accepted: %v", len(r.NotAccepted), head(r.NotAccepted)))
	}
	if len(r.Lost) > 0 {
		out = append(out, fmt.Sprintf("%d of %d (event, integration) pairs were never delivered: %v", len(r.Lost), r.Pairs, head(r.Lost)))
	}
	if len(r.Stuck) > 0 {
		out = append(out, fmt.Sprintf("%d deliveries are stuck pending or retrying: %v", len(r.Stuck), head(r.Stuck)))
	}
	if len(r.Disagreements) > 0 {
		out = append(out, fmt.Sprintf("the attempts table disagrees with the receivers %d times: %v", len(r.Disagreements), head(r.Disagreements)))
	}
	if r.UnrecordedUnexplained > 0 {
		out = append(out, fmt.Sprintf("%d requests have no attempt row and happened outside every fault window", r.UnrecordedUnexplained))
	}
	for _, status := range []string{"Running", "Failed", "Terminated", "TimedOut", "Canceled"} {
		if n := r.Workflows[status]; n > 0 {
			out = append(out, fmt.Sprintf("%d workflows are %s", n, status))
		}
	}
	for _, f := range r.Faults {
		if f.Error != "" {
			out = append(out, fmt.Sprintf("fault %q could not be injected: %s", f.Name, f.Error))
		}
	}
	return out
}

func head(s []string) []string { return s[:min(len(s), 5)] }

// Summary is the report in a few lines.
func (r *Report) Summary() string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%d events × %d integrations: %d accepted (%d ingest retries), posted in %.1f s, settled %.1f s later\n",
		r.Events, r.Integrations, r.Accepted, r.IngestRetries, r.PostingSeconds, r.DrainSeconds)
	fmt.Fprintf(&b, "pairs %d, delivered %d, lost %d, duplicates %d (on %d pairs)\n", r.Pairs, r.Delivered, len(r.Lost), r.Duplicates, r.DuplicatePairs)
	fmt.Fprintf(&b, "requests at receivers %d, attempt rows %d, requests with no row %d (%d outside fault windows), disagreements %d, stuck %d\n",
		r.Requests, r.Attempts, r.Unrecorded, r.UnrecordedUnexplained, len(r.Disagreements), len(r.Stuck))
	fmt.Fprintf(&b, "deliveries by status %v; workflows by status %v\n", r.ByStatus, r.Workflows)
	for _, f := range r.Faults {
		fmt.Fprintf(&b, "fault %-32s down %.1f s, deliveries flowing again %.1f s after it\n", f.Name, f.DownSeconds, f.RecoveredSeconds)
	}
	return b.String()
}

// Drive runs the workload against t with its faults and reconciles.
func Drive(ctx context.Context, t Target, o Options) (*Report, error) {
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	st, err := store.Open(ctx, t.DatabaseURL, 0)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	team, err := st.CreateTeam(ctx, fmt.Sprintf("chaos-%d", time.Now().UnixNano()))
	if err != nil {
		return nil, fmt.Errorf("create team: %w", err)
	}
	_, key, err := st.CreateKey(ctx, team.ID, "chaos", []herald.Scope{herald.ScopeIngest, herald.ScopeManage})
	if err != nil {
		return nil, fmt.Errorf("create key: %w", err)
	}
	recv, err := NewReceiver(o.Mix, o.Seed)
	if err != nil {
		return nil, err
	}
	defer recv.Close()
	integrations := make([]string, o.Integrations)
	for i := range integrations {
		id, err := createIntegration(ctx, t.GatewayURL, key, fmt.Sprintf("chaos-%d", i), recv.URL(i))
		if err != nil {
			return nil, err
		}
		integrations[i] = id
	}
	cfg := config.Defaults()
	cfg.TemporalAddress = t.TemporalAddress
	tc, err := temporalclient.Dial(ctx, &cfg, discardLog(), nil)
	if err != nil {
		return nil, err
	}
	defer tc.Close()

	rep := &Report{Events: o.Events, Integrations: o.Integrations, NotAccepted: []string{}}
	start := time.Now()
	posting := o.duration()
	var faultsDone sync.WaitGroup
	faultsDone.Go(func() { rep.Faults = injectFaults(ctx, t.Faults, start, posting, o.Logf) })

	accepted, retries := postEvents(ctx, t.GatewayURL, key, start, o)
	rep.IngestRetries = retries
	rep.PostingSeconds = time.Since(start).Seconds()
	for i, ok := range accepted {
		if ok {
			rep.Accepted++
		} else {
			rep.NotAccepted = append(rep.NotAccepted, eventID(start, i))
		}
	}
	o.Logf("posted %d events in %.1f s (%d accepted); waiting for the faults to end", o.Events, rep.PostingSeconds, rep.Accepted)
	faultsDone.Wait()

	drained := time.Now()
	rep.Settled = waitSettled(ctx, st, tc, t.TaskQueue, team.ID, start, rep.Accepted*o.Integrations, o)
	rep.DrainSeconds = time.Since(drained).Seconds()

	ev := Evidence{Integrations: integrations, Requests: recv.Requests()}
	for i, ok := range accepted {
		if ok {
			ev.Accepted = append(ev.Accepted, eventID(start, i))
		}
	}
	if ev.Deliveries, ev.Attempts, err = loadRecords(ctx, st, team.ID); err != nil {
		return nil, err
	}
	for _, f := range rep.Faults {
		ev.Windows = append(ev.Windows, Window{Fault: f.Name, From: f.At.Add(-t.Margin), To: f.up.Add(t.Margin)})
	}
	rep.Reconciliation = Reconcile(ev)
	for i := range rep.Faults {
		rep.Faults[i].RecoveredSeconds = recoveredAfter(ev.Requests, rep.Faults[i])
	}
	if rep.Workflows, err = workflowStatuses(ctx, tc, t.TaskQueue, start); err != nil {
		return nil, err
	}
	return rep, nil
}

func discardLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

func (o Options) duration() time.Duration {
	return time.Duration(float64(o.Events) / o.Rate * float64(time.Second))
}

func eventID(start time.Time, i int) string {
	return fmt.Sprintf("chaos-%d-%05d", start.Unix(), i)
}

func createIntegration(ctx context.Context, gateway, key, name, url string) (string, error) {
	body, _ := json.Marshal(map[string]any{"name": name, "type": "webhook", "url": url, "events": []string{"*"}, "generateSecret": true})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, gateway+"/v1/integrations", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("create integration %s: %w", name, err)
	}
	defer resp.Body.Close()
	var out struct{ ID string }
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated || json.Unmarshal(data, &out) != nil {
		return "", fmt.Errorf("create integration %s: %d %s", name, resp.StatusCode, data)
	}
	return out.ID, nil
}

// injectFaults spreads the faults over the posting time, one after another.
func injectFaults(ctx context.Context, faults []Fault, start time.Time, posting time.Duration, logf func(string, ...any)) []FaultReport {
	out := make([]FaultReport, 0, len(faults))
	for i, f := range faults {
		at := start.Add(posting * time.Duration(i+1) / time.Duration(len(faults)+1))
		select {
		case <-ctx.Done():
			return out
		case <-time.After(time.Until(at)):
		}
		r := FaultReport{Name: f.Name, At: time.Now()}
		logf("fault: %s", f.Name)
		if err := f.Inject(ctx); err != nil {
			r.Error = err.Error()
		}
		r.up = time.Now()
		r.DownSeconds = r.up.Sub(r.At).Seconds()
		logf("fault: %s over; its part was back after %.1f s", f.Name, r.DownSeconds)
		out = append(out, r)
	}
	return out
}

// postEvents posts o.Events at o.Rate, each until it is accepted: a 503 or
// 429 is retried after Retry-After with the same id, as a platform would.
func postEvents(ctx context.Context, gateway, key string, start time.Time, o Options) ([]bool, int64) {
	accepted := make([]bool, o.Events)
	var retries atomic.Int64
	slots := make(chan struct{}, o.Senders)
	var wg sync.WaitGroup
	hc := &http.Client{Timeout: 10 * time.Second}
	for i := range o.Events {
		at := start.Add(time.Duration(float64(i) / o.Rate * float64(time.Second)))
		time.Sleep(time.Until(at))
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			body := fmt.Sprintf(`{"id":%q,"event":"build:start","data":{"n":%d}}`, eventID(start, i), i)
			deadline := time.Now().Add(3 * time.Minute)
			for time.Now().Before(deadline) && ctx.Err() == nil {
				status, wait := postOnce(ctx, hc, gateway, key, body)
				if status == http.StatusAccepted {
					accepted[i] = true
					return
				}
				if status >= 400 && status < 500 && status != http.StatusTooManyRequests {
					o.Logf("event %d refused for good: %d", i, status)
					return
				}
				retries.Add(1)
				time.Sleep(wait)
			}
		})
		if ctx.Err() != nil {
			break
		}
	}
	wg.Wait()
	return accepted, retries.Load()
}

// postOnce posts one event and says how long to wait before trying again.
func postOnce(ctx context.Context, hc *http.Client, gateway, key, body string) (int, time.Duration) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, gateway+"/v1/events", bytes.NewReader([]byte(body)))
	if err != nil {
		return 0, time.Second
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return 0, time.Second
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	wait := time.Second
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
		wait = min(time.Duration(s)*time.Second, 5*time.Second)
	}
	return resp.StatusCode, wait
}

// waitSettled waits until every accepted event has its deliveries, none is
// pending or retrying, and no workflow of the run is still running.
func waitSettled(ctx context.Context, st *store.Store, tc client.Client, queue, team string, since time.Time, want int, o Options) bool {
	deadline := time.Now().Add(o.Drain)
	last := ""
	for time.Now().Before(deadline) && ctx.Err() == nil {
		var total, open int
		err := st.DB().QueryRowContext(ctx, `SELECT count(*), count(*) FILTER (WHERE status IN ($2, $3)) FROM deliveries WHERE team_id = $1`,
			team, herald.DeliveryPending, herald.DeliveryRetrying).Scan(&total, &open)
		if err == nil && total >= want && open == 0 {
			running, err := countWorkflows(ctx, tc, queue, since, "Running")
			if err == nil && running == 0 {
				return true
			}
		}
		if msg := fmt.Sprintf("%d of %d deliveries created, %d still open", total, want, open); msg != last {
			o.Logf("settling: %s", msg)
			last = msg
		}
		time.Sleep(time.Second)
	}
	return false
}

func loadRecords(ctx context.Context, st *store.Store, team string) ([]DeliveryRow, []AttemptRow, error) {
	var ds []DeliveryRow
	rows, err := st.DB().QueryContext(ctx, `SELECT id, event_id, integration_id, status FROM deliveries WHERE team_id = $1`, team)
	if err != nil {
		return nil, nil, fmt.Errorf("load deliveries: %w", err)
	}
	for rows.Next() {
		var d DeliveryRow
		if err := rows.Scan(&d.ID, &d.EventID, &d.IntegrationID, &d.Status); err != nil {
			rows.Close()
			return nil, nil, err
		}
		ds = append(ds, d)
	}
	rows.Close()
	var as []AttemptRow
	rows, err = st.DB().QueryContext(ctx, `SELECT a.delivery_id, a.attempt_no, a.response_status FROM attempts a
		JOIN deliveries d ON d.id = a.delivery_id WHERE d.team_id = $1`, team)
	if err != nil {
		return nil, nil, fmt.Errorf("load attempts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a AttemptRow
		if err := rows.Scan(&a.DeliveryID, &a.AttemptNo, &a.ResponseStatus); err != nil {
			return nil, nil, err
		}
		as = append(as, a)
	}
	return ds, as, rows.Err()
}

// recoveredAfter is how long after a fault the receivers next answered a
// delivery with 200 once the part was back.
func recoveredAfter(reqs []Request, f FaultReport) float64 {
	for _, q := range reqs {
		if q.Answer == AnswerOK && !q.At.Before(f.up) {
			return q.At.Sub(f.At).Seconds()
		}
	}
	return -1
}

var executionStatuses = []string{"Completed", "Running", "Failed", "Terminated", "TimedOut", "Canceled", "ContinuedAsNew"}

func workflowStatuses(ctx context.Context, tc client.Client, queue string, since time.Time) (map[string]int, error) {
	out := map[string]int{}
	for _, s := range executionStatuses {
		n, err := countWorkflows(ctx, tc, queue, since, s)
		if err != nil {
			return nil, err
		}
		if n > 0 {
			out[s] = n
		}
	}
	return out, nil
}

func countWorkflows(ctx context.Context, tc client.Client, queue string, since time.Time, status string) (int, error) {
	q := fmt.Sprintf("TaskQueue = '%s' AND StartTime >= '%s' AND ExecutionStatus = '%s'", queue, since.UTC().Format(time.RFC3339), status)
	resp, err := tc.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Query: q})
	if err != nil {
		return 0, fmt.Errorf("count %s workflows: %w", status, err)
	}
	return int(resp.GetCount()), nil
}
