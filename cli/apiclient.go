package cli

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/apiclient"
)

// apiFlags are the connection flags of client commands.
type apiFlags struct {
	url    string
	apiKey string
}

func (f *apiFlags) bind(cmd *cobra.Command) {
	cmd.PersistentFlags().StringVar(&f.url, "url", "", "gateway URL ($HERALD_URL, default http://127.0.0.1:8080)")
	cmd.PersistentFlags().StringVar(&f.apiKey, "api-key", "", "API key ($HERALD_API_KEY)")
}

// base is the gateway's URL: the flag, else $HERALD_URL, else the default.
func (f *apiFlags) base() string {
	if f.url != "" {
		return f.url
	}
	if v := os.Getenv("HERALD_URL"); v != "" {
		return v
	}
	return "http://127.0.0.1:8080"
}

// client is the typed API client, flags first, then the environment.
func (f *apiFlags) client() (*apiclient.Client, error) {
	base := f.base()
	key := f.apiKey
	if key == "" {
		key = os.Getenv("HERALD_API_KEY")
	}
	if key == "" {
		return nil, fmt.Errorf("no API key: pass --api-key or set HERALD_API_KEY")
	}
	return apiclient.New(base, key, apiclient.WithUserAgent(api.CLIUserAgent)), nil
}

// integration is the client and the id of the integration ref names (its
// id, or its unique name).
func (f *apiFlags) integration(ctx context.Context, ref string) (*apiclient.Client, string, error) {
	c, err := f.client()
	if err != nil {
		return nil, "", err
	}
	id, err := integrationID(ctx, c, ref)
	return c, id, err
}
