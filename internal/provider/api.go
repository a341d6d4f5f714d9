package provider

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/httpx"
)

// API fetches one verification's document from the provider's API: the
// full data its webhooks leave out.
type API interface {
	Fetch(ctx context.Context, v *kycgate.Verification) (*Document, error)
}

// Document is what the provider's API answered for one verification.
type Document struct {
	Body        []byte
	ContentType string
	Request     string // "GET https://…": what was asked, without credentials
}

// APISpec describes a provider's API, for adapters that can fetch.
type APISpec struct {
	// BaseURL is the production API's; a source's base_url replaces it.
	BaseURL string
	// MinInterval is the least time between two calls the provider asks
	// for; a source's min_interval may ask for more.
	MinInterval time.Duration
	// Keys are the credential keys of a source's api block this provider
	// reads, all required.
	Keys []APIKey
	// Regions, for a provider with several API hosts, maps each region a
	// source may name to its base URL.
	Regions map[string]string
	// New returns the client of one source; the configuration is complete.
	New func(c APIConfig) (API, error)
	// Parse reads a fetched document as what it says of the verification,
	// in canonical terms, for EventEnriched.
	Parse func(doc []byte) (kycgate.Change, error)
}

// APIKey is one credential key of a source's api block.
type APIKey struct {
	Name   string
	Secret bool // masked wherever the configuration is shown, and kept out of logs
}

// KeyNames returns the names of the keys.
func (s *APISpec) KeyNames() []string {
	names := make([]string, len(s.Keys))
	for i, k := range s.Keys {
		names[i] = k.Name
	}
	return names
}

// APIConfig is one source's API credentials and endpoint.
type APIConfig struct {
	BaseURL string
	Keys    map[string]string // the api block's credential keys
	Client  *http.Client
	Now     func() time.Time
}

// Get returns the value of a credential key, by its configuration name.
func (c APIConfig) Get(key string) string { return c.Keys[key] }

// MaxDocumentBytes bounds a fetched document.
const MaxDocumentBytes = 8 << 20

// APIError is an answer of the provider's API that is not a success.
type APIError struct {
	StatusCode int
	RetryAfter time.Duration // from Retry-After; 0 when absent
	Message    string        // the start of the answer's body, or why there is none
}

func (e *APIError) Error() string {
	msg := fmt.Sprintf("%d %s", e.StatusCode, http.StatusText(e.StatusCode))
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

// ErrNotFetchable is a verification the API cannot be asked about (e.g.
// without the id its API asks by); asking again will not help.
var ErrNotFetchable = errors.New("cannot be fetched")

// Do sends req with c and returns the document of a 2xx answer; any other
// answer is an *APIError.
func Do(c *http.Client, req *http.Request) (*Document, error) {
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxDocumentBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read the answer: %w", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, &APIError{StatusCode: resp.StatusCode, RetryAfter: httpx.RetryAfter(resp.Header.Get("Retry-After"), time.Now()), Message: snippet(body)}
	}
	if len(body) > MaxDocumentBytes {
		return nil, fmt.Errorf("the document is over %d bytes", MaxDocumentBytes)
	}
	return &Document{Body: body, ContentType: resp.Header.Get("Content-Type"), Request: req.Method + " " + redact(req.URL)}, nil
}

// Get asks the API at c.BaseURL for the JSON document at path, with auth
// adding the provider's credentials to the request.
func Get(ctx context.Context, c APIConfig, path string, auth func(*http.Request)) (*Document, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, Endpoint(c.BaseURL, path), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	auth(req)
	return Do(c.Client, req)
}

// redact returns u without user info or query, which may carry secrets.
func redact(u *url.URL) string {
	c := *u
	c.User, c.RawQuery = nil, ""
	return c.String()
}

// snippet is the start of an error answer, on one line, for people.
func snippet(body []byte) string {
	s := strings.Join(strings.Fields(string(body)), " ")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// Endpoint joins base and path, keeping any path the base has.
func Endpoint(base, path string) string {
	return strings.TrimRight(base, "/") + path
}
