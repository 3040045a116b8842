package client_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/heraldhq/herald/client"
)

// A platform posts an event, reads where its delivery stands, and resends it.
// (TestTheExampleAgainstAGateway runs it against a real gateway.)
func ExampleNew() {
	ctx := context.Background()
	c, err := client.New(os.Getenv("HERALD_URL"), os.Getenv("HERALD_API_KEY"))
	if err != nil {
		fmt.Println(err)
		return
	}
	posted, err := c.PostEventWithResponse(ctx, nil, client.EventRequest{
		Event: client.Ptr("build:failure"),
		Id:    client.Ptr("build-42-failure"),
		Data:  map[string]any{"project": map[string]any{"id": "website"}, "build": map[string]any{"id": "42", "branch": "main"}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	if posted.JSON202 == nil {
		fmt.Println(posted.ApplicationproblemJSON400) // why Herald refused it
		return
	}
	fmt.Printf("accepted %s, matched %d\n", *posted.JSON202.Id, *posted.JSON202.Matched)

	// Its delivery, once Herald has made the attempt.
	var delivery client.DeliveryView
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		got, err := c.GetEventWithResponse(ctx, "build-42-failure")
		if err != nil || got.JSON200 == nil {
			continue
		}
		ev, err := got.JSON200.AsEventView()
		if err == nil && ev.Deliveries != nil && len(*ev.Deliveries) > 0 && (*ev.Deliveries)[0].Status == "delivered" {
			delivery = (*ev.Deliveries)[0]
			break
		}
	}
	fmt.Println("delivery:", delivery.Status)

	resent, err := c.ResendDeliveryWithResponse(ctx, delivery.Id)
	if err != nil || resent.JSON202 == nil {
		fmt.Println("resend refused:", err, resent.ApplicationproblemJSON404)
		return
	}
	fmt.Println("resend requested:", resent.JSON202.DeliveryId == delivery.Id)
}
