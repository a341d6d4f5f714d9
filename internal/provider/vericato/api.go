package vericato

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

// API fetches a verification, GET /v1/verifications/{id}, with the API key
// as a bearer token.
var API = provider.APISpec{
	BaseURL: "https://api.vericato.com",
	Keys:    []provider.APIKey{{Name: "api_key", Secret: true}},
	New: func(c provider.APIConfig) (provider.API, error) {
		return &api{c}, nil
	},
	Parse: ParseVerification,
}

type api struct{ provider.APIConfig }

func (a *api) Fetch(ctx context.Context, v *kycgate.Verification) (*provider.Document, error) {
	return provider.Get(ctx, a.APIConfig, "/v1/verifications/"+url.PathEscape(v.ID), func(req *http.Request) {
		req.Header.Set("Authorization", "Bearer "+a.Get("api_key"))
	})
}

// verification is the part of GET /v1/verifications/{id} kycgate reads.
// Names stay in the stored document.
type verification struct {
	Status             string `json:"status"`
	Purpose            string `json:"purpose"`
	VerificationMethod string `json:"verification_method"`
	FailedReason       string `json:"failed_reason"`
}

// documentMethods are the verification methods that read an identity
// document (itsme and iDIN are bank identities).
var documentMethods = map[string]bool{"passport": true, "id_card": true, "drivers_license": true}

// ParseVerification reads a verification document: its status (the API
// says completed where the webhook says verified), failure reason, purpose
// and method. The document may come bare or in a "data" envelope.
func ParseVerification(doc []byte) (kycgate.Change, error) {
	var env struct {
		verification
		Data *verification `json:"data"`
	}
	if err := json.Unmarshal(doc, &env); err != nil {
		return kycgate.Change{}, fmt.Errorf("vericato: decode verification: %w", err)
	}
	v := env.verification
	if env.Data != nil {
		v = *env.Data
	}
	if v.Status == "" {
		return kycgate.Change{}, errors.New("vericato: the verification document has no status")
	}
	c := kycgate.Change{Flow: v.Purpose}
	switch v.Status {
	case "completed", "verified":
		c.Decision = kycgate.DecisionApproved
	case "failed":
		c.Decision = kycgate.DecisionDeclined
		if v.FailedReason != "" {
			c.Reasons = []string{v.FailedReason}
		}
	}
	if documentMethods[v.VerificationMethod] {
		c.DocumentType = v.VerificationMethod
	}
	return c, nil
}
