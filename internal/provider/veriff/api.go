package veriff

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider"
)

// API fetches a session's decision: GET /v1/sessions/{sessionId}/decision
// with the API key in X-AUTH-CLIENT and, in X-HMAC-SIGNATURE, the hex
// HMAC-SHA256 of the session id keyed with the shared secret key.
var API = provider.APISpec{
	BaseURL: "https://stationapi.veriff.com",
	Keys:    []provider.APIKey{{Name: "api_key", Secret: false}, {Name: "shared_secret", Secret: true}},
	New: func(c provider.APIConfig) (provider.API, error) {
		return &api{c}, nil
	},
	Parse: ParseDecision,
}

type api struct{ provider.APIConfig }

func (a *api) Fetch(ctx context.Context, v *kycgate.Verification) (*provider.Document, error) {
	return provider.Get(ctx, a.APIConfig, "/v1/sessions/"+url.PathEscape(v.ID)+"/decision", func(req *http.Request) {
		SignRequest(req, a.Get("api_key"), a.Get("shared_secret"), v.ID)
	})
}

// SignRequest adds Veriff's API authentication to a GET request about
// sessionID: the API key, and the session id signed with the shared secret.
func SignRequest(req *http.Request, apiKey, sharedSecret, sessionID string) {
	req.Header.Set(HeaderAuthClient, apiKey)
	req.Header.Set(HeaderSignature, Signature(sharedSecret, []byte(sessionID)))
}

// decisionDocument is GET /v1/sessions/{id}/decision: a verification of
// null means no decision yet.
type decisionDocument struct {
	Status       string        `json:"status"`
	Verification *verification `json:"verification"`
}

// ParseDecision reads a session's decision document: its decision and
// reason code, and the document's type and country.
func ParseDecision(doc []byte) (kycgate.Change, error) {
	var d decisionDocument
	if err := json.Unmarshal(doc, &d); err != nil {
		return kycgate.Change{}, fmt.Errorf("veriff: decode decision: %w", err)
	}
	if d.Status != "success" {
		return kycgate.Change{}, fmt.Errorf("veriff: the decision document's status is %q", d.Status)
	}
	if d.Verification == nil {
		return kycgate.Change{}, nil // no decision yet
	}
	if d.Verification.ID == "" {
		return kycgate.Change{}, errors.New("veriff: the decision document has no verification id")
	}
	c := d.Verification.change()
	// Expiry and abandonment are what the webhooks say; a document only settles decisions.
	c.Status, c.UndecidedOnly = "", false
	return c, nil
}
