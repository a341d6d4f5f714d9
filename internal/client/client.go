// Package client calls a kycgate server's /api/v1 for the CLI.
package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/api"
)

// Client is an authenticated client of one kycgate server.
type Client struct {
	BaseURL string // e.g. http://127.0.0.1:8080
	Token   string
	HTTP    *http.Client
}

// New returns a client with a 30-second timeout.
func New(baseURL, token string) *Client {
	return &Client{BaseURL: strings.TrimRight(baseURL, "/"), Token: token, HTTP: &http.Client{Timeout: 30 * time.Second}}
}

// Get calls GET path with query and returns the JSON answer. An error answer
// comes back as a *kycgate.Error with the server's code and message.
func (c *Client) Get(ctx context.Context, path string, query url.Values) ([]byte, error) {
	return c.Do(ctx, http.MethodGet, path, query)
}

// Do calls method on path with query, with no body, as Get does.
func (c *Client) Do(ctx context.Context, method, path string, query url.Values) ([]byte, error) {
	u := c.BaseURL + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return nil, fmt.Errorf("server URL %q: %w", c.BaseURL, err)
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("cannot reach kycgate at %s: %w", c.BaseURL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("read answer: %w", err)
	}
	if resp.StatusCode/100 == 2 {
		return body, nil
	}
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil || e.Error.Code == "" {
		return nil, fmt.Errorf("%s answered %s", c.BaseURL, resp.Status)
	}
	return nil, &kycgate.Error{Code: e.Error.Code, Message: e.Error.Message}
}

// GetJSON calls Get and decodes the answer into v.
func (c *Client) GetJSON(ctx context.Context, path string, query url.Values, v any) ([]byte, error) {
	body, err := c.Get(ctx, path, query)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(body, v); err != nil {
		return nil, errors.Join(fmt.Errorf("decode answer of %s", path), err)
	}
	return body, nil
}

// ListVerifications reads every verification, page by page.
func (c *Client) ListVerifications(ctx context.Context) ([]kycgate.Verification, error) {
	var all []kycgate.Verification
	q := url.Values{"limit": {"500"}}
	for {
		var page api.List[kycgate.Verification]
		if _, err := c.GetJSON(ctx, "/api/v1/verifications", q, &page); err != nil {
			return nil, err
		}
		all = append(all, page.Data...)
		if page.NextCursor == "" {
			return all, nil
		}
		q.Set("cursor", page.NextCursor)
	}
}
