// Package workflows holds Herald's Temporal workflows: deterministic code only.
package workflows

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/attempt"
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
	NonRetryableErrorTypes: contract.FinalErrorTypes,
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

	ev := &eventRun{runs: map[string]*deliveryRun{}, eventType: in.Type, receivedAt: in.ReceivedAt, trigger: in.Trigger}
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
				ev.start(ctx, d, onSchedule)
			}
		case p.Resolve != nil:
			ev.markDelivering(ctx)
			closeGroup(ctx, p.Resolve)
			ev.start(ctx, d, onSchedule)
		case !p.Status.Final():
			ev.start(ctx, d, onSchedule)
		}
	}
	if !ev.lazy {
		ev.markDelivering(ctx)
	}
	ev.showDetails(ctx)

	ev.serveSignals(ctx)

	res := ev.result()
	if ev.marked {
		setStatus(ctx, res.Status)
	} else {
		setStatus(ctx, res.Status, ev.idsAttribute())
	}
	return res, nil
}

// serveSignals handles resends, recoveries and turns until no delivery is
// running and no signal is pending.
func (ev *eventRun) serveSignals(ctx workflow.Context) {
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
	// trigger is the first scheduled attempt's (a replay's run: replay).
	trigger herald.Trigger
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
			line += ", waiting for its " + string(d.waitingFor) + " until " + d.nextAt.UTC().Format("2006-01-02 15:04:05.000 UTC")
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
	waitingFor   contract.WaitingFor
	ahead        string
	turnWaited   time.Duration
	throttledFor time.Duration
	outOfOrder   bool
}

// pass says which attempts a delivery's coroutine makes.
type pass int

const (
	// onSchedule: attempts under the retry schedule until the delivery is
	// final (a resend of a waiting delivery is one of them, uncounted).
	onSchedule pass = iota
	// oneOff: a single manual attempt at a finished delivery.
	oneOff
)

// slot is where an attempt stands with its turn and its send slot.
type slot int

const (
	// slotToWaitFor: wait for the turn (fifo) and reserve the send slot first.
	slotToWaitFor slot = iota
	// slotWaited: a paced result was waited out; go without reserving again.
	slotWaited
	// slotHeld: the paced result reserved the send slot; the attempt uses it.
	slotHeld
)

// step is what one attempt of a delivery's loop is made with.
type step struct {
	trigger herald.Trigger
	pass    pass
	slot    slot
}

// start runs a delivery in its own coroutine, making the attempts p says.
func (ev *eventRun) start(ctx workflow.Context, d *deliveryRun, p pass) {
	ev.active++
	d.running = true
	workflow.Go(ctx, func(ctx workflow.Context) {
		defer func() { ev.active--; d.running = false }()
		ev.deliver(ctx, d, p)
	})
}

// deliver attempts a delivery until it is final or, waiting on backoff, is
// woken by a timer, a resend or a recovery.
func (ev *eventRun) deliver(ctx workflow.Context, d *deliveryRun, p pass) {
	st := step{trigger: cmp.Or(ev.trigger, herald.TriggerAuto), pass: p}
	if p == oneOff {
		st.trigger = herald.TriggerManual
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
	for {
		if st.slot == slotToWaitFor && (!ev.waitTurn(ctx, d, pace) || !ev.waitSlot(ctx, d, pace)) {
			return // cancelled
		}
		res, err := ev.attemptStep(ctx, d, st, pace)
		switch {
		case err != nil:
			d.status, d.reason = herald.DeliveryFailed, failureReason(err)
			finish(ctx, d)
			return
		case res.Paced:
			// No request went: its slot or a place in flight is not there yet.
			if !ev.waitPaced(ctx, d, res) {
				return
			}
			st.slot = slotWaited
			if res.SlotHeld {
				st.slot = slotHeld
			}
			continue
		}
		ev.settle(ctx, d, res)
		if d.wakeManual {
			// A resend arrived during the attempt: make it now.
			d.wakeManual = false
			st = step{trigger: herald.TriggerManual, pass: onSchedule}
			if d.status.Final() {
				st.pass = oneOff
			}
			continue
		}
		if res.Status != herald.DeliveryRetrying {
			return
		}
		trigger, ok := ev.backoff(ctx, d, res)
		if !ok {
			return // cancelled
		}
		st = step{trigger: trigger, pass: st.pass}
	}
}

// attemptStep makes one attempt: under the schedule (an automatic one uses
// an attempt of it, unless it is paced or a rate limit waited out) or not.
func (ev *eventRun) attemptStep(ctx workflow.Context, d *deliveryRun, st step, pace contract.Pace) (contract.DeliverResult, error) {
	counted := st.pass == onSchedule && st.trigger == herald.TriggerAuto
	in := contract.DeliverInput{DeliveryID: d.p.DeliveryID, Trigger: st.trigger, Pace: pace, SendSlotHeld: st.slot == slotHeld}
	if st.pass == onSchedule {
		if counted {
			d.scheduled++
		}
		in.Schedule = &contract.Schedule{Attempt: d.scheduled, Policy: d.p.Retry, Throttled: d.throttledFor}
	}
	d.attemptNo++
	in.AttemptNo = d.attemptNo
	res, err := ev.attempt(ctx, d, in)
	switch {
	case err != nil:
	case res.Paced:
		d.attemptNo--
		if counted {
			d.scheduled--
		}
	case !attempt.Counted(res.Outcome, res.Status):
		// Asked to slow down: not an attempt of the schedule.
		if counted {
			d.scheduled--
		}
		d.throttledFor += res.Delay
	}
	return res, err
}

// waitPaced waits out a paced result: what it waits for is shown. False:
// cancelled.
func (ev *eventRun) waitPaced(ctx workflow.Context, d *deliveryRun, res contract.DeliverResult) bool {
	d.waitingFor, d.nextAt = res.WaitingFor, workflow.Now(ctx).Add(res.Delay)
	ev.showDetails(ctx)
	ev.markDelivering(ctx)
	return workflow.Sleep(ctx, res.Delay) == nil
}

// settle takes an attempt's answer in: the delivery's state, the details
// shown, and what the integration's health asks for.
func (ev *eventRun) settle(ctx workflow.Context, d *deliveryRun, res contract.DeliverResult) {
	d.waitingFor = ""
	d.status, d.reason = res.Status, res.Reason
	d.nextAt = workflow.Now(ctx).Add(res.Delay)
	ev.showDetails(ctx)
	if res.Decision.Disable || res.Decision.Recovered {
		ev.markDelivering(ctx) // starting a child waits for the server
	}
	act(ctx, d.p.IntegrationID, res.Decision)
}

// backoff waits for the next attempt: the delay, or less when a resend or
// the integration's recovery wakes it (not within a wait the receiver asked
// for: only a resend cuts that short). It says the next attempt's trigger;
// false: cancelled.
func (ev *eventRun) backoff(ctx workflow.Context, d *deliveryRun, res contract.DeliverResult) (herald.Trigger, bool) {
	d.wakeRecovered = false
	ev.markDelivering(ctx)
	waitFrom := workflow.Now(ctx)
	woken, err := workflow.AwaitWithTimeout(ctx, res.Delay, func() bool { return d.wakeManual || d.wakeRecovered })
	if err != nil {
		return "", false
	}
	if rest := waitFrom.Add(res.RetryAfter).Sub(workflow.Now(ctx)); woken && !d.wakeManual && rest > 0 {
		if _, err := workflow.AwaitWithTimeout(ctx, rest, func() bool { return d.wakeManual }); err != nil {
			return "", false
		}
	}
	trigger := herald.TriggerAuto
	if woken && d.wakeManual {
		d.wakeManual, trigger = false, herald.TriggerManual
	}
	d.wakeRecovered = false
	return trigger, true
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

// attempt runs Deliver: as a local activity on the fast path, else (or
// when the local one could not answer) as an activity.
func (ev *eventRun) attempt(ctx workflow.Context, d *deliveryRun, in contract.DeliverInput) (contract.DeliverResult, error) {
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
		if err == nil || isFinal(err) {
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

// isFinal reports whether an activity failed in a way no other try mends:
// its delivery or integration no longer exists, or its request cannot be made.
func isFinal(err error) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && slices.Contains(contract.FinalErrorTypes, appErr.Type())
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
	ev.start(ctx, d, oneOff)
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
	out := make([]contract.DeliveryEnd, len(ev.order))
	for i, d := range ev.order {
		out[i] = contract.DeliveryEnd{DeliveryID: d.p.DeliveryID, IntegrationID: d.p.IntegrationID, Status: d.status, Reason: d.reason}
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

// Summarize is the overall status of an event's deliveries (contract.Summarize).
func Summarize(outcomes []contract.DeliveryEnd) contract.EventStatus {
	var c contract.Counts
	for _, o := range outcomes {
		c.Count(o.Status)
	}
	return contract.Summarize(c)
}

func setStatus(ctx workflow.Context, status contract.EventStatus, more ...temporal.SearchAttributeUpdate) {
	upd := append([]temporal.SearchAttributeUpdate{contract.AttrDeliveryStatus.ValueSet(string(status))}, more...)
	if err := workflow.UpsertTypedSearchAttributes(ctx, upd...); err != nil {
		workflow.GetLogger(ctx).Warn("upsert search attributes", "error", err)
	}
}
