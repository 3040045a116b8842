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
	// Retried for as long as Postgres takes to come back: without it the SDK
	// bounds every retry by StartToCloseTimeout, and an outage of more than
	// 10 s at an event's first step failed its workflow undelivered.
	ScheduleToCloseTimeout: 7 * 24 * time.Hour,
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

	ev := &eventRun{runs: map[string]*deliveryRun{}, eventType: in.Type, receivedAt: in.ReceivedAt}
	for _, p := range planned {
		ev.ids = append(ev.ids, p.IntegrationID)
	}
	// The fast path (its recorded plan says so, so older runs replay as
	// they ran): the "delivering" status is written only if the event has
	// to wait for something; an event delivered in its first workflow task
	// writes its search attributes once, at the end.
	ev.lazy = len(planned) > 0 && planned[0].LocalAttempts
	for _, p := range planned {
		d := &deliveryRun{p: p, attemptNo: p.AttemptCount, status: p.Status}
		ev.runs[p.DeliveryID] = d
		ev.order = append(ev.order, d)
		switch {
		case p.Group != nil:
			ev.markDelivering(ctx)
			// Held by its alert group, which sends it with the others.
			alert := contract.AlertSignal{DeliveryID: p.DeliveryID, EventID: in.EventID, Type: in.Type, ReceivedAt: in.ReceivedAt}
			if err := joinGroup(ctx, in.TeamID, p.IntegrationID, p.Group, alert); err != nil {
				// Never lose an alert: deliver it on its own.
				workflow.GetLogger(ctx).Error("join alert group", "delivery", p.DeliveryID, "error", err)
				d.status = herald.DeliveryPending
				ev.start(ctx, d, false)
			}
		case p.Resolve != nil:
			ev.markDelivering(ctx)
			closeGroup(ctx, p.Resolve)
			ev.start(ctx, d, false)
		case !p.Status.Final():
			ev.start(ctx, d, false)
		}
	}
	if !ev.lazy {
		ev.markDelivering(ctx)
	}
	ev.showDetails(ctx)

	resendCh := workflow.GetSignalChannel(ctx, contract.SignalResend)
	recoveredCh := workflow.GetSignalChannel(ctx, contract.SignalRecovered)
	turnCh := workflow.GetSignalChannel(ctx, contract.SignalTurn)
	for {
		_ = workflow.Await(ctx, func() bool {
			return ev.active == 0 || resendCh.Len() > 0 || recoveredCh.Len() > 0 || turnCh.Len() > 0
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
		var ts contract.TurnSignal
		for turnCh.ReceiveAsync(&ts) {
			if d, ok := ev.runs[ts.DeliveryID]; ok {
				d.wakeTurn = true
			}
			handled = true
		}
		if ev.active == 0 && !handled {
			break
		}
	}

	res := ev.result()
	if ev.marked {
		setStatus(ctx, res.Status)
	} else {
		setStatus(ctx, res.Status, ev.idsAttribute())
	}
	return res, nil
}

// markDelivering writes the "delivering" status and the integration ids,
// once: before the event first waits for anything (on the fast path), or
// right after its deliveries started (runs recorded before it).
func (ev *eventRun) markDelivering(ctx workflow.Context) {
	if ev.marked {
		return
	}
	ev.marked = true
	setStatus(ctx, contract.StatusDelivering, ev.idsAttribute())
}

func (ev *eventRun) idsAttribute() temporal.SearchAttributeUpdate {
	return contract.AttrIntegrationIDs.ValueSet(contract.IntegrationIDsValue(ev.ids))
}

// eventRun is the workflow's state: one deliveryRun per delivery.
type eventRun struct {
	runs       map[string]*deliveryRun
	order      []*deliveryRun
	active     int
	eventType  string
	receivedAt time.Time
	// ids are the matched integrations; lazy and marked say whether the
	// "delivering" status waits for the first wait, and whether it is written.
	ids    []string
	lazy   bool
	marked bool
}

// showDetails keeps the Web UI's current details readable: where each
// delivery stands, when a waiting one tries next and what it last heard.
func (ev *eventRun) showDetails(ctx workflow.Context) {
	// Markdown, as the Web UI renders it: a heading line, a blank line, and
	// one list item a delivery, by integration name.
	lines := []string{"**" + ev.eventType + "** → " + strconv.Itoa(len(ev.order)) + " integration(s)", ""}
	for _, d := range ev.order {
		who := d.p.IntegrationName
		if who == "" {
			who = d.p.IntegrationID
		}
		line := "- **" + markdownText(who) + "**: " + string(d.status)
		switch {
		case d.waitingFor != "":
			line += ", waiting for its " + d.waitingFor + " until " + d.nextAt.UTC().Format("2006-01-02 15:04:05.000 UTC")
			if d.ahead != "" && d.waitingFor == contract.WaitTurn {
				line += " (behind " + markdownText(d.ahead) + ")"
			}
		case d.status == herald.DeliveryRetrying && !d.nextAt.IsZero():
			line += ", next attempt " + d.nextAt.UTC().Format("2006-01-02 15:04:05 UTC")
		}
		if d.outOfOrder {
			line += ", sent out of order"
		}
		if d.reason != "" {
			line += " (last: " + markdownText(d.reason) + ")"
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
	wakeTurn      bool
	// Delivery control: what it waits for now (contract.Wait*), behind
	// which delivery, how long it has waited for its turn and on rate limits.
	waitingFor   string
	ahead        string
	turnWaited   time.Duration
	throttledFor time.Duration
	outOfOrder   bool
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
	// Delivery control comes from the recorded plan: runs recorded before
	// it have a zero Pace and replay unpaced, as they ran.
	pace := d.p.Pace
	if pace.FIFO {
		// However this delivery ends, the next one's turn comes.
		defer func() {
			if d.status.Final() {
				ev.markDelivering(ctx)
				passTurn(ctx, d)
			}
		}()
	}
	reserve, slotHeld := true, false
	for {
		if reserve && (!ev.waitTurn(ctx, d, pace) || !ev.waitSlot(ctx, d, pace)) {
			return // cancelled
		}
		reserve = true
		counted := !oneOff && trigger == herald.TriggerAuto
		var sched *contract.Schedule
		if !oneOff {
			if counted {
				d.scheduled++
			}
			sched = &contract.Schedule{Attempt: d.scheduled, Policy: d.p.Retry, Throttled: d.throttledFor}
		}
		d.attemptNo++
		res, err := ev.attempt(ctx, d, trigger, sched, pace, slotHeld)
		slotHeld = false
		if err != nil {
			d.status, d.reason = herald.DeliveryFailed, failureReason(err)
			finish(ctx, d)
			return
		}
		if res.Paced {
			// No request went: its slot or a place in flight is not there yet.
			d.attemptNo--
			if counted {
				d.scheduled--
			}
			d.waitingFor, d.nextAt = res.WaitingFor, workflow.Now(ctx).Add(res.Delay)
			ev.showDetails(ctx)
			ev.markDelivering(ctx)
			if workflow.Sleep(ctx, res.Delay) != nil {
				return
			}
			reserve, slotHeld = false, res.SlotHeld
			continue
		}
		d.waitingFor = ""
		if res.Outcome == herald.OutcomeThrottled && res.Status == herald.DeliveryRetrying {
			// Asked to slow down: not an attempt of the schedule.
			if counted {
				d.scheduled--
			}
			d.throttledFor += res.Delay
		}
		d.status, d.reason = res.Status, res.Reason
		d.nextAt = workflow.Now(ctx).Add(res.Delay)
		ev.showDetails(ctx)
		if res.Decision.Disable || res.Decision.Recovered {
			ev.markDelivering(ctx) // starting a child waits for the server
		}
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
		ev.markDelivering(ctx)
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

// FIFOSettle is how long after its event arrived a delivery to a fifo
// integration first looks for deliveries ahead of it: the events received
// just before it start their workflows in parallel, on any worker, and need
// a moment to record theirs. It is the latency fifo costs an idle channel.
const FIFOSettle = 2 * time.Second

// waitTurn holds a delivery to a fifo integration until no earlier one is in
// flight or retrying: woken by the signal the one ahead sends when it ends,
// or at the head-of-line limit, after which it goes out of order. False:
// the workflow was cancelled.
func (ev *eventRun) waitTurn(ctx workflow.Context, d *deliveryRun, pace contract.Pace) bool {
	if !pace.FIFO {
		return true
	}
	// Events received just before this one may not be recorded yet (their
	// workflows start in parallel): give them FIFOSettle to take their place.
	if settle := ev.receivedAt.Add(FIFOSettle).Sub(workflow.Now(ctx)); d.turnWaited == 0 && settle > 0 {
		d.waitingFor, d.nextAt = contract.WaitTurn, workflow.Now(ctx).Add(settle)
		ev.showDetails(ctx)
		ev.markDelivering(ctx)
		if workflow.Sleep(ctx, settle) != nil {
			return false
		}
	}
	for {
		d.wakeTurn = false // a signal during the check below wakes the wait after it
		started := workflow.Now(ctx)
		var turn contract.Turn
		err := workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, recordOptions), contract.ActivityAwaitTurn,
			contract.TurnInput{DeliveryID: d.p.DeliveryID, IntegrationID: d.p.IntegrationID, Channel: pace.Channel, WaitedFor: d.turnWaited}).Get(ctx, &turn)
		if err != nil {
			workflow.GetLogger(ctx).Error("await turn; going without it", "delivery", d.p.DeliveryID, "error", err)
			return true
		}
		if turn.Go {
			d.waitingFor, d.ahead = "", ""
			d.outOfOrder = d.outOfOrder || turn.OutOfOrder
			return true
		}
		d.waitingFor, d.ahead, d.nextAt = contract.WaitTurn, turn.Ahead, workflow.Now(ctx).Add(turn.Wait)
		ev.showDetails(ctx)
		ev.markDelivering(ctx)
		if _, err := workflow.AwaitWithTimeout(ctx, turn.Wait, func() bool { return d.wakeTurn }); err != nil {
			return false
		}
		d.turnWaited += workflow.Now(ctx).Sub(started)
	}
}

// waitSlot reserves the delivery's send slot in its integration's shared
// pace and sleeps until it: a timer, holding no worker. False: cancelled.
func (ev *eventRun) waitSlot(ctx workflow.Context, d *deliveryRun, pace contract.Pace) bool {
	if pace.Limit.Unlimited() {
		return true
	}
	var wait time.Duration
	err := workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, recordOptions), contract.ActivityReserveSlot,
		contract.ReserveInput{DeliveryID: d.p.DeliveryID, IntegrationID: d.p.IntegrationID, Pace: pace}).Get(ctx, &wait)
	if err != nil {
		// The attempt checks its slot again before it sends.
		workflow.GetLogger(ctx).Error("reserve a send slot", "delivery", d.p.DeliveryID, "error", err)
		return true
	}
	if wait <= 0 {
		return true
	}
	d.waitingFor, d.nextAt = contract.WaitSlot, workflow.Now(ctx).Add(wait)
	ev.showDetails(ctx)
	ev.markDelivering(ctx)
	return workflow.Sleep(ctx, wait) == nil
}

// passTurn wakes the next delivery to the same fifo integration.
func passTurn(ctx workflow.Context, d *deliveryRun) {
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 30 * time.Second,
		ScheduleToCloseTimeout: time.Hour, RetryPolicy: infraRetry})
	if err := workflow.ExecuteActivity(actx, contract.ActivityPassTurn,
		contract.TurnInput{DeliveryID: d.p.DeliveryID, IntegrationID: d.p.IntegrationID}).Get(ctx, nil); err != nil {
		// The next one goes at its head-of-line limit.
		workflow.GetLogger(ctx).Error("pass the turn", "delivery", d.p.DeliveryID, "error", err)
	}
}

func (ev *eventRun) attempt(ctx workflow.Context, d *deliveryRun, trigger herald.Trigger, sched *contract.Schedule, pace contract.Pace, slotHeld bool) (contract.DeliverResult, error) {
	in := contract.DeliverInput{
		DeliveryID:   d.p.DeliveryID,
		AttemptNo:    d.attemptNo,
		Trigger:      trigger,
		Schedule:     sched,
		Pace:         pace,
		SendSlotHeld: slotHeld,
	}
	var res contract.DeliverResult
	// The plan recorded by RecordEvent says whether attempts are local: runs
	// recorded before the fast path replay with activity tasks, as they ran.
	// (A GetVersion marker would cost two history events per event.)
	if d.p.LocalAttempts {
		// The fast path: the attempt runs inside the workflow task, with no
		// activity task to schedule, dispatch, start and complete. One try:
		// anything but an answer (Postgres down, the worker's deadline) goes
		// to the durable activity below, which first looks for the attempt
		// in case this one sent it.
		lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
			StartToCloseTimeout: d.p.AttemptTimeout + deliverMargin,
			RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 1},
			Summary:             fmt.Sprintf("attempt %d of %s", d.attemptNo, d.p.DeliveryID),
		})
		err := workflow.ExecuteLocalActivity(lctx, contract.ActivityDeliver, in).Get(ctx, &res)
		if err == nil || isNotFound(err) {
			return res, err
		}
		// The activity looks before sending, as every attempt does: the local
		// one may have sent and recorded it.
		workflow.GetLogger(ctx).Warn("local attempt failed; making it as an activity", "delivery", d.p.DeliveryID, "error", err)
	}
	ev.markDelivering(ctx) // the event now waits for an activity task
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    d.p.AttemptTimeout + deliverMargin,
		HeartbeatTimeout:       contract.DeliverHeartbeatTimeout,
		ScheduleToCloseTimeout: infraGiveUp,
		RetryPolicy:            infraRetry,
		Summary:                fmt.Sprintf("attempt %d of %s", d.attemptNo, d.p.DeliveryID),
	})
	err := workflow.ExecuteActivity(actx, contract.ActivityDeliver, in).Get(ctx, &res)
	return res, err
}

// isNotFound reports whether an activity failed because its delivery or
// integration no longer exists (not worth another try).
func isNotFound(err error) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && appErr.Type() == contract.ErrTypeNotFound
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
