package eventread

import (
	"sort"
	"strconv"
	"strings"

	"github.com/heraldhq/herald/internal/eventtype"
)

// readers know, per category, where an event's data keeps what a person wants
// to read: docs/events.md lists the fields each one reads. The seed platform
// documents only build:start's body; the others follow its shape (the
// category's object beside project and service) and each reader also takes
// the obvious alternative names, so a sender's spelling is not a silent blank.
var readers = map[string]func(*reading){
	"build":        readBuild,
	"deployment":   readDeployment,
	"service":      readService,
	"job-run":      readJobRun,
	"backup":       readBackup,
	"addon-backup": readBackup,
	"billing":      readBilling,
	"alert":        readAlert,
	"integration":  readIntegration,
}

// reading is one event being read into its Summary.
type reading struct {
	Summary
	data map[string]any
	// entity is the category's own object (data.build, data.run, …).
	entity map[string]any
	// action is the type without its category ("status-update", "high-cpu:resolved").
	action string
}

// use makes the first of keys that holds an object the entity and returns it.
func (r *reading) use(keys ...string) map[string]any {
	for _, k := range keys {
		if m, ok := r.data[k].(map[string]any); ok {
			r.entity = m
			return m
		}
	}
	r.entity = map[string]any{}
	return r.entity
}

// get reads the first present path of the event's data; ent of the entity.
func (r *reading) get(paths ...string) string { return firstString(r.data, paths...) }
func (r *reading) ent(paths ...string) string { return firstString(r.entity, paths...) }

func (r *reading) add(name, value string) {
	if value != "" {
		r.Fields = append(r.Fields, Field{name, value})
	}
}

// headline sets the title: what happened, then what it happened to.
func (r *reading) headline(what, subject string) {
	r.Title = what
	if subject != "" {
		r.Title += " · " + subject
	}
}

// scope adds where the event happened: project and service.
func (r *reading) scope() {
	r.add("Project", nameAndID(r.data, "project"))
	r.add("Service", nameAndID(r.data, "service"))
}

// service is the name a title uses for the event's service.
func (r *reading) service() string { return r.get("service.name", "service.id") }

// reason is why something failed, wherever the sender put it.
func (r *reading) reason() string {
	if v := r.get("reason", "message", "error"); v != "" {
		return v
	}
	return r.ent("reason", "error", "failureReason", "statusMessage")
}

// user is who triggered the event.
func (r *reading) user() string { return r.get("user.name", "user.email", "user.id") }

// times adds the entity's start, finish and the duration between them, and
// returns the duration.
func (r *reading) times() string {
	start := r.ent("createdAt", "startedAt")
	end := r.ent("concludedAt", "finishedAt", "completedAt", "endedAt")
	took := elapsed(start, end)
	r.add("Duration", took)
	r.add("Started", when(start))
	r.add("Finished", when(end))
	return took
}

// outcome is what the last segment of an action says happened.
type outcome struct {
	verb string
	tone Tone
	// kind is the outcome's family, for the sentence readers build.
	kind outcomeKind
}

type outcomeKind int

const (
	kindOther outcomeKind = iota
	kindStarted
	kindSucceeded
	kindFailed
	kindAborted
)

var outcomes = map[string]outcome{}

func init() {
	for kind, words := range map[outcome][]string{
		{"started", ToneStarted, kindStarted}:     {"start", "started", "starting"},
		{"succeeded", ToneSuccess, kindSucceeded}: {"success", "succeeded", "successful", "complete", "completed"},
		{"failed", ToneFailure, kindFailed}:       {"failure", "failed", "error"},
		{"aborted", ToneAborted, kindAborted}:     {"abort", "aborted", "cancelled", "canceled"},
	} {
		for _, w := range words {
			outcomes[w] = kind
		}
	}
}

// outcome reads the action's last segment ("build:abort" → aborted); any
// other action is shown in words with the neutral tone.
func (r *reading) outcome() outcome {
	last := r.action[strings.LastIndex(r.action, ":")+1:]
	if o, ok := outcomes[last]; ok {
		return o
	}
	return outcome{verb: words(r.action), tone: ToneInfo}
}

// words turns an action into words: "invoice-paid" → "invoice paid".
func words(action string) string {
	return strings.NewReplacer(":", " ", "-", " ").Replace(action)
}

// sentence joins the non-empty parts with sep.
func sentence(sep string, parts ...string) string {
	var kept []string
	for _, p := range parts {
		if p != "" {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, sep)
}

// prefixed is prefix+v, or "" when v is empty.
func prefixed(prefix, v string) string {
	if v == "" {
		return ""
	}
	return prefix + v
}

// firstLine is a commit message's subject line.
func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return strings.TrimSpace(line)
}

// finish is how a sentence about a run ends for its outcome: who started
// it, how long it took to succeed, why it failed, who stopped it.
func finish(o outcome, took, reason, user string) string {
	switch o.kind {
	case kindStarted:
		return sentence(" ", "started", prefixed("by ", user))
	case kindSucceeded:
		return sentence(" ", "succeeded", prefixed("in ", took))
	case kindFailed:
		return sentence(": ", sentence(" ", "failed", prefixed("after ", took)), reason)
	case kindAborted:
		return sentence(" ", "stopped", prefixed("by ", user), prefixed("after ", took))
	}
	return o.verb
}

// readBuild: data.build {id, branch, pullRequestId, sha, message, status,
// createdAt, concludedAt, url}, as in the seed's build:start.
func readBuild(r *reading) {
	r.use("build")
	o := r.outcome()
	r.Tone = o.tone
	r.headline("Build "+o.verb, r.service())
	branch, pr := r.ent("branch"), r.ent("pullRequestId", "pullRequest.id")
	sha := shortSHA(r.ent("sha", "commit", "commitSha"))
	ref := branch
	if pr != "" {
		ref = sentence(" ", "pull request #"+pr, prefixed("from ", branch))
	}
	reason := r.reason()
	r.scope()
	r.add("Branch", branch)
	r.add("Pull request", prefixed("#", pr))
	r.add("Commit", sha)
	r.add("Commit message", firstLine(r.ent("message", "commitMessage")))
	r.add("Build", r.ent("id"))
	r.add("Status", r.ent("status"))
	r.add("Triggered by", r.user())
	r.add("Reason", reason)
	took := r.times()
	r.Text = sentence(", ", sentence(" at ", ref, sha), finish(o, took, reason, r.user()))
}

// readJobRun: data.job {id, name} and data.run (or jobRun) {id, status,
// exitCode, createdAt, concludedAt}.
func readJobRun(r *reading) {
	job := r.get("job.name", "job.id")
	r.use("run", "jobRun")
	o := r.outcome()
	r.Tone = o.tone
	r.headline("Job run "+o.verb, job)
	reason := r.reason()
	r.add("Project", nameAndID(r.data, "project"))
	r.add("Job", nameAndID(r.data, "job"))
	run := r.ent("id")
	r.add("Run", run)
	r.add("Status", r.ent("status"))
	r.add("Exit code", r.ent("exitCode"))
	r.add("Triggered by", r.user())
	r.add("Reason", reason)
	took := r.times()
	r.Text = sentence(" ", prefixed("Run ", run), finish(o, took, reason, r.user()))
}

// readBackup: data.addon {id, name, type} and data.backup {id, name, type,
// status, size (bytes), createdAt, completedAt}. addon-backup is the same.
func readBackup(r *reading) {
	addon := r.get("addon.name", "addon.id")
	r.use("backup")
	o := r.outcome()
	r.Tone = o.tone
	r.headline("Backup "+o.verb, addon)
	reason := r.reason()
	size := humanBytes(r.ent("size", "sizeBytes", "bytes"))
	backup := r.ent("name", "id")
	r.add("Project", nameAndID(r.data, "project"))
	r.add("Addon", sentence(" · ", nameAndID(r.data, "addon"), r.get("addon.type")))
	r.add("Backup", backup)
	r.add("Kind", r.ent("type", "kind"))
	r.add("Size", size)
	r.add("Status", r.ent("status"))
	r.add("Reason", reason)
	took := r.times()
	of := sentence(" of ", prefixed("Backup ", backup), addon)
	switch o.kind {
	case kindSucceeded:
		r.Text = sentence(": ", of, sentence(" in ", size, took))
	default:
		r.Text = sentence(" ", of, finish(o, took, reason, r.user()))
	}
}

// billingActions are the billing events' own words.
var billingActions = map[string]outcome{
	"invoice-paid":     {"Invoice paid", ToneSuccess, kindSucceeded},
	"payment-success":  {"Payment received", ToneSuccess, kindSucceeded},
	"invoice-failed":   {"Payment failed", ToneFailure, kindFailed},
	"payment-failed":   {"Payment failed", ToneFailure, kindFailed},
	"invoice-created":  {"Invoice issued", ToneInfo, kindOther},
	"invoice-upcoming": {"Upcoming invoice", ToneInfo, kindOther},
}

// readBilling: data.invoice {id, amount (major units) or amountMinor
// (integer minor units), currency (ISO 4217), description, periodStart,
// periodEnd, dueAt, status, url}.
func readBilling(r *reading) {
	r.use("invoice", "billing", "payment")
	o, ok := billingActions[r.action]
	if !ok {
		o = outcome{"Billing: " + words(r.action), ToneInfo, kindOther}
	}
	r.Tone = o.tone
	currency := firstString(r.entity, "currency")
	if currency == "" {
		currency = r.get("currency")
	}
	amount := r.ent("amount", "total")
	if amount == "" {
		amount = minorToMajor(r.ent("amountMinor", "amountCents"), currency)
	}
	amt := ""
	if amount != "" {
		amt = money(amount, currency)
	}
	r.headline(o.verb, amt)
	period := sentence(" – ", day(r.ent("periodStart", "period.start")), day(r.ent("periodEnd", "period.end")))
	purpose := r.ent("description", "plan", "plan.name")
	if purpose == "" {
		purpose = r.get("description")
	}
	reason := r.reason()
	invoice := r.ent("number", "id")
	r.add("Amount", amt)
	r.add("For", purpose)
	r.add("Period", period)
	r.add("Invoice", invoice)
	r.add("Status", r.ent("status"))
	r.add("Due", day(r.ent("dueAt", "dueDate")))
	r.add("Reason", reason)
	r.add("Project", nameAndID(r.data, "project"))
	r.Text = sentence(" ", sentence(" for ", prefixed("Invoice ", invoice), amt), parenthesised(sentence(", ", purpose, period)))
	if o.kind == kindFailed {
		r.Text = sentence(": ", r.Text, reason)
	}
}

// alertNames are the infrastructure alerts' titles.
var alertNames = map[string]string{"container-crash": "Container crashed", "high-cpu": "High CPU usage",
	"high-memory": "High memory usage", "volume-space": "Volume nearly full"}

// readAlert: data.alert plus service and project; the fields it reads depend
// on the alert (see each case). ":resolved" on the type, or alert.resolved,
// says the condition has ended.
func readAlert(r *reading) {
	if r.Type == eventtype.AlertGroup {
		readAlertGroup(r)
		return
	}
	r.use("alert")
	name, resolved := strings.CutSuffix(r.action, ":resolved")
	resolved = resolved || r.ent("resolved") == "true" || r.get("resolved") == "true"
	what := alertNames[name]
	if what == "" {
		what = "Alert: " + words(name)
	}
	r.Tone = ToneWarning
	if name == "container-crash" {
		r.Tone = ToneFailure
	}
	if resolved {
		what, r.Tone = "Resolved: "+what, ToneSuccess
	}
	r.headline(what, r.get("service.name", "service.id", "addon.name", "addon.id"))
	r.scope()
	if r.get("addon.id", "addon.name") != "" {
		r.add("Addon", nameAndID(r.data, "addon"))
	}
	container := r.ent("container", "container.name", "containerName", "instance")
	r.add("Container", container)
	switch name {
	case "container-crash":
		// alert {container, reason, exitCode, restarts}
		reason, code, restarts := r.ent("reason"), r.ent("exitCode", "exit_code"), r.ent("restarts", "restartCount")
		r.add("Reason", reason)
		r.add("Exit code", code)
		r.add("Restarts", restarts)
		r.Text = sentence(" ", orWord(container, "The container"), "exited", prefixed("with code ", code))
		if reason != "" {
			r.Text += " (" + reason + ")"
		}
		if restarts != "" {
			r.Text += "; restarted " + restarts + " " + plural(restarts, "time", "times")
		}
	case "high-cpu", "high-memory":
		// alert {container, value, threshold}: plain numbers are percentages.
		resource := map[string]string{"high-cpu": "CPU", "high-memory": "Memory"}[name]
		value, threshold := percent(r.ent("value", "usage")), percent(r.ent("threshold", "limit"))
		r.add(resource, value)
		r.add("Threshold", threshold)
		if value != "" {
			r.Text = resource + " at " + value + prefixed(" on ", container)
			switch {
			case threshold != "" && resolved:
				r.Text += ", back under the " + threshold + " threshold"
			case threshold != "":
				r.Text += ", above the " + threshold + " threshold"
			}
		}
	case "volume-space":
		// alert {volume, used, total} in bytes (or text with units), threshold.
		volume := r.ent("volume.name", "volume", "volumeName", "volume.id")
		usedRaw, totalRaw := r.ent("used", "usedBytes"), r.ent("total", "totalBytes", "size")
		used, total, share := humanBytes(usedRaw), humanBytes(totalRaw), ratio(usedRaw, totalRaw)
		r.add("Volume", volume)
		r.add("Used", sentence(" ", used, parenthesised(share)))
		r.add("Total", total)
		r.add("Threshold", percent(r.ent("threshold")))
		if used != "" {
			r.Text = sentence(": ", volume, sentence(" ", sentence(" of ", used, total), "used", parenthesised(share)))
		}
	default:
		value, threshold := r.ent("value"), r.ent("threshold")
		r.add("Value", value)
		r.add("Threshold", threshold)
		r.add("Reason", r.ent("reason"))
	}
	r.add("Since", when(r.ent("createdAt", "startedAt")))
}

// readAlertGroup: Herald's own alert:group (see internal/alerts).
func readAlertGroup(r *reading) {
	r.Tone = ToneWarning
	r.Title = orWord(r.get("summary"), "Alerts")
	if r.get("kind") == "summary" {
		r.Title = "Still happening: " + r.Title
	}
	r.add("Alerts", r.get("count"))
	r.add("Types", countsText(r.data["types"]))
	r.add("Services", joinList(r.data["services"]))
	r.add("Projects", joinList(r.data["projects"]))
	r.add("First seen", when(r.get("firstSeen")))
	r.add("Last seen", when(r.get("lastSeen")))
	r.Timestamp = r.get("lastSeen")
}

// readService: the seed's service:deployment:status-update and
// service:autoscaling:event; other service events in words.
func readService(r *reading) {
	switch {
	case strings.HasPrefix(r.action, "deployment"):
		readDeployment(r)
	case strings.HasPrefix(r.action, "autoscaling"):
		readAutoscaling(r)
	default:
		r.use("service")
		r.headline("Service "+words(r.action), r.service())
		r.scope()
		r.add("Status", r.get("status"))
		r.add("Reason", r.reason())
	}
}

// deploymentStatuses map a deployment's status to what it means.
var deploymentStatuses = map[string]outcome{}

func init() {
	for o, statuses := range map[outcome][]string{
		{"in progress", ToneStarted, kindStarted}: {"PENDING", "QUEUED", "STARTING", "DEPLOYING", "IN_PROGRESS", "ROLLING_OUT", "CREATED"},
		{"completed", ToneSuccess, kindSucceeded}: {"COMPLETED", "SUCCESS", "SUCCEEDED", "DEPLOYED", "RUNNING", "HEALTHY", "LIVE"},
		{"failed", ToneFailure, kindFailed}:       {"FAILED", "FAILURE", "ERROR", "CRASHED", "CRASH_LOOP", "UNHEALTHY"},
		{"aborted", ToneAborted, kindAborted}:     {"ABORTED", "CANCELLED", "CANCELED"},
		{"rolled back", ToneWarning, kindAborted}: {"ROLLED_BACK", "ROLLBACK"},
	} {
		for _, s := range statuses {
			deploymentStatuses[s] = o
		}
	}
}

// readDeployment: data.deployment {id, status, previousStatus, sha, branch,
// image, build.id, instances}. The status decides the outcome of a
// status-update; deployment:<outcome> types say it themselves.
func readDeployment(r *reading) {
	r.use("deployment")
	status := r.ent("status")
	o, ok := deploymentStatuses[strings.ToUpper(strings.ReplaceAll(status, "-", "_"))]
	if !ok {
		o = r.outcome()
		if !strings.HasPrefix(r.Type, "deployment:") && status != "" {
			o = outcome{"status: " + status, ToneInfo, kindOther}
		} else if !strings.HasPrefix(r.Type, "deployment:") {
			o = outcome{"updated", ToneInfo, kindOther}
		}
	}
	r.Tone = o.tone
	r.headline("Deployment "+o.verb, r.service())
	reason := r.reason()
	previous := r.ent("previousStatus", "previous.status")
	sha := shortSHA(r.ent("sha", "commit", "commitSha", "build.sha"))
	image := r.ent("image", "imagePath", "image.path")
	r.scope()
	r.add("Status", sentence(" → ", previous, status))
	r.add("Commit", sha)
	r.add("Branch", r.ent("branch", "build.branch"))
	r.add("Build", r.ent("build.id", "buildId"))
	r.add("Image", image)
	r.add("Instances", r.ent("instances", "replicas"))
	r.add("Deployment", r.ent("id"))
	r.add("Triggered by", r.user())
	r.add("Reason", reason)
	r.Text = sentence(", ", sentence(" ", status, parenthesised(prefixed("was ", previous))), prefixed("commit ", sha), prefixed("image ", image))
	if o.kind == kindFailed {
		r.Text = sentence(": ", r.Text, reason)
	}
}

// readAutoscaling: data.autoscaling {previousInstances, instances, reason,
// metric, value, target}.
func readAutoscaling(r *reading) {
	r.use("autoscaling", "scaling")
	from := r.ent("previousInstances", "fromInstances", "from")
	to := r.ent("instances", "toInstances", "currentInstances", "to")
	what := "Autoscaled"
	a, errA := strconv.Atoi(from)
	b, errB := strconv.Atoi(to)
	switch {
	case errA == nil && errB == nil && b > a:
		what = "Scaled up"
	case errA == nil && errB == nil && b < a:
		what = "Scaled down"
	}
	r.headline(what, r.service())
	metric := r.ent("metric", "trigger")
	value, target := r.ent("value", "metricValue"), r.ent("target", "threshold")
	if m := strings.ToLower(metric); m == "cpu" || m == "memory" {
		value, target = percent(value), percent(target)
		metric = map[string]string{"cpu": "CPU", "memory": "Memory"}[m]
	}
	instances := sentence(" → ", from, to)
	reason := r.reason()
	r.scope()
	r.add("Instances", instances)
	r.add("Minimum", r.ent("minInstances", "min"))
	r.add("Maximum", r.ent("maxInstances", "max"))
	r.add("Metric", metric)
	r.add("Value", value)
	r.add("Target", target)
	r.add("Reason", reason)
	cause := sentence(" ", metric, prefixed("at ", value), parenthesised(prefixed("target ", target)))
	if cause == "" {
		cause = reason
	}
	if instances != "" {
		instances += " instances"
	}
	r.Text = sentence(": ", instances, cause)
}

// readIntegration: Herald's own integration:disabled, :recovered and :test.
func readIntegration(r *reading) {
	r.use("integration")
	what := map[string]outcome{
		"disabled":  {"Integration disabled", ToneFailure, kindFailed},
		"recovered": {"Integration recovered", ToneSuccess, kindSucceeded},
		"test":      {"Test notification", ToneInfo, kindOther},
	}[r.action]
	if what.verb == "" {
		what = outcome{"Integration " + words(r.action), ToneInfo, kindOther}
	}
	r.Tone = what.tone
	name := r.ent("name", "id")
	r.headline(what.verb, name)
	reason := r.get("reason", "message")
	r.add("Integration", nameAndID(r.data, "integration"))
	r.add("Type", r.ent("type"))
	r.add("Reason", reason)
	r.add("Disabled by", r.get("disabledBy"))
	r.add("Disabled at", when(r.get("disabledAt")))
	switch r.action {
	case "disabled":
		r.Text = sentence(": ", "Herald stopped sending to "+orWord(name, "this integration"), reason)
	case "recovered":
		r.Text = "Herald is sending to " + orWord(name, "this integration") + " again"
	default:
		r.Text = reason
	}
}

func orWord(v, otherwise string) string {
	if v == "" {
		return otherwise
	}
	return v
}

func parenthesised(v string) string {
	if v == "" {
		return ""
	}
	return "(" + v + ")"
}

func plural(n, one, many string) string {
	if n == "1" {
		return one
	}
	return many
}

// countsText shows {"high-memory": 3, "high-cpu": 1} as "high-memory × 3, high-cpu × 1",
// the largest first.
func countsText(v any) string {
	m, _ := v.(map[string]any)
	type kv struct {
		k string
		n int
	}
	var list []kv
	for k, x := range m {
		n, _ := strconv.Atoi(valueString(x))
		list = append(list, kv{k, n})
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].n != list[j].n {
			return list[i].n > list[j].n
		}
		return list[i].k < list[j].k
	})
	var out []string
	for _, e := range list {
		out = append(out, e.k+" × "+strconv.Itoa(e.n))
	}
	return strings.Join(out, ", ")
}
