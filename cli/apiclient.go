package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
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

// client returns an API client, flags first, then the environment.
func (f *apiFlags) client() (*apiClient, error) {
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
	return &apiClient{base: strings.TrimRight(base, "/"), key: key, http: &http.Client{Timeout: 30 * time.Second}}, nil
}

// call sends one API request for cmd: flags and environment, then do.
func (f *apiFlags) call(cmd *cobra.Command, method, path string, body, out any) error {
	c, err := f.client()
	if err != nil {
		return err
	}
	return c.do(cmd.Context(), method, path, body, out)
}

type apiClient struct {
	base string
	key  string
	http *http.Client
}

// apiError is a problem response from the gateway.
type apiError struct {
	Status int    `json:"status"`
	Title  string `json:"title"`
	Detail string `json:"detail"`
}

func (e *apiError) Error() string {
	if e.Detail != "" {
		return fmt.Sprintf("%s (HTTP %d)", e.Detail, e.Status)
	}
	return fmt.Sprintf("%s (HTTP %d)", e.Title, e.Status)
}

// do sends a JSON request and decodes a JSON answer into out (when not nil).
func (c *apiClient) do(ctx context.Context, method, path string, body, out any) error {
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
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode >= 400 {
		e := &apiError{Status: resp.StatusCode}
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
