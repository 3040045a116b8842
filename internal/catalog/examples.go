package catalog

import "github.com/heraldhq/herald/internal/eventtype"

// Example is an event body of the catalog: its type and its data.
type Example struct {
	Type string
	Data string
}

// Examples are the catalog's example events, by name: the seed platform's
// documented build:start verbatim, one or more per catalogued type, and one
// type nobody knows. Every chat renderer is pinned on each of them (golden
// files in internal/channels), docs/events.md shows them, and each validates
// against its type's schema (TestExamplesMatchTheirSchemas).
var Examples = map[string]Example{
	// The seed's documented example, verbatim.
	"build-start":   {Type: "build:start", Data: `{"build":{"id":"social-hour-1312","branch":"master","pullRequestId":null,"status":"STARTING","sha":"ca624abed0d5ba0ad6e6fe28c396196b81f0200d","concluded":false,"createdAt":"2022-01-19T09:04:40.916Z"},"service":{"id":"website","name":"Website"},"project":{"id":"personal-blog","name":"Personal Blog"},"user":{"id":"thomas"}}`},
	"build-success": {Type: "build:success", Data: `{"build":{"id":"social-hour-1313","branch":"main","status":"SUCCESS","sha":"0d5ba0ad6e6fe28c396196b81f0200dca624abe","message":"Add the pricing page\n\nCloses #12","concluded":true,"createdAt":"2022-01-19T09:04:40.916Z","concludedAt":"2022-01-19T09:07:12.003Z","url":"https://app.example.com/builds/social-hour-1313"},"service":{"id":"website","name":"Website"},"project":{"id":"personal-blog","name":"Personal Blog"},"user":{"id":"thomas","name":"Thomas"}}`},
	"build-failure": {Type: "build:failure", Data: `{"build":{"id":"social-hour-1314","branch":"feature/<new>&shiny","status":"FAILURE","sha":"c396196b81f0200dca624abed0d5ba0ad6e6fe28","createdAt":"2022-01-19T10:00:00Z","concludedAt":"2022-01-19T10:01:05Z"},"service":{"id":"api","name":"API"},"project":{"id":"shop","name":"Shop"},"reason":"exit code 1 in step 'npm test'"}`},
	"build-abort":   {Type: "build:abort", Data: `{"build":{"id":"social-hour-1315","branch":"fix/typo","pullRequestId":42,"status":"ABORTED","sha":"6e6fe28c396196b81f0200dca624abed0d5ba0ad","createdAt":"2022-01-19T11:00:00Z","concludedAt":"2022-01-19T11:00:40Z"},"service":{"id":"website","name":"Website"},"project":{"id":"personal-blog","name":"Personal Blog"},"user":{"id":"ana","name":"Ana"}}`},

	"deployment-status-update": {Type: "service:deployment:status-update", Data: `{"deployment":{"id":"dep-9","status":"COMPLETED","previousStatus":"DEPLOYING","sha":"ca624abed0d5ba0ad6e6fe28c396196b81f0200d","branch":"master","image":"registry.example.com/website:ca624ab","instances":3,"createdAt":"2022-01-19T09:08:00Z"},"service":{"id":"website","name":"Website"},"project":{"id":"personal-blog","name":"Personal Blog"}}`},
	"deployment-failed":        {Type: "service:deployment:status-update", Data: `{"deployment":{"id":"dep-10","status":"FAILED","previousStatus":"DEPLOYING","sha":"c396196b81f0200dca624abed0d5ba0ad6e6fe28","createdAt":"2022-01-19T10:05:00Z"},"service":{"id":"api","name":"API"},"project":{"id":"shop","name":"Shop"},"reason":"readiness probe failed 3 times on port 8080"}`},
	"autoscaling-event":        {Type: "service:autoscaling:event", Data: `{"autoscaling":{"previousInstances":2,"instances":4,"minInstances":1,"maxInstances":10,"metric":"cpu","value":85,"target":70,"createdAt":"2022-01-19T12:30:00Z"},"service":{"id":"api","name":"API"},"project":{"id":"shop","name":"Shop"}}`},

	"job-run-start":   {Type: "job-run:start", Data: `{"job":{"id":"nightly-report","name":"Nightly report"},"run":{"id":"run-42","status":"RUNNING","createdAt":"2022-02-01T02:00:00Z"},"project":{"id":"analytics","name":"Analytics"}}`},
	"job-run-success": {Type: "job-run:success", Data: `{"job":{"id":"nightly-report","name":"Nightly report"},"run":{"id":"run-41","status":"SUCCESS","exitCode":0,"createdAt":"2022-01-31T02:00:00Z","concludedAt":"2022-01-31T02:02:41Z"},"project":{"id":"analytics","name":"Analytics"}}`},
	"job-run-failure": {Type: "job-run:failure", Data: `{"job":{"id":"nightly-report","name":"Nightly report"},"run":{"id":"run-42","status":"FAILED","exitCode":137,"createdAt":"2022-02-01T02:00:00Z","finishedAt":"2022-02-01T02:03:10Z"},"project":{"id":"analytics","name":"Analytics"},"message":"OOMKilled"}`},
	"job-run-abort":   {Type: "job-run:abort", Data: `{"job":{"id":"nightly-report","name":"Nightly report"},"run":{"id":"run-43","status":"ABORTED","createdAt":"2022-02-02T02:00:00Z","concludedAt":"2022-02-02T02:00:12Z"},"project":{"id":"analytics","name":"Analytics"},"user":{"id":"thomas","name":"Thomas"}}`},

	"backup-start":         {Type: "backup:start", Data: `{"addon":{"id":"postgres-main","name":"postgres-main","type":"postgresql"},"backup":{"id":"bkp-2022-03-01","type":"snapshot","status":"IN_PROGRESS","createdAt":"2022-03-01T03:00:00Z"},"project":{"id":"shop","name":"Shop"}}`},
	"backup-success":       {Type: "backup:success", Data: `{"addon":{"id":"postgres-main","name":"postgres-main","type":"postgresql"},"backup":{"id":"bkp-2022-03-01","type":"snapshot","status":"COMPLETED","size":1288490189,"createdAt":"2022-03-01T03:00:00Z","completedAt":"2022-03-01T03:04:00Z"},"project":{"id":"shop","name":"Shop"}}`},
	"backup-failure":       {Type: "backup:failure", Data: `{"addon":{"id":"postgres-main","name":"postgres-main","type":"postgresql"},"backup":{"id":"bkp-2022-03-02","type":"dump","status":"FAILED","createdAt":"2022-03-02T03:00:00Z","completedAt":"2022-03-02T03:00:30Z"},"project":{"id":"shop","name":"Shop"},"reason":"pg_dump: connection refused"}`},
	"backup-abort":         {Type: "backup:abort", Data: `{"addon":{"id":"postgres-main","name":"postgres-main","type":"postgresql"},"backup":{"id":"bkp-2022-03-03","status":"ABORTED","createdAt":"2022-03-03T03:00:00Z","completedAt":"2022-03-03T03:01:00Z"},"project":{"id":"shop","name":"Shop"},"user":{"id":"ana","name":"Ana"}}`},
	"addon-backup-success": {Type: "addon-backup:success", Data: `{"addon":{"id":"redis-cache","name":"redis-cache","type":"redis"},"backup":{"id":"bkp-7","status":"COMPLETED","size":52428800,"createdAt":"2022-03-01T04:00:00Z","completedAt":"2022-03-01T04:00:20Z"},"project":{"id":"shop","name":"Shop"}}`},

	"billing-invoice-paid":   {Type: "billing:invoice-paid", Data: `{"invoice":{"id":"in_1Mx","number":"HRLD-2022-0003","amount":"1234.5","currency":"usd","description":"Team plan","periodStart":"2022-03-01T00:00:00Z","periodEnd":"2022-03-31T23:59:59Z","status":"paid","url":"https://billing.example.com/invoices/in_1Mx"}}`},
	"billing-invoice-failed": {Type: "billing:invoice-failed", Data: `{"invoice":{"id":"in_2Nq","amountMinor":4250,"currency":"EUR","description":"Compute usage","periodStart":"2022-04-01","periodEnd":"2022-04-30","dueAt":"2022-05-05T00:00:00Z","status":"open"},"reason":"the card was declined"}`},

	"alert-container-crash":      {Type: "alert:container-crash", Data: `{"alert":{"container":"api-5c8b-x2k9q","reason":"OOMKilled","exitCode":137,"restarts":3,"createdAt":"2022-04-01T11:58:00Z"},"service":{"id":"api","name":"API"},"project":{"id":"shop","name":"Shop"}}`},
	"alert-high-cpu":             {Type: "alert:high-cpu", Data: `{"alert":{"container":"api-5c8b-x2k9q","value":97,"threshold":80,"createdAt":"2022-04-01T11:59:00Z"},"service":{"id":"api","name":"API"},"project":{"id":"shop","name":"Shop"}}`},
	"alert-high-memory":          {Type: "alert:high-memory", Data: `{"alert":{"container":"website-7d9f-abcde","value":"93%","threshold":"90%","createdAt":"2022-04-01T12:00:00Z"},"service":{"id":"website","name":"Website"},"project":{"id":"personal-blog","name":"Personal Blog"}}`},
	"alert-high-memory-resolved": {Type: "alert:high-memory:resolved", Data: `{"alert":{"container":"website-7d9f-abcde","value":61,"threshold":90,"createdAt":"2022-04-01T12:20:00Z"},"service":{"id":"website","name":"Website"},"project":{"id":"personal-blog","name":"Personal Blog"}}`},
	"alert-volume-space":         {Type: "alert:volume-space", Data: `{"alert":{"volume":"website-data","used":9771050598,"total":10737418240,"threshold":90,"createdAt":"2022-04-01T12:05:00Z"},"service":{"id":"website","name":"Website"},"project":{"id":"personal-blog","name":"Personal Blog"}}`},
	"alert-group":                {Type: eventtype.AlertGroup, Data: `{"summary":"3 × high-memory on Website in the last 30s","count":3,"types":{"high-memory":3},"services":["Website"],"projects":["Personal Blog"],"firstSeen":"2022-04-01T12:00:00Z","lastSeen":"2022-04-01T12:00:29Z","groupKey":"9f2c","kind":"grouped","alerts":[{"id":"a1","type":"alert:high-memory","receivedAt":"2022-04-01T12:00:00Z","data":{}}]}`},

	"deployment-start":   {Type: "deployment:start", Data: `{"deployment":{"id":"dep-11","status":"DEPLOYING","sha":"ca624abed0d5ba0ad6e6fe28c396196b81f0200d","createdAt":"2022-01-19T09:07:30Z"},"service":{"id":"website","name":"Website"},"project":{"id":"personal-blog","name":"Personal Blog"},"user":{"id":"thomas"}}`},
	"deployment-success": {Type: "deployment:success", Data: `{"deployment":{"id":"dep-11","status":"COMPLETED","sha":"ca624abed0d5ba0ad6e6fe28c396196b81f0200d","instances":2,"createdAt":"2022-01-19T09:08:10Z"},"service":{"id":"website","name":"Website"},"project":{"id":"personal-blog","name":"Personal Blog"}}`},
	"deployment-failure": {Type: "deployment:failure", Data: `{"deployment":{"id":"dep-12","status":"FAILED","createdAt":"2022-01-19T09:09:00Z"},"service":{"id":"website","name":"Website"},"project":{"id":"personal-blog","name":"Personal Blog"},"reason":"image pull back-off"}`},
	"deployment-abort":   {Type: "deployment:abort", Data: `{"deployment":{"id":"dep-13","status":"ABORTED","createdAt":"2022-01-19T09:10:00Z"},"service":{"id":"website","name":"Website"},"project":{"id":"personal-blog","name":"Personal Blog"},"user":{"id":"ana","name":"Ana"}}`},

	"addon-backup-start":   {Type: "addon-backup:start", Data: `{"addon":{"id":"redis-cache","name":"redis-cache","type":"redis"},"backup":{"id":"bkp-8","status":"IN_PROGRESS","createdAt":"2022-03-02T04:00:00Z"},"project":{"id":"shop","name":"Shop"}}`},
	"addon-backup-failure": {Type: "addon-backup:failure", Data: `{"addon":{"id":"redis-cache","name":"redis-cache","type":"redis"},"backup":{"id":"bkp-8","status":"FAILED","createdAt":"2022-03-02T04:00:00Z","completedAt":"2022-03-02T04:00:05Z","error":"disk quota exceeded"},"project":{"id":"shop","name":"Shop"}}`},
	"addon-backup-abort":   {Type: "addon-backup:abort", Data: `{"addon":{"id":"redis-cache","name":"redis-cache"},"backup":{"id":"bkp-9","status":"ABORTED"},"project":{"id":"shop","name":"Shop"}}`},

	"alert-container-crash-resolved": {Type: "alert:container-crash:resolved", Data: `{"alert":{"container":"api-5c8b-x2k9q","restarts":3,"createdAt":"2022-04-01T12:10:00Z"},"service":{"id":"api","name":"API"},"project":{"id":"shop","name":"Shop"}}`},
	"alert-high-cpu-resolved":        {Type: "alert:high-cpu:resolved", Data: `{"alert":{"container":"api-5c8b-x2k9q","value":41,"threshold":80,"createdAt":"2022-04-01T12:15:00Z"},"service":{"id":"api","name":"API"},"project":{"id":"shop","name":"Shop"}}`},
	"alert-volume-space-resolved":    {Type: "alert:volume-space:resolved", Data: `{"alert":{"volume":{"id":"vol-1","name":"website-data"},"used":"6.2 GiB","total":"20 GiB","createdAt":"2022-04-02T09:00:00Z"},"service":{"id":"website","name":"Website"},"project":{"id":"personal-blog","name":"Personal Blog"}}`},
	"alert-summary":                  {Type: eventtype.AlertGroup, Data: `{"summary":"140 × high-cpu, 12 × container-crash on API, Worker","count":152,"types":{"high-cpu":140,"container-crash":12},"services":["API","Worker"],"projects":["Shop"],"firstSeen":"2022-04-01T12:00:00Z","lastSeen":"2022-04-01T12:59:58Z","groupKey":"77aa","kind":"summary","alerts":[]}`},

	"integration-test":      {Type: eventtype.IntegrationTest, Data: `{"integration":{"id":"int_7","name":"ops-slack","type":"SLACK"},"message":"Herald can reach this channel."}`},
	"integration-recovered": {Type: eventtype.IntegrationRecovered, Data: `{"integration":{"id":"int_7","name":"ops-slack","type":"SLACK"}}`},
	"integration-disabled":  {Type: eventtype.IntegrationDisabled, Data: `{"integration":{"id":"int_7","name":"ops-slack","type":"SLACK"},"reason":"HTTP 404: Slack says channel_not_found","disabledBy":"herald","disabledAt":"2022-05-01T08:00:00Z"}`},
	"unknown-type":          {Type: "quota:exceeded", Data: `{"project":{"id":"shop","name":"Shop"},"quota":"builds","used":1200,"limit":1000,"details":{"window":"30d","hard":true},"tags":["billing","limits"]}`},
}
