package cli

import (
	"fmt"
	"net/http"
	"time"

	"github.com/spf13/cobra"
)

// newHealthCmd probes a URL: the container healthcheck of images that have no
// curl (the distroless image Herald ships).
func newHealthCmd(g *globals) *cobra.Command {
	var url string
	cmd := &cobra.Command{
		Use:   "health --url http://127.0.0.1:8080/readyz",
		Short: "Exit 0 when the URL answers 2xx (for container healthchecks)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c := &http.Client{Timeout: 3 * time.Second}
			resp, err := c.Get(url)
			if err != nil {
				return err
			}
			resp.Body.Close()
			if resp.StatusCode/100 != 2 {
				return fmt.Errorf("%s answered %d", url, resp.StatusCode)
			}
			fmt.Fprintln(g.stdout, "ok")
			return nil
		},
	}
	cmd.Flags().StringVar(&url, "url", "http://127.0.0.1:8080/readyz", "URL to probe")
	return cmd
}
