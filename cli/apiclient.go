package cli

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/heraldhq/herald/internal/api"
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

// client is the typed API client, flags first, then the environment.
func (f *apiFlags) client() (*api.Client, error) {
	base := f.url
	if base == "" {
		base = os.Getenv("HERALD_URL")
	}
	if base == "" {
		base = "http://127.0.0.1:8080"
	}
	key := f.apiKey
	if key == "" {
		key = os.Getenv("HERALD_API_KEY")
	}
	if key == "" {
		return nil, fmt.Errorf("no API key: pass --api-key or set HERALD_API_KEY")
	}
	return api.NewClient(base, key), nil
}
