package contract

import (
	"context"
	"sync"
)

// StartReport says whether a start of an event's workflow made a new run,
// or found the id taken (a repeat of an event already received). Temporal
// answers it (StartWorkflowExecutionResponse.started, or "already started"
// for a closed run), but the SDK's client does not pass it on: the client's
// gRPC interceptor (temporalclient) writes it into the report its call's
// context carries.
type StartReport struct {
	mu        sync.Mutex
	duplicate bool
}

type startReportKey struct{}

// WithStartReport is ctx carrying an empty report for the start made with it.
func WithStartReport(ctx context.Context) (context.Context, *StartReport) {
	r := &StartReport{}
	return context.WithValue(ctx, startReportKey{}, r), r
}

// StartAnswer is what Temporal answered a start.
type StartAnswer int

const (
	// StartedNow: a new run was made.
	StartedNow StartAnswer = iota
	// IDTaken: the id was taken already (a repeat of an event received).
	IDTaken
)

// ReportStart records what Temporal answered a start made with ctx (nothing
// when ctx carries no report).
func ReportStart(ctx context.Context, answer StartAnswer) {
	if r, ok := ctx.Value(startReportKey{}).(*StartReport); ok {
		r.mu.Lock()
		r.duplicate = answer == IDTaken
		r.mu.Unlock()
	}
}

// Duplicate says whether Temporal answered that the event's id was taken
// already (false too when no answer came).
func (r *StartReport) Duplicate() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.duplicate
}
