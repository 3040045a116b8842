package e2e

import (
	"context"
	"errors"
	"testing"

	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/apiclient"
	"github.com/heraldhq/herald/test/testenv"
)

// The typed client the CLI uses speaks the gateway's wire types both ways.
func TestAPIClient(t *testing.T) {
	s := testenv.NewStack(t)
	recv := testenv.NewReceiver(t)
	ctx := context.Background()
	c := apiclient.New(s.URL, s.Key)
	name, typ, url := "typed-client", "webhook", recv.URL
	events := []string{"build:*"}
	in, err := c.CreateIntegration(ctx, api.IntegrationRequest{Name: &name, Type: &typ, URL: &url, Events: &events})
	if err != nil || in.ID == "" || in.Name != name {
		t.Fatalf("create: %+v %v", in, err)
	}
	renamed := "typed-client-2"
	if up, err := c.UpdateIntegration(ctx, in.ID, api.IntegrationRequest{Name: &renamed}); err != nil || up.Name != renamed || len(up.Events) != 1 {
		t.Errorf("update (only the name changes): %+v %v", up, err)
	}
	id := "typed-1"
	acc, err := c.SendEvent(ctx, api.EventRequest{ID: &id, Event: "build:start"})
	if err != nil || acc.ID != id || acc.WorkflowID == "" {
		t.Fatalf("send: %+v %v", acc, err)
	}
	s.AwaitWorkflow(t, acc.WorkflowID)
	ev, err := c.GetEvent(ctx, id)
	if err != nil || len(ev.Deliveries) != 1 || ev.Deliveries[0].Status != "delivered" {
		t.Fatalf("get event: %+v %v", ev, err)
	}
	page, err := c.ListIntegrations(ctx, "", 10)
	if err != nil || len(page.Data) != 1 {
		t.Errorf("list: %+v %v", page, err)
	}
	var ae *apiclient.Error
	if _, err := c.GetDelivery(ctx, "dlv_missing"); !errors.As(err, &ae) || ae.Status != 404 || ae.Detail == "" {
		t.Errorf("a missing delivery: %v, want an *apiclient.Error with status 404 and a detail", err)
	}
}
