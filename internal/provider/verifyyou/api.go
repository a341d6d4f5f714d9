package verifyyou

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider"
)

// HeaderAPIKey carries VerifyYou's API key.
const HeaderAPIKey = "API-KEY"

// API asks VerifyYou whether a verification is complete, POST
// /v2/verification/status with the end user's external_id; it answers
// little more than that.
var API = provider.APISpec{
	BaseURL: "https://api.connect.verifyyou.com",
	Keys:    []provider.APIKey{{Name: "api_key", Secret: true}},
	New: func(c provider.APIConfig) (provider.API, error) {
		return &api{c}, nil
	},
	Parse: ParseStatus,
}

type api struct{ provider.APIConfig }

func (a *api) Fetch(ctx context.Context, v *kycgate.Verification) (*provider.Document, error) {
	if v.ExternalUserID == "" {
		return nil, fmt.Errorf("verifyyou: the status API is asked by external_id, and verification %s has none: %w", v.ID, provider.ErrNotFetchable)
	}
	body, err := json.Marshal(map[string]string{"external_id": v.ExternalUserID})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, provider.Endpoint(a.BaseURL, "/v2/verification/status"), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set(HeaderAPIKey, a.Get("api_key"))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	return provider.Do(a.Client, req)
}

// ParseStatus reads {"verification_complete": true, "external_id": "…"}.
func ParseStatus(doc []byte) (kycgate.Change, error) {
	var s struct {
		Complete   *bool  `json:"verification_complete"`
		ExternalID string `json:"external_id"`
	}
	if err := json.Unmarshal(doc, &s); err != nil {
		return kycgate.Change{}, fmt.Errorf("verifyyou: decode status: %w", err)
	}
	if s.Complete == nil {
		return kycgate.Change{}, errors.New("verifyyou: the status answer has no verification_complete")
	}
	c := kycgate.Change{ExternalUserID: s.ExternalID}
	if *s.Complete {
		c.Steps = []kycgate.Step{{Name: "verification", Outcome: kycgate.OutcomePassed}}
	}
	return c, nil
}
