// Package workflows holds Herald's Temporal workflows: deterministic code only.
package workflows

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/contract"
)

// recordOptions: bookkeeping steps retry until Postgres answers; deliveries
// wait for it rather than fail.
var recordOptions = workflow.LocalActivityOptions{
	StartToCloseTimeout: 10 * time.Second,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval:    time.Second,
		BackoffCoefficient: 2,
		MaximumInterval:    time.Minute,
	},
}

// deliverMargin is added to the attempt timeout for loading and recording.
const deliverMargin = 15 * time.Second

// infraRetry retries an attempt that could not be made or recorded (Postgres
// unreachable, worker lost): the delivery schedule itself is the workflow's.
var infraRetry = &temporal.RetryPolicy{
	InitialInterval:        time.Second,
	BackoffCoefficient:     2,
	MaximumInterval:        time.Minute,
	NonRetryableErrorTypes: []string{contract.ErrTypeNotFound},
}

// infraGiveUp bounds how long one attempt may keep failing on infrastructure.
const infraGiveUp = 24 * time.Hour

// EventWorkflow records an event, matches integrations, and delivers to each
// in parallel. Retries are timers in the workflow, so a delivery waiting on
// backoff can be woken early: by a resend signal (one manual attempt now) or a
// recovered signal (its integration answers again). The workflow ends when no
// delivery is running and no signal is pending.
func EventWorkflow(ctx workflow.Context, in contract.EventInput) (contract.EventResult, error) {
	var planned []contract.PlannedDelivery
	err := workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, recordOptions), contract.ActivityRecordEvent, in).Get(ctx, &planned)
	if err != nil {
		return contract.EventResult{}, fmt.Errorf("record event: %w", err)
	}

	ev := &eventRun{runs: map[string]*deliveryRun{}, eventType: in.Type}
	ids := make([]string, 0, len(planned))
	for _, p := range planned {
		d := &deliveryRun{p: p, attemptNo: p.AttemptCount, status: p.Status}
		ev.runs[p.DeliveryID] = d
		ev.order = append(ev.order, d)
		ids = append(ids, p.IntegrationID)
		switch {
		case p.Group != nil:
			// Held by its alert group, which sends it with the others.
			alert := contract.AlertSignal{DeliveryID: p.DeliveryID, EventID: in.EventID, Type: in.Type, ReceivedAt: in.ReceivedAt}
			if err := joinGroup(ctx, in.TeamID, p.IntegrationID, p.Group, alert); err != nil {
				// Never lose an alert: deliver it on its own.
				workflow.GetLogger(ctx).Error("join alert group", "delivery", p.DeliveryID, "error", err)
				d.status = herald.DeliveryPending
				ev.start(ctx, d, false)
			}
		case p.Resolve != nil:
			closeGroup(ctx, p.Resolve)
			ev.start(ctx, d, false)
		case !p.Status.Final():
			ev.start(ctx, d, false)
		}
	}
	setStatus(ctx, contract.StatusDelivering, contract.AttrIntegrationIDs.ValueSet(contract.IntegrationIDsValue(ids)))
	ev.showDetails(ctx)

	resendCh := workflow.GetSignalChannel(ctx, contract.SignalResend)
	recoveredCh := workflow.GetSignalChannel(ctx, contract.SignalRecovered)
	for {
		_ = workflow.Await(ctx, func() bool {
			return ev.active == 0 || resendCh.Len() > 0 || recoveredCh.Len() > 0
		})
		handled := false
		var rs contract.ResendSignal
		for resendCh.ReceiveAsync(&rs) {
			ev.resend(ctx, rs.DeliveryID)
			handled = true
		}
		var rc contract.RecoveredSignal
		for recoveredCh.ReceiveAsync(&rc) {
			ev.recovered(rc.IntegrationID)
			handled = true
		}
		if ev.active == 0 && !handled {
			break
		}
	}

	res := ev.result()
	setStatus(ctx, res.Status)
	return res, nil
}

// eventRun is the workflow's state: one deliveryRun per delivery.
type eventRun struct {
	runs      map[string]*deliveryRun
	order     []*deliveryRun
	active    int
	eventType string
}

// showDetails keeps the Web UI's current details readable: where each
// delivery stands, when a waiting one tries next and what it last heard.
func (ev *eventRun) showDetails(ctx workflow.Context) {
	lines := []string{"**" + ev.eventType + "** → " + strconv.Itoa(len(ev.order)) + " integration(s)"}
	for _, d := range ev.order {
		line := "- " + d.p.IntegrationID + ": " + string(d.status)
		if d.status == herald.DeliveryRetrying && !d.nextAt.IsZero() {
			line += ", next attempt " + d.nextAt.UTC().Format("2006-01-02 15:04:05 UTC")
		}
		if d.reason != "" {
			line += " (last: " + d.reason + ")"
		}
		lines = append(lines, line)
	}
	workflow.SetCurrentDetails(ctx, strings.Join(lines, "\n"))
}

// deliveryRun is one delivery as the workflow drives it.
type deliveryRun struct {
	p         contract.PlannedDelivery
	attemptNo int // the last attempt number used
	scheduled int // attempts made under the schedule
	status    herald.DeliveryStatus
	reason    string
	nextAt    time.Time // when a waiting delivery tries next
	running   bool
	// Set by signals, read by the delivery's goroutine.
	wakeManual    bool
	wakeRecovered bool
}

// start runs a delivery in its own coroutine; oneOff makes a single manual
// attempt at a finished delivery.
func (ev *eventRun) start(ctx workflow.Context, d *deliveryRun, oneOff bool) {
	ev.active++
	d.running = true
	workflow.Go(ctx, func(ctx workflow.Context) {
		defer func() { ev.active--; d.running = false }()
		ev.deliver(ctx, d, oneOff)
	})
}

// deliver attempts a delivery until it is final or, waiting on backoff, is
// woken by a timer, a resend or a recovery.
func (ev *eventRun) deliver(ctx workflow.Context, d *deliveryRun, oneOff bool) {
	trigger := herald.TriggerAuto
	if oneOff {
		trigger = herald.TriggerManual
	}
	for {
		var sched *contract.Schedule
		if !oneOff {
			if trigger == herald.TriggerAuto {
				d.scheduled++
			}
			sched = &contract.Schedule{Attempt: d.scheduled, Policy: d.p.Retry}
		}
		d.attemptNo++
		res, err := attempt(ctx, d, trigger, sched)
		if err != nil {
			d.status, d.reason = herald.DeliveryFailed, failureReason(err)
			finish(ctx, d)
			return
		}
		d.status, d.reason = res.Status, res.Reason
		d.nextAt = workflow.Now(ctx).Add(res.Delay)
		ev.showDetails(ctx)
		act(ctx, d.p.IntegrationID, res.Decision)

		if d.wakeManual {
			// A resend arrived during the attempt: make it now.
			d.wakeManual, trigger = false, herald.TriggerManual
			oneOff = d.status.Final()
			continue
		}
		if res.Status != herald.DeliveryRetrying {
			return
		}
		d.wakeRecovered = false
		waitFrom := workflow.Now(ctx)
		woken, err := workflow.AwaitWithTimeout(ctx, res.Delay, func() bool { return d.wakeManual || d.wakeRecovered })
		if err != nil {
			return // cancelled
		}
		// The integration's recovery does not cut short a wait the receiver
		// itself asked for with Retry-After; a manual resend still may.
		if rest := waitFrom.Add(res.RetryAfter).Sub(workflow.Now(ctx)); woken && !d.wakeManual && rest > 0 {
			if _, err := workflow.AwaitWithTimeout(ctx, rest, func() bool { return d.wakeManual }); err != nil {
				return
			}
		}
		trigger = herald.TriggerAuto
		if woken && d.wakeManual {
			d.wakeManual, trigger = false, herald.TriggerManual
		}
		d.wakeRecovered = false
	}
}

func attempt(ctx workflow.Context, d *deliveryRun, trigger herald.Trigger, sched *contract.Schedule) (contract.DeliverResult, error) {
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    d.p.AttemptTimeout + deliverMargin,
		HeartbeatTimeout:       contract.DeliverHeartbeatTimeout,
		ScheduleToCloseTimeout: infraGiveUp,
		RetryPolicy:            infraRetry,
		Summary:                fmt.Sprintf("attempt %d of %s", d.attemptNo, d.p.DeliveryID),
	})
	var res contract.DeliverResult
	err := workflow.ExecuteActivity(actx, contract.ActivityDeliver, contract.DeliverInput{
		DeliveryID: d.p.DeliveryID,
		AttemptNo:  d.attemptNo,
		Trigger:    trigger,
		Schedule:   sched,
	}).Get(ctx, &res)
	return res, err
}

// finish records a final status the attempt itself could not record.
func finish(ctx workflow.Context, d *deliveryRun) {
	err := workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, recordOptions), contract.ActivityFinishDelivery,
		contract.FinishInput{DeliveryID: d.p.DeliveryID, Status: d.status, Reason: d.reason}).Get(ctx, nil)
	if err != nil {
		workflow.GetLogger(ctx).Error("finish delivery", "delivery", d.p.DeliveryID, "error", err)
	}
}

// resend makes one manual attempt now: at once for a finished delivery,
// instead of the backoff for a waiting one, after the current attempt for one
// in flight.
func (ev *eventRun) resend(ctx workflow.Context, deliveryID string) {
	d, ok := ev.runs[deliveryID]
	if !ok {
		workflow.GetLogger(ctx).Warn("resend of a delivery this event does not have", "delivery", deliveryID)
		return
	}
	if d.running {
		d.wakeManual = true
		return
	}
	ev.start(ctx, d, true)
}

// recovered wakes the deliveries to an integration that wait on backoff.
func (ev *eventRun) recovered(integrationID string) {
	for _, d := range ev.order {
		if d.running && d.p.IntegrationID == integrationID && d.status == herald.DeliveryRetrying {
			d.wakeRecovered = true
		}
	}
}

func (ev *eventRun) result() contract.EventResult {
	out := make([]contract.DeliveryOutcome, len(ev.order))
	for i, d := range ev.order {
		out[i] = contract.DeliveryOutcome{DeliveryID: d.p.DeliveryID, IntegrationID: d.p.IntegrationID, Status: d.status, Reason: d.reason}
	}
	return contract.EventResult{Status: Summarize(out), Deliveries: out}
}

// failureReason is the innermost application error's message: the words the
// activity chose (never a URL or secret), without Temporal's wrapping.
func failureReason(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Message()
	}
	var timeoutErr *temporal.TimeoutError
	if errors.As(err, &timeoutErr) {
		return "the attempt could not be completed in time"
	}
	return err.Error()
}

// Summarize is the overall status of an event's deliveries.
func Summarize(outcomes []contract.DeliveryOutcome) contract.EventStatus {
	if len(outcomes) == 0 {
		return contract.StatusNone
	}
	delivered := 0
	for _, o := range outcomes {
		// A grouped alert is handled: its group's message carries it.
		if o.Status == herald.DeliveryDelivered || o.Status == herald.DeliveryGrouped {
			delivered++
		}
	}
	switch delivered {
	case len(outcomes):
		return contract.StatusDelivered
	case 0:
		return contract.StatusFailed
	}
	return contract.StatusPartial
}

func setStatus(ctx workflow.Context, status contract.EventStatus, more ...temporal.SearchAttributeUpdate) {
	upd := append([]temporal.SearchAttributeUpdate{contract.AttrDeliveryStatus.ValueSet(string(status))}, more...)
	if err := workflow.UpsertTypedSearchAttributes(ctx, upd...); err != nil {
		workflow.GetLogger(ctx).Warn("upsert search attributes", "error", err)
	}
}
