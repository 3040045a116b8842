package activities

import (
	"context"
	"fmt"

	"github.com/heraldhq/herald/internal/channels"
	"github.com/heraldhq/herald/internal/store"
)

// sent is one request rendered for an integration, sent, and its answer
// classified.
type sent struct {
	ch  channels.Channel
	req *channels.Request
	ex  channels.Exchange
	res channels.Result
}

// send is the one attempt path: deliveries, recovery probes, test
// notifications and confirmations all go through it. m carries the event
// (ids, type, data); send fills in the integration's destination, format and
// secrets, with the previous secret still signing during a rotation. An error
// means nothing was sent (no channel for the type, or the message would not
// render); a failed request is a classified Result, not an error.
func (a *Activities) send(ctx context.Context, integ store.Integration, m channels.Message) (sent, error) {
	ch, err := a.Channels.For(integ.Type)
	if err != nil {
		return sent{}, err
	}
	now := a.Now()
	m.IntegrationID, m.IntegrationName = integ.ID, integ.Name
	m.URL, m.Secret, m.Format, m.Timestamp = integ.URL, integ.Secret, integ.Format, now
	if secrets := integ.SigningSecrets(now); len(secrets) == 2 {
		m.PreviousSecret = secrets[1]
	}
	req, err := ch.Render(m)
	if err != nil {
		return sent{}, fmt.Errorf("render: %w", err)
	}
	s := sent{ch: ch, req: req, ex: a.Sender.Send(ctx, req)}
	if s.ex.Err != nil {
		s.res = channels.TransportResult(s.ex.Err)
	} else {
		s.res = ch.Classify(req, s.ex.Response, a.Now())
	}
	return s, nil
}
