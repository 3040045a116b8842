package channels

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/lru"
	"github.com/heraldhq/herald/internal/runes"
)

// Tokens gets and caches OAuth 2.0 client-credentials tokens (RFC 6749
// §4.4), one per integration, shared by every attempt of the process: 40
// events to one endpoint at once make one token request, not 40. A token is
// used until shortly before it expires; a 401 from the endpoint makes the
// caller forget it and ask once more.
//
// The cache is bounded (TokenCacheEntries, TokenCacheBytes; the least
// recently used token goes first), an integration whose grant changed
// (another client, secret, scopes or token URL) replaces its token at its
// next attempt, and Drop lets go of a deleted or disabled integration's.
type Tokens struct {
	sender *Sender
	now    func() time.Time

	cache *lru.Cache[string, token]
	group singleflight.Group
}

type token struct {
	grant   string // grantKey: a changed grant makes the token stale
	access  string
	refresh time.Time // asked for again from here on
}

// Token lifetimes and cache bounds.
const (
	// TokenDefaultLifetime is assumed when the token endpoint names none
	// (expires_in is only RECOMMENDED), or names one that is not a finite
	// number of seconds from 1 to TokenMaxLifetime: a 401 ends it earlier.
	TokenDefaultLifetime = 10 * time.Minute
	// TokenMaxLifetime bounds how long a token is kept, whatever the
	// endpoint says: a token asked for once an hour is cheap, and a deleted
	// integration's token then goes within the hour even if never dropped.
	TokenMaxLifetime = time.Hour
	// TokenRefreshMargin is how long before its expiry a token is replaced
	// (a tenth of its lifetime when that is shorter), so that one in flight
	// does not expire on the way.
	TokenRefreshMargin = time.Minute
	// TokenCacheEntries and TokenCacheBytes bound the cache: a token is at
	// most maxTokenBody, so 16 MiB holds 256 of the largest and thousands
	// of ordinary ones.
	TokenCacheEntries = 10_000
	TokenCacheBytes   = 16 << 20
	// maxTokenBody bounds a token endpoint's answer.
	maxTokenBody = 64 << 10
)

// NewTokens builds a token cache that requests through s (the SSRF guard and
// timeouts of deliveries apply to the token endpoint too).
func NewTokens(s *Sender, now func() time.Time) *Tokens {
	if now == nil {
		now = time.Now
	}
	return &Tokens{sender: s, now: now, cache: lru.New[string, token](TokenCacheEntries, TokenCacheBytes)}
}

// TokenError is a token request that failed; Outcome says whether retrying
// may help (the endpoint down) or not (it refused the client).
type TokenError struct {
	Outcome herald.Outcome
	Msg     string
}

func (e *TokenError) Error() string { return "oauth2 token: " + e.Msg }

func grantKey(o *OAuth2, t *ClientTLS) string {
	h := sha256.New()
	for _, p := range []string{o.TokenURL, o.ClientID, o.ClientSecret, strings.Join(o.Scopes, " ")} {
		fmt.Fprintf(h, "%d:%s", len(p), p)
	}
	if t != nil {
		h.Write([]byte(t.Fingerprint()))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// cached is integration's token for grant while it is fresh.
func (ts *Tokens) cached(integration, grant string) (token, bool) {
	tok, ok := ts.cache.Get(integration)
	return tok, ok && tok.grant == grant && ts.now().Before(tok.refresh)
}

// Token is a valid access token of integration's grant, and whether it was
// fetched by this call (a fresh token that gets a 401 is not asked for again).
func (ts *Tokens) Token(ctx context.Context, integration string, o *OAuth2, t *ClientTLS) (string, bool, error) {
	grant := grantKey(o, t)
	if tok, ok := ts.cached(integration, grant); ok {
		return tok.access, false, nil
	}
	v, err, _ := ts.group.Do(integration+"/"+grant, func() (any, error) {
		// One that waited on the flight before may find it done.
		if tok, ok := ts.cached(integration, grant); ok {
			return tok, nil
		}
		tok, err := ts.fetch(ctx, o, t)
		if err != nil {
			return token{}, err
		}
		tok.grant = grant
		ts.cache.Add(integration, tok, len(tok.access)+len(grant)+len(integration))
		return tok, nil
	})
	if err != nil {
		return "", false, err
	}
	return v.(token).access, true, nil
}

// Forget drops access if it is still integration's cached token (the
// endpoint answered 401 to it): the next Token asks for a new one.
func (ts *Tokens) Forget(integration, access string) {
	ts.cache.RemoveIf(func(k string, tok token) bool { return k == integration && tok.access == access })
}

// Drop lets go of integration's token (it was deleted or disabled).
func (ts *Tokens) Drop(integration string) { ts.cache.Remove(integration) }

// Len and Bytes are what the cache holds.
func (ts *Tokens) Len() int   { return ts.cache.Len() }
func (ts *Tokens) Bytes() int { return ts.cache.Bytes() }

func (ts *Tokens) fetch(ctx context.Context, o *OAuth2, t *ClientTLS) (token, error) {
	form := url.Values{"grant_type": {"client_credentials"}}
	if len(o.Scopes) > 0 {
		form.Set("scope", strings.Join(o.Scopes, " "))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return token{}, &TokenError{herald.OutcomePermanent, "build request: " + stripURL(err).Error()}
	}
	// client_secret_basic (RFC 6749 §2.3.1): form-encoded, then Basic.
	req.SetBasicAuth(url.QueryEscape(o.ClientID), url.QueryEscape(o.ClientSecret))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	client, err := ts.sender.HTTPClient(t)
	if err != nil {
		return token{}, &TokenError{herald.OutcomePermanent, "client certificate: " + err.Error()}
	}
	asked := ts.now()
	resp, err := client.Do(req)
	if err != nil {
		r := TransportResult(stripURL(err))
		return token{}, &TokenError{r.Outcome, r.Reason}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxTokenBody))
	var answer struct {
		AccessToken string          `json:"access_token"`
		TokenType   string          `json:"token_type"`
		ExpiresIn   json.RawMessage `json:"expires_in"`
		Error       string          `json:"error"`
		Description string          `json:"error_description"`
	}
	jsonErr := json.Unmarshal(body, &answer)
	if resp.StatusCode/100 != 2 {
		msg := fmt.Sprintf("the token endpoint answered %d", resp.StatusCode)
		if answer.Error != "" {
			msg += " " + runes.Truncate(runes.OneLine(answer.Error), 100)
			if answer.Description != "" {
				msg += ": " + runes.Truncate(runes.OneLine(answer.Description), 200)
			}
		}
		// 400 and 401 refuse the client or the grant (RFC 6749 §5.2): a
		// retry with the same credentials gets the same answer.
		outcome := herald.OutcomeRetry
		if resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != 408 && resp.StatusCode != 429 {
			outcome = herald.OutcomePermanent
		}
		return token{}, &TokenError{outcome, msg}
	}
	if jsonErr != nil || answer.AccessToken == "" {
		return token{}, &TokenError{herald.OutcomeRetry, "the token endpoint's answer has no access_token"}
	}
	if answer.TokenType != "" && !strings.EqualFold(answer.TokenType, "bearer") {
		return token{}, &TokenError{herald.OutcomePermanent, fmt.Sprintf("token type %q is not bearer", runes.Truncate(runes.OneLine(answer.TokenType), 40))}
	}
	life := min(tokenLifetime(answer.ExpiresIn), TokenMaxLifetime)
	margin := min(TokenRefreshMargin, life/10)
	return token{access: answer.AccessToken, refresh: asked.Add(life - margin)}, nil
}

// tokenLifetime reads expires_in: a number of seconds, or (seen in the
// wild) a number in a string. Anything else, and numbers that are not
// finite or not from 1 s to a year, give TokenDefaultLifetime.
func tokenLifetime(raw json.RawMessage) time.Duration {
	if len(raw) == 0 {
		return TokenDefaultLifetime
	}
	secs, err := strconv.ParseFloat(strings.Trim(string(raw), `"`), 64)
	if err != nil || math.IsNaN(secs) || math.IsInf(secs, 0) || secs < 1 || secs > 365*24*3600 {
		return TokenDefaultLifetime
	}
	return time.Duration(secs * float64(time.Second))
}

// TokenResult classifies a failed token request as an attempt's outcome.
func TokenResult(err error) Result {
	var te *TokenError
	if errors.As(err, &te) {
		return Result{Outcome: te.Outcome, Reason: te.Error()}
	}
	return Result{Outcome: herald.OutcomeRetry, Reason: "oauth2 token: " + err.Error()}
}
