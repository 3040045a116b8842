package activities

import (
	"context"
	"fmt"
	"net/http"

	"github.com/heraldhq/herald/internal/channels"
	"github.com/heraldhq/herald/internal/outgoing"
	"github.com/heraldhq/herald/internal/store"
)

// sent is one request rendered for an integration, sent, and its answer
// classified.
type sent struct {
	ch  channels.Channel
	req *channels.Request
	ex  channels.Exchange
	res channels.Result
	// secretHeaders name the request headers masked wherever it is stored:
	// the channel's, and those the integration's endpoint authentication adds.
	secretHeaders []string
}

// send is the one attempt path: deliveries, recovery probes, test
// notifications and confirmations all go through it. m carries the event
// (ids, type, data); outgoing.Complete fills in the rest, as it does for a
// preview. An error means nothing was sent (no channel for
// the type, or the message would not render); a failed request, or a token
// the OAuth endpoint would not give, is a classified Result, not an error.
func (a *Activities) send(ctx context.Context, integ store.Integration, m channels.Message) (sent, error) {
	ch, err := a.Channels.For(integ.Type)
	if err != nil {
		return sent{}, err
	}
	// The attempt's own deadline covers everything it sends: its token,
	// its request, and the new token and request after a 401. Nothing goes
	// out after it (the attempt, whose activity lasts longer, then ends as
	// a timeout instead of being made again by another execution).
	ctx, cancel := context.WithTimeout(ctx, a.AttemptTimeout)
	defer cancel()
	if m, err = outgoing.Complete(integ, m, a.Now()); err != nil {
		return sent{}, err
	}
	s := sent{ch: ch, secretHeaders: outgoing.SecretHeaders(ch, integ)}
	oauth := integ.Auth.OAuth2
	fresh, tokenErr := false, error(nil)
	if oauth != nil {
		if m.Bearer, fresh, tokenErr = a.Tokens.Token(ctx, integ.ID, oauth, integ.Auth.TLS); tokenErr != nil {
			return s, a.unsent(&s, m, tokenErr)
		}
	}
	if err := a.exchange(ctx, &s, m); err != nil {
		return sent{}, err
	}
	if oauth != nil && !fresh && s.ex.Response != nil && s.ex.Response.Status == http.StatusUnauthorized {
		// The cached token may have been revoked or expired early: one new
		// token and one more request, within this attempt.
		a.Tokens.Forget(integ.ID, m.Bearer)
		if m.Bearer, _, tokenErr = a.Tokens.Token(ctx, integ.ID, oauth, integ.Auth.TLS); tokenErr != nil {
			return s, a.unsent(&s, m, tokenErr)
		}
		if err := a.exchange(ctx, &s, m); err != nil {
			return sent{}, err
		}
	}
	return s, nil
}

// unsent records in s a request that did not go out because its OAuth token
// could not be had: the attempt shows the request it would have made and
// why it was not made.
func (a *Activities) unsent(s *sent, m channels.Message, tokenErr error) error {
	m.Bearer = ""
	req, err := s.ch.Render(m)
	if err != nil {
		return fmt.Errorf("render: %w", err)
	}
	s.req, s.ex, s.res = req, channels.Exchange{Started: a.Now(), Err: tokenErr}, channels.TokenResult(tokenErr)
	return nil
}

// exchange renders m, sends it and classifies the answer into s.
func (a *Activities) exchange(ctx context.Context, s *sent, m channels.Message) error {
	req, err := s.ch.Render(m)
	if err != nil {
		return fmt.Errorf("render: %w", err)
	}
	s.req, s.ex = req, a.Sender.Send(ctx, req)
	if s.ex.Err != nil {
		s.res = channels.TransportResult(s.ex.Err)
	} else {
		s.res = s.ch.Classify(req, s.ex.Response, a.Now())
	}
	return nil
}
