package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/contract"
)

// Client calls Herald's API with one key through the generated client: the
// paths, parameters and bodies are the document's; the answers are the
// gateway's own wire types; every refusal is an *Error.
type Client struct {
	gen *Generated
}

// Option configures a Client.
type Option func(*settings)

type settings struct {
	userAgent string
}

// UserAgent is what the client says it is unless told otherwise.
const UserAgent = "herald-go-client/1"

// WithUserAgent names the caller (the CLI's makes the audit log say "cli").
func WithUserAgent(ua string) Option {
	return func(s *settings) { s.userAgent = ua }
}

// New is a client of the gateway at base (http://host:port).
func New(base, key string, opts ...Option) *Client {
	base = strings.TrimRight(base, "/")
	set := settings{userAgent: UserAgent}
	for _, o := range opts {
		o(&set)
	}
	h := &http.Client{Timeout: 30 * time.Second, Transport: reach{base: base, next: http.DefaultTransport}}
	gen, err := NewClient(base, WithHTTPClient(h), WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Accept", "application/json")
		req.Header.Set("User-Agent", set.userAgent)
		return nil
	}))
	if err != nil { // only an option's error, and ours make none
		panic(err)
	}
	return &Client{gen: gen}
}

// Error is a problem the gateway answered with.
type Error struct {
	Status int    `json:"status"`
	Title  string `json:"title"`
	Detail string `json:"detail"`
	// Errors point at what in the request is wrong (an event's data).
	Errors []api.ProblemError `json:"errors,omitempty"`
}

// Error says the problem's detail, then each thing it points at that the
// detail does not already say.
func (e *Error) Error() string {
	var b strings.Builder
	if e.Detail != "" {
		fmt.Fprintf(&b, "%s (HTTP %d)", e.Detail, e.Status)
	} else {
		fmt.Fprintf(&b, "%s (HTTP %d)", e.Title, e.Status)
	}
	for _, pe := range e.Errors {
		if !strings.Contains(e.Detail, pe.Detail) {
			fmt.Fprintf(&b, "\n  at %q: %s", pe.Pointer, pe.Detail)
		}
	}
	return b.String()
}

// UnreachableError: no answer from the gateway at all (down, wrong address).
type UnreachableError struct {
	Base string
	Err  error
}

func (e *UnreachableError) Error() string {
	cause := e.Err
	var ue *url.Error
	if errors.As(cause, &ue) {
		cause = ue.Err // the URL is said once, below
	}
	return fmt.Sprintf("cannot reach Herald's gateway at %s (HERALD_URL or --url): %v\n"+
		"is it running? `make dev` runs one on this machine; otherwise set HERALD_URL to your gateway's address", e.Base, cause)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// reach names the gateway when it does not answer at all.
type reach struct {
	base string
	next http.RoundTripper
}

func (r reach) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.next.RoundTrip(req)
	var ne net.Error
	if err != nil && errors.As(err, &ne) { // refused, unresolvable, timed out
		return nil, &UnreachableError{Base: r.base, Err: err}
	}
	return resp, err
}

// answer reads a generated call's answer into T (nothing for a 204).
func answer[T any](resp *http.Response, err error) (T, error) {
	var out T
	if err != nil {
		var ue *UnreachableError
		if errors.As(err, &ue) {
			return out, ue
		}
		return out, err
	}
	defer resp.Body.Close()
	what := resp.Request.Method + " " + resp.Request.URL.Path
	data, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return out, fmt.Errorf("%s: read answer: %w", what, err)
	}
	if resp.StatusCode >= 400 {
		e := &Error{}
		if json.Unmarshal(data, e) != nil || (e.Detail == "" && e.Title == "") {
			e.Title = strings.TrimSpace(string(data))
		}
		e.Status = resp.StatusCode
		return out, e
	}
	if len(data) > 0 {
		if err := json.Unmarshal(data, &out); err != nil {
			return out, fmt.Errorf("%s: decode answer: %w", what, err)
		}
	}
	return out, nil
}

// none is the answer of a route with no body (204).
type none struct{}

// params fills a generated parameter struct from a query: each key is a
// field's form name; times are RFC 3339. An unknown key is an error, not a
// filter silently dropped.
func params[P any](q url.Values) (*P, error) {
	p := new(P)
	v := reflect.ValueOf(p).Elem()
	fields := map[string]reflect.Value{}
	for i := range v.NumField() {
		name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("form"), ",")
		fields[name] = v.Field(i)
	}
	for k, vals := range q {
		if len(vals) == 0 || vals[0] == "" {
			continue
		}
		f, ok := fields[k]
		if !ok {
			return nil, fmt.Errorf("the route takes no %q parameter", k)
		}
		val := reflect.New(f.Type().Elem())
		switch dst := val.Interface().(type) {
		case *string:
			*dst = vals[0]
		case *int:
			n, err := strconv.Atoi(vals[0])
			if err != nil {
				return nil, fmt.Errorf("%s must be a whole number: %q", k, vals[0])
			}
			*dst = n
		case *time.Time:
			t, err := time.Parse(time.RFC3339, vals[0])
			if err != nil {
				return nil, fmt.Errorf("%s must be an RFC 3339 time: %q", k, vals[0])
			}
			*dst = t
		default:
			val.Elem().SetString(vals[0]) // a string enum
		}
		f.Set(val)
	}
	return p, nil
}

// Teams and keys.

func (c *Client) CreateTeam(ctx context.Context, name string) (api.TeamView, error) {
	return answer[api.TeamView](c.gen.CreateTeam(ctx, api.TeamRequest{Name: name}))
}

func (c *Client) ListTeams(ctx context.Context) (api.Page[api.TeamView], error) {
	return answer[api.Page[api.TeamView]](c.gen.ListTeams(ctx))
}

func (c *Client) CreateKey(ctx context.Context, r api.KeyRequest) (api.KeyView, error) {
	return answer[api.KeyView](c.gen.CreateKey(ctx, r))
}

// ListKeys lists keys, of one team when teamID is set.
func (c *Client) ListKeys(ctx context.Context, teamID string) (api.Page[api.KeyView], error) {
	p := &ListKeysParams{}
	if teamID != "" {
		p.TeamId = &teamID
	}
	return answer[api.Page[api.KeyView]](c.gen.ListKeys(ctx, p))
}

func (c *Client) RevokeKey(ctx context.Context, id string) (api.KeyView, error) {
	return answer[api.KeyView](c.gen.RevokeKey(ctx, id))
}

// The caller's team.

func (c *Client) GetTeam(ctx context.Context) (api.TeamSettingsView, error) {
	return answer[api.TeamSettingsView](c.gen.GetTeam(ctx))
}

func (c *Client) UpdateTeam(ctx context.Context, r api.TeamSettingsRequest) (api.TeamSettingsView, error) {
	return answer[api.TeamSettingsView](c.gen.UpdateTeam(ctx, r))
}

// Events.

func (c *Client) SendEvent(ctx context.Context, r api.EventRequest) (api.Accepted, error) {
	return answer[api.Accepted](c.gen.PostEvent(ctx, &PostEventParams{}, r))
}

func (c *Client) GetEvent(ctx context.Context, id string) (api.EventView, error) {
	return answer[api.EventView](c.gen.GetEvent(ctx, id))
}

// ListEvents pages through the team's events (type, project, since, until, cursor, limit).
func (c *Client) ListEvents(ctx context.Context, q url.Values) (api.Page[api.EventView], error) {
	p, err := params[ListEventsParams](q)
	if err != nil {
		return api.Page[api.EventView]{}, err
	}
	return answer[api.Page[api.EventView]](c.gen.ListEvents(ctx, p))
}

// ListAudit is a page of the team's audit log, newest first.
func (c *Client) ListAudit(ctx context.Context, f api.AuditQuery) (api.Page[api.AuditView], error) {
	q := url.Values{"object": {f.Object}, "actor": {f.Actor}, "action": {f.Action}, "cursor": {f.Cursor}}
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	p, err := params[ListAuditParams](q)
	if err != nil {
		return api.Page[api.AuditView]{}, err
	}
	return answer[api.Page[api.AuditView]](c.gen.ListAudit(ctx, p))
}

// The event catalog.

func (c *Client) ListEventTypes(ctx context.Context) (api.Page[api.EventTypeView], error) {
	return answer[api.Page[api.EventTypeView]](c.gen.ListEventTypes(ctx))
}

func (c *Client) GetEventType(ctx context.Context, name string) (api.EventTypeView, error) {
	return answer[api.EventTypeView](c.gen.GetEventType(ctx, name))
}

func (c *Client) CreateEventType(ctx context.Context, r api.EventTypeRequest) (api.EventTypeView, error) {
	return answer[api.EventTypeView](c.gen.CreateEventType(ctx, r))
}

func (c *Client) UpdateEventType(ctx context.Context, name string, r api.EventTypeRequest) (api.EventTypeView, error) {
	return answer[api.EventTypeView](c.gen.UpdateEventType(ctx, name, r))
}

func (c *Client) DeleteEventType(ctx context.Context, name string) error {
	_, err := answer[none](c.gen.DeleteEventType(ctx, name))
	return err
}

// Integrations.

func (c *Client) CreateIntegration(ctx context.Context, r api.IntegrationRequest) (api.IntegrationView, error) {
	return answer[api.IntegrationView](c.gen.CreateIntegration(ctx, r))
}

// UpdateIntegration sends only the fields set in r.
func (c *Client) UpdateIntegration(ctx context.Context, id string, r api.IntegrationRequest) (api.IntegrationView, error) {
	return answer[api.IntegrationView](c.gen.UpdateIntegration(ctx, id, r))
}

func (c *Client) ListIntegrations(ctx context.Context, cursor string, limit int) (api.Page[api.IntegrationView], error) {
	p := &ListIntegrationsParams{Limit: &limit}
	if cursor != "" {
		p.Cursor = &cursor
	}
	return answer[api.Page[api.IntegrationView]](c.gen.ListIntegrations(ctx, p))
}

func (c *Client) GetIntegration(ctx context.Context, id string) (api.IntegrationView, error) {
	return answer[api.IntegrationView](c.gen.GetIntegration(ctx, id))
}

func (c *Client) DeleteIntegration(ctx context.Context, id string) error {
	_, err := answer[none](c.gen.DeleteIntegration(ctx, id))
	return err
}

func (c *Client) EnableIntegration(ctx context.Context, id string) (api.IntegrationView, error) {
	return answer[api.IntegrationView](c.gen.EnableIntegration(ctx, id))
}

func (c *Client) DisableIntegration(ctx context.Context, id, reason string) (api.IntegrationView, error) {
	return answer[api.IntegrationView](c.gen.DisableIntegration(ctx, id, api.DisableRequest{Reason: reason}))
}

func (c *Client) TestIntegration(ctx context.Context, id string) (contract.TestResult, error) {
	return answer[contract.TestResult](c.gen.TestIntegration(ctx, id))
}

// PreviewIntegration is the request integration id would get for an event.
func (c *Client) PreviewIntegration(ctx context.Context, id string, r api.PreviewRequest) (api.Preview, error) {
	return answer[api.Preview](c.gen.PreviewIntegration(ctx, id, r))
}

// PreviewSettings is the request unsaved settings (r.Integration) would make.
func (c *Client) PreviewSettings(ctx context.Context, r api.PreviewRequest) (api.Preview, error) {
	return answer[api.Preview](c.gen.PreviewSettings(ctx, r))
}

// Replay starts a replay of past events to integration id.
func (c *Client) Replay(ctx context.Context, id string, r api.ReplayRequest) (api.ReplayView, error) {
	return answer[api.ReplayView](c.gen.Replay(ctx, id, r))
}

// ReplayState is where a replay stands.
func (c *Client) ReplayState(ctx context.Context, id string) (api.ReplayView, error) {
	return answer[api.ReplayView](c.gen.GetReplay(ctx, id))
}

// CancelReplay stops a replay.
func (c *Client) CancelReplay(ctx context.Context, id string) (api.ReplayView, error) {
	return answer[api.ReplayView](c.gen.CancelReplay(ctx, id))
}

// IntegrationStats are integration id's numbers over window (24h or 7d).
func (c *Client) IntegrationStats(ctx context.Context, id, window string) (api.IntegrationStats, error) {
	return answer[api.IntegrationStats](c.gen.IntegrationStats(ctx, id, &IntegrationStatsParams{Window: (*IntegrationStatsParamsWindow)(&window)}))
}

func (c *Client) RotateSecret(ctx context.Context, id string, r api.IntegrationRequest) (api.RotatedSecret, error) {
	return answer[api.RotatedSecret](c.gen.RotateSecret(ctx, id, r))
}

// SlackInstall asks for an Add to Slack link (q: name, events, projects, integration).
func (c *Client) SlackInstall(ctx context.Context, q url.Values) (api.SlackInstallLink, error) {
	p, err := params[SlackInstallParams](q)
	if err != nil {
		return api.SlackInstallLink{}, err
	}
	no := False
	p.Redirect = &no
	return answer[api.SlackInstallLink](c.gen.SlackInstall(ctx, p))
}

// Deliveries and resends.

func (c *Client) GetDelivery(ctx context.Context, id string) (api.DeliveryView, error) {
	return answer[api.DeliveryView](c.gen.GetDelivery(ctx, id))
}

// ListDeliveries lists an integration's deliveries (q: status, event, since, until, cursor, limit).
func (c *Client) ListDeliveries(ctx context.Context, integrationID string, q url.Values) (api.Page[api.DeliveryView], error) {
	p, err := params[ListIntegrationDeliveriesParams](q)
	if err != nil {
		return api.Page[api.DeliveryView]{}, err
	}
	return answer[api.Page[api.DeliveryView]](c.gen.ListIntegrationDeliveries(ctx, integrationID, p))
}

// ListTeamDeliveries pages through the team's deliveries across integrations
// (status, event, integration, channel, since, until, cursor, limit).
func (c *Client) ListTeamDeliveries(ctx context.Context, q url.Values) (api.Page[api.DeliveryView], error) {
	p, err := params[ListDeliveriesParams](q)
	if err != nil {
		return api.Page[api.DeliveryView]{}, err
	}
	return answer[api.Page[api.DeliveryView]](c.gen.ListDeliveries(ctx, p))
}

func (c *Client) Resend(ctx context.Context, deliveryID string) (api.ResendAccepted, error) {
	return answer[api.ResendAccepted](c.gen.ResendDelivery(ctx, deliveryID))
}

func (c *Client) BulkResend(ctx context.Context, integrationID string, r api.BulkResendRequest) (api.BulkResendAccepted, error) {
	return answer[api.BulkResendAccepted](c.gen.BulkResend(ctx, integrationID, r))
}

func (c *Client) BulkResendStatus(ctx context.Context, id string) (contract.BulkResendProgress, error) {
	return answer[contract.BulkResendProgress](c.gen.GetBulkResend(ctx, id))
}

func (c *Client) CancelBulkResend(ctx context.Context, id string) error {
	_, err := answer[api.BulkResendCancelled](c.gen.CancelBulkResend(ctx, id))
	return err
}

// Alert policy.

func (c *Client) GetAlertPolicy(ctx context.Context) (api.AlertPolicyView, error) {
	return answer[api.AlertPolicyView](c.gen.GetAlertPolicy(ctx))
}

// PutAlertPolicy replaces the team's policy with body, sent as given (a
// JSON object; nil or {} restores the defaults), so the gateway names
// whatever in it is wrong.
func (c *Client) PutAlertPolicy(ctx context.Context, body json.RawMessage) (api.AlertPolicyView, error) {
	if body == nil {
		body = json.RawMessage("{}")
	}
	return answer[api.AlertPolicyView](c.gen.PutAlertPolicyWithBody(ctx, "application/json", bytes.NewReader(body)))
}
