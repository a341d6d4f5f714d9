package metamap

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider"
)

// API fetches a verification: an OAuth client-credentials token from
// /oauth, cached until shortly before it expires, then GET
// /v2/verifications/{id}, the path of the webhook's resource URL. The token
// only ever goes to the configured base URL, whatever host a resource names.
var API = provider.APISpec{
	BaseURL: "https://api.prod.metamap.com",
	Keys:    []provider.APIKey{{Name: "client_id", Secret: false}, {Name: "client_secret", Secret: true}},
	New: func(c provider.APIConfig) (provider.API, error) {
		return &api{APIConfig: c}, nil
	},
	Parse: ParseVerification,
}

// tokenMargin is how long before its expiry a token is replaced.
const tokenMargin = time.Minute

type api struct {
	provider.APIConfig
	mu      sync.Mutex
	token   string
	expires time.Time
}

func (a *api) Fetch(ctx context.Context, v *kycgate.Verification) (*provider.Document, error) {
	for attempt := 0; ; attempt++ {
		token, err := a.accessToken(ctx)
		if err != nil {
			return nil, err
		}
		doc, err := provider.Get(ctx, a.APIConfig, "/v2/verifications/"+url.PathEscape(v.ID), func(req *http.Request) {
			req.Header.Set("Authorization", "Bearer "+token)
		})
		// A token MetaMap no longer takes (revoked, or its clock ahead of
		// ours) is replaced once.
		var apiErr *provider.APIError
		if attempt == 0 && errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusUnauthorized {
			a.forget(token)
			continue
		}
		return doc, err
	}
}

// accessToken returns the cached token, or a new one.
func (a *api) accessToken(ctx context.Context) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.token != "" && a.Now().Before(a.expires.Add(-tokenMargin)) {
		return a.token, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, provider.Endpoint(a.BaseURL, "/oauth"),
		strings.NewReader(url.Values{"grant_type": {"client_credentials"}}.Encode()))
	if err != nil {
		return "", err
	}
	req.SetBasicAuth(a.Get("client_id"), a.Get("client_secret"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	doc, err := provider.Do(a.Client, req)
	if err != nil {
		return "", fmt.Errorf("metamap: get an access token: %w", err)
	}
	var t struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expiresIn"`
		ExpiresIn2  int    `json:"expires_in"`
	}
	if err := json.Unmarshal(doc.Body, &t); err != nil || t.AccessToken == "" {
		return "", errors.New("metamap: the /oauth answer has no access_token")
	}
	ttl := time.Duration(max(t.ExpiresIn, t.ExpiresIn2)) * time.Second
	if ttl <= 0 {
		ttl = time.Hour // MetaMap documents one hour
	}
	a.token, a.expires = t.AccessToken, a.Now().Add(ttl)
	return a.token, nil
}

func (a *api) forget(token string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.token == token {
		a.token = ""
	}
}

// verification is the part of GET /v2/verifications/{id} kycgate reads.
type verification struct {
	ID       string `json:"id"`
	Expired  bool   `json:"expired"`
	Identity struct {
		Status string `json:"status"`
	} `json:"identity"`
	Steps     []docStep `json:"steps"`
	Documents []struct {
		Country string    `json:"country"`
		Type    string    `json:"type"`
		Steps   []docStep `json:"steps"`
	} `json:"documents"`
}

type docStep struct {
	ID    string     `json:"id"`
	Error *stepError `json:"error"`
}

// ParseVerification reads a verification document: the identity's status
// (the decision), the first document's type and country, and every step's
// result.
func ParseVerification(doc []byte) (kycgate.Change, error) {
	var v verification
	if err := json.Unmarshal(doc, &v); err != nil {
		return kycgate.Change{}, fmt.Errorf("metamap: decode verification: %w", err)
	}
	if v.ID == "" {
		return kycgate.Change{}, errors.New("metamap: the verification document has no id")
	}
	c := kycgate.Change{Decision: decision(v.Identity.Status)}
	steps := v.Steps
	for i, d := range v.Documents {
		if i == 0 {
			c.DocumentType, c.DocumentCountry = d.Type, d.Country
		}
		steps = append(steps, d.Steps...)
	}
	for _, s := range steps {
		if s.ID == "" {
			continue
		}
		step := kycgate.Step{Name: s.ID, Outcome: kycgate.OutcomePassed}
		if s.Error.failed() {
			step.Outcome, step.ErrorCode = kycgate.OutcomeFailed, string(s.Error.Code)
		}
		c.Steps = append(c.Steps, step)
	}
	return c, nil
}
