package api

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
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/contract"
)

// Client calls Herald's API with one key: every route the CLI uses, typed.
type Client struct {
	base string
	key  string
	http *http.Client
}

// NewClient is a client of the gateway at base (http://host:port).
func NewClient(base, key string) *Client {
	return &Client{base: strings.TrimRight(base, "/"), key: key, http: &http.Client{Timeout: 30 * time.Second}}
}

// Error is a problem the gateway answered with.
type Error struct {
	Status int    `json:"status"`
	Title  string `json:"title"`
	Detail string `json:"detail"`
}

func (e *Error) Error() string {
	if e.Detail != "" {
		return fmt.Sprintf("%s (HTTP %d)", e.Detail, e.Status)
	}
	return fmt.Sprintf("%s (HTTP %d)", e.Title, e.Status)
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

// do sends a JSON request and decodes a JSON answer into out (when not nil).
func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", CLIUserAgent)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) { // refused, unresolvable, timed out
			return &UnreachableError{Base: c.base, Err: err}
		}
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode >= 400 {
		e := &Error{Status: resp.StatusCode}
		if json.Unmarshal(data, e) != nil || (e.Detail == "" && e.Title == "") {
			e.Title = strings.TrimSpace(string(data))
		}
		e.Status = resp.StatusCode
		return e
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
		}
	}
	return nil
}

func seg(id string) string { return url.PathEscape(id) }

// Teams and keys (admin).

func (c *Client) CreateTeam(ctx context.Context, name string) (TeamView, error) {
	var t TeamView
	return t, c.do(ctx, http.MethodPost, "/v1/teams", TeamRequest{Name: name}, &t)
}

func (c *Client) ListTeams(ctx context.Context) (Page[TeamView], error) {
	var p Page[TeamView]
	return p, c.do(ctx, http.MethodGet, "/v1/teams", nil, &p)
}

func (c *Client) CreateKey(ctx context.Context, r KeyRequest) (KeyView, error) {
	var k KeyView
	return k, c.do(ctx, http.MethodPost, "/v1/keys", r, &k)
}

// ListKeys lists keys, of one team when teamID is set.
func (c *Client) ListKeys(ctx context.Context, teamID string) (Page[KeyView], error) {
	path := "/v1/keys"
	if teamID != "" {
		path += "?" + url.Values{"teamId": {teamID}}.Encode()
	}
	var p Page[KeyView]
	return p, c.do(ctx, http.MethodGet, path, nil, &p)
}

func (c *Client) RevokeKey(ctx context.Context, id string) (KeyView, error) {
	var k KeyView
	return k, c.do(ctx, http.MethodDelete, "/v1/keys/"+seg(id), nil, &k)
}

// Events.

func (c *Client) SendEvent(ctx context.Context, r EventRequest) (Accepted, error) {
	var a Accepted
	return a, c.do(ctx, http.MethodPost, "/v1/events", r, &a)
}

func (c *Client) GetEvent(ctx context.Context, id string) (EventView, error) {
	var ev EventView
	return ev, c.do(ctx, http.MethodGet, "/v1/events/"+seg(id), nil, &ev)
}

// ListEvents pages through the team's events (?type=&project=&since=&until=&cursor=&limit=).
func (c *Client) ListEvents(ctx context.Context, q url.Values) (Page[EventView], error) {
	var p Page[EventView]
	return p, c.do(ctx, http.MethodGet, "/v1/events?"+q.Encode(), nil, &p)
}

// ListAudit is a page of the team's audit log, newest first.
func (c *Client) ListAudit(ctx context.Context, f AuditQuery) (Page[AuditView], error) {
	q := url.Values{}
	for k, v := range map[string]string{"object": f.Object, "actor": f.Actor, "action": f.Action, "cursor": f.Cursor} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	var p Page[AuditView]
	return p, c.do(ctx, http.MethodGet, "/v1/audit?"+q.Encode(), nil, &p)
}

// Integrations.

func (c *Client) CreateIntegration(ctx context.Context, r IntegrationRequest) (IntegrationView, error) {
	var v IntegrationView
	return v, c.do(ctx, http.MethodPost, "/v1/integrations", r, &v)
}

// UpdateIntegration sends only the fields set in r.
func (c *Client) UpdateIntegration(ctx context.Context, id string, r IntegrationRequest) (IntegrationView, error) {
	var v IntegrationView
	return v, c.do(ctx, http.MethodPatch, "/v1/integrations/"+seg(id), r, &v)
}

func (c *Client) ListIntegrations(ctx context.Context, cursor string, limit int) (Page[IntegrationView], error) {
	var p Page[IntegrationView]
	q := url.Values{"limit": {strconv.Itoa(limit)}, "cursor": {cursor}}
	return p, c.do(ctx, http.MethodGet, "/v1/integrations?"+q.Encode(), nil, &p)
}

func (c *Client) GetIntegration(ctx context.Context, id string) (IntegrationView, error) {
	var v IntegrationView
	return v, c.do(ctx, http.MethodGet, "/v1/integrations/"+seg(id), nil, &v)
}

func (c *Client) DeleteIntegration(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/v1/integrations/"+seg(id), nil, nil)
}

func (c *Client) EnableIntegration(ctx context.Context, id string) (IntegrationView, error) {
	var v IntegrationView
	return v, c.do(ctx, http.MethodPost, "/v1/integrations/"+seg(id)+"/enable", nil, &v)
}

func (c *Client) DisableIntegration(ctx context.Context, id, reason string) (IntegrationView, error) {
	var v IntegrationView
	return v, c.do(ctx, http.MethodPost, "/v1/integrations/"+seg(id)+"/disable", DisableRequest{Reason: reason}, &v)
}

func (c *Client) TestIntegration(ctx context.Context, id string) (contract.TestResult, error) {
	var r contract.TestResult
	return r, c.do(ctx, http.MethodPost, "/v1/integrations/"+seg(id)+"/test", nil, &r)
}

// SlackInstall asks for an Add to Slack link (q: name, events, projects, integration).
func (c *Client) SlackInstall(ctx context.Context, q url.Values) (SlackInstallLink, error) {
	q.Set("redirect", "false")
	var l SlackInstallLink
	return l, c.do(ctx, http.MethodGet, "/v1/slack/install?"+q.Encode(), nil, &l)
}

// Deliveries and resends.

func (c *Client) GetDelivery(ctx context.Context, id string) (DeliveryView, error) {
	var d DeliveryView
	return d, c.do(ctx, http.MethodGet, "/v1/deliveries/"+seg(id), nil, &d)
}

// ListDeliveries lists an integration's deliveries (q: limit, status, event, cursor).
func (c *Client) ListDeliveries(ctx context.Context, integrationID string, q url.Values) (Page[DeliveryView], error) {
	var p Page[DeliveryView]
	return p, c.do(ctx, http.MethodGet, "/v1/integrations/"+seg(integrationID)+"/deliveries?"+q.Encode(), nil, &p)
}

// ListTeamDeliveries pages through the team's deliveries across integrations
// (?status=failed,retrying&event=&integration=&channel=&since=&until=&cursor=&limit=).
func (c *Client) ListTeamDeliveries(ctx context.Context, q url.Values) (Page[DeliveryView], error) {
	var p Page[DeliveryView]
	return p, c.do(ctx, http.MethodGet, "/v1/deliveries?"+q.Encode(), nil, &p)
}

func (c *Client) Resend(ctx context.Context, deliveryID string) (ResendAccepted, error) {
	var r ResendAccepted
	return r, c.do(ctx, http.MethodPost, "/v1/deliveries/"+seg(deliveryID)+"/resend", nil, &r)
}

func (c *Client) BulkResend(ctx context.Context, integrationID string, r BulkResendRequest) (BulkResendAccepted, error) {
	var a BulkResendAccepted
	return a, c.do(ctx, http.MethodPost, "/v1/integrations/"+seg(integrationID)+"/resend", r, &a)
}

func (c *Client) BulkResendStatus(ctx context.Context, id string) (contract.BulkResendProgress, error) {
	var p contract.BulkResendProgress
	return p, c.do(ctx, http.MethodGet, "/v1/resends/"+seg(id), nil, &p)
}

func (c *Client) CancelBulkResend(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/v1/resends/"+seg(id), nil, nil)
}

// Alert policy.

func (c *Client) GetAlertPolicy(ctx context.Context) (AlertPolicyView, error) {
	var v AlertPolicyView
	return v, c.do(ctx, http.MethodGet, "/v1/alert-policy", nil, &v)
}

// PutAlertPolicy replaces the team's policy with body (a JSON object; nil or
// {} restores the defaults).
func (c *Client) PutAlertPolicy(ctx context.Context, body json.RawMessage) (AlertPolicyView, error) {
	var v AlertPolicyView
	var b any
	if body != nil {
		b = body
	}
	return v, c.do(ctx, http.MethodPut, "/v1/alert-policy", b, &v)
}
