package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/heraldhq/herald/internal/apiclient"
)

// integrationID is the id of the integration ref names: an id (int_…) as
// it is, else the one integration of the team with that name. A name that
// two integrations share, or none, is an error that says what to do.
func integrationID(ctx context.Context, c *apiclient.Client, ref string) (string, error) {
	if strings.HasPrefix(ref, "int_") {
		return ref, nil
	}
	var ids []string
	cursor := ""
	for {
		p, err := c.ListIntegrations(ctx, cursor, 200)
		if err != nil {
			return "", err
		}
		for _, in := range p.Data {
			if in.Name == ref {
				ids = append(ids, in.ID)
			}
		}
		if cursor = p.NextCursor; cursor == "" {
			break
		}
	}
	switch len(ids) {
	case 0:
		return "", fmt.Errorf("no integration is named %q (give its name exactly, or its id int_…; herald integrations list shows both)", ref)
	case 1:
		return ids[0], nil
	}
	return "", fmt.Errorf("%d integrations are named %q: give the id of the one you mean (%s)", len(ids), ref, strings.Join(ids, ", "))
}
