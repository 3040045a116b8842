package chaos

import (
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/heraldhq/herald"
)

// DeliveryRow is a delivery as Postgres holds it.
type DeliveryRow struct {
	ID            string
	EventID       string
	IntegrationID string
	Status        herald.DeliveryStatus
}

// AttemptRow is a recorded attempt: the status it got, or nil for none.
type AttemptRow struct {
	DeliveryID     string
	AttemptNo      int
	ResponseStatus *int
}

// Window is a span of time around a fault in which an attempt may have been
// sent and not recorded (the worker died, or Postgres went away, between the
// send and the record).
type Window struct {
	Fault    string
	From, To time.Time
}

// Evidence is everything a run left behind.
type Evidence struct {
	// Accepted are the event ids the gateway answered 202 for.
	Accepted []string
	// Integrations are the integration ids, indexed as the receiver's paths.
	Integrations []string
	Deliveries   []DeliveryRow
	Attempts     []AttemptRow
	Requests     []Request
	Windows      []Window
}

// Reconciliation is what the evidence shows.
type Reconciliation struct {
	// Pairs is accepted events × integrations; Delivered how many of them a
	// receiver answered 200 at least once.
	Pairs     int `json:"pairs"`
	Delivered int `json:"delivered"`
	// Lost are pairs never answered 200 ("event → integration").
	Lost []string `json:"lost"`
	// Duplicates are 200s beyond the first of a pair; DuplicatePairs the pairs that got them.
	Duplicates     int `json:"duplicates"`
	DuplicatePairs int `json:"duplicatePairs"`
	// Requests the receivers got; Attempts the rows Postgres holds.
	Requests int `json:"requests"`
	Attempts int `json:"attempts"`
	// Unrecorded are requests with no attempt row: sent by an attempt whose
	// record was lost to a crash and that was then made again under the same
	// attempt number. Explained: inside a fault window.
	Unrecorded            int `json:"unrecorded"`
	UnrecordedUnexplained int `json:"unrecordedUnexplained"`
	// Disagreements are attempt rows no receiver request accounts for, and
	// deliveries recorded as delivered that no receiver answered 200.
	Disagreements []string `json:"disagreements"`
	// Stuck are deliveries still pending or retrying.
	Stuck []string `json:"stuck"`
	// ByStatus counts deliveries by status.
	ByStatus map[herald.DeliveryStatus]int `json:"byStatus"`
}

// Reconcile matches what receivers got against what Postgres recorded.
func Reconcile(ev Evidence) Reconciliation {
	r := Reconciliation{ByStatus: map[herald.DeliveryStatus]int{}, Requests: len(ev.Requests), Attempts: len(ev.Attempts),
		Lost: []string{}, Disagreements: []string{}, Stuck: []string{}}
	type pair struct{ event, integration string }
	byPair := map[pair]DeliveryRow{}
	for _, d := range ev.Deliveries {
		byPair[pair{d.EventID, d.IntegrationID}] = d
		r.ByStatus[d.Status]++
		if d.Status == herald.DeliveryPending || d.Status == herald.DeliveryRetrying {
			r.Stuck = append(r.Stuck, d.ID)
		}
	}
	// What each delivery got at the receivers and what was recorded, by answer.
	received := map[string]map[string][]time.Time{}
	for _, q := range ev.Requests {
		if received[q.DeliveryID] == nil {
			received[q.DeliveryID] = map[string][]time.Time{}
		}
		received[q.DeliveryID][q.Answer.answered()] = append(received[q.DeliveryID][q.Answer.answered()], q.At)
	}
	recorded := map[string]map[string]int{}
	for _, a := range ev.Attempts {
		if recorded[a.DeliveryID] == nil {
			recorded[a.DeliveryID] = map[string]int{}
		}
		answer := "none"
		if a.ResponseStatus != nil {
			answer = strconv.Itoa(*a.ResponseStatus)
		}
		recorded[a.DeliveryID][answer]++
	}

	for _, e := range ev.Accepted {
		for _, in := range ev.Integrations {
			r.Pairs++
			d, ok := byPair[pair{e, in}]
			if !ok {
				r.Lost = append(r.Lost, fmt.Sprintf("%s → %s (no delivery)", e, in))
				continue
			}
			ok200 := len(received[d.ID][string(AnswerOK)])
			switch {
			case ok200 == 0:
				r.Lost = append(r.Lost, fmt.Sprintf("%s → %s (%s, %s)", e, in, d.ID, d.Status))
			default:
				r.Delivered++
				if ok200 > 1 {
					r.Duplicates += ok200 - 1
					r.DuplicatePairs++
				}
			}
			if d.Status == herald.DeliveryDelivered && ok200 == 0 {
				r.Disagreements = append(r.Disagreements, fmt.Sprintf("%s recorded delivered; no receiver answered it 200", d.ID))
			}
		}
	}

	ids := make([]string, 0, len(received)+len(recorded))
	for id := range received {
		ids = append(ids, id)
	}
	for id := range recorded {
		if received[id] == nil {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	for _, id := range ids {
		answers := map[string]bool{}
		for a := range received[id] {
			answers[a] = true
		}
		for a := range recorded[id] {
			answers[a] = true
		}
		for answer := range answers {
			got, rec := received[id][answer], recorded[id][answer]
			switch {
			case rec > len(got):
				r.Disagreements = append(r.Disagreements, fmt.Sprintf("%s: %d attempts recorded with answer %s, receivers gave %d", id, rec, answer, len(got)))
			case rec < len(got):
				missing := len(got) - rec
				r.Unrecorded += missing
				r.UnrecordedUnexplained += max(0, missing-inWindows(got, ev.Windows))
			}
		}
	}
	sort.Strings(r.Disagreements)
	return r
}

// inWindows counts the times that fall inside any window.
func inWindows(ts []time.Time, ws []Window) int {
	n := 0
	for _, t := range ts {
		for _, w := range ws {
			if !t.Before(w.From) && !t.After(w.To) {
				n++
				break
			}
		}
	}
	return n
}
