package persona

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider"
)

// API fetches an inquiry: GET /api/v1/inquiries/{inquiry-id}, with the API
// key as a bearer token.
var API = provider.APISpec{
	BaseURL: "https://api.withpersona.com",
	// Persona allows 300 calls a minute per organization.
	MinInterval: 200 * time.Millisecond,
	Keys:        []provider.APIKey{{Name: "api_key", Secret: true}},
	New: func(c provider.APIConfig) (provider.API, error) {
		return &api{c}, nil
	},
	Parse: ParseInquiry,
}

type api struct{ provider.APIConfig }

func (a *api) Fetch(ctx context.Context, v *kycgate.Verification) (*provider.Document, error) {
	if !strings.HasPrefix(v.ID, "inq_") {
		return nil, fmt.Errorf("persona: %s is not an inquiry: %w", v.ID, provider.ErrNotFetchable)
	}
	return provider.Get(ctx, a.APIConfig, "/api/v1/inquiries/"+url.PathEscape(v.ID), func(req *http.Request) {
		req.Header.Set("Authorization", "Bearer "+a.Get("api_key"))
	})
}

// inquiryDocument is the answer of GET /api/v1/inquiries/{id}: the inquiry
// and the objects it includes (its verifications among them).
type inquiryDocument struct {
	Data     object   `json:"data"`
	Included []object `json:"included"`
}

// documentDecisions maps an inquiry's status to a decision; created,
// pending and expired inquiries have none.
var documentDecisions = map[string]kycgate.Decision{
	"completed":    kycgate.DecisionApproved,
	"approved":     kycgate.DecisionApproved,
	"failed":       kycgate.DecisionDeclined,
	"declined":     kycgate.DecisionDeclined,
	"needs_review": kycgate.DecisionReviewNeeded,
}

// documentOutcomes maps a verification's status to a step outcome.
var documentOutcomes = map[string]string{
	"initiated":      kycgate.OutcomeStarted,
	"submitted":      kycgate.OutcomeSubmitted,
	"passed":         kycgate.OutcomePassed,
	"failed":         kycgate.OutcomeFailed,
	"requires_retry": kycgate.OutcomeFailed,
	"canceled":       kycgate.OutcomeCancelled,
}

// ParseInquiry reads an inquiry document: its status as the decision, its
// reference id and template, its verifications as steps, and the first
// government id's class and country.
func ParseInquiry(doc []byte) (kycgate.Change, error) {
	var d inquiryDocument
	if err := json.Unmarshal(doc, &d); err != nil {
		return kycgate.Change{}, fmt.Errorf("persona: decode inquiry: %w", err)
	}
	if d.Data.Type != "inquiry" || d.Data.ID == "" {
		return kycgate.Change{}, fmt.Errorf("persona: the document is not an inquiry (type %q)", d.Data.Type)
	}
	a := d.Data.Attributes
	c := kycgate.Change{ExternalUserID: a.ReferenceID, Decision: documentDecisions[a.Status]}
	if t, ok := d.Data.first("inquiry-template"); ok {
		c.Flow = t.ID
	}
	if c.Decision == kycgate.DecisionApproved {
		c.Reasons = []string{}
	}
	for _, o := range d.Included {
		name, ok := strings.CutPrefix(o.Type, "verification/")
		if !ok {
			continue
		}
		if outcome, ok := documentOutcomes[o.Attributes.Status]; ok {
			c.Steps = append(c.Steps, kycgate.Step{Name: name, Outcome: outcome})
		}
		if name == "government-id" && c.DocumentType == "" {
			c.DocumentType, c.DocumentCountry = o.Attributes.IDClass, o.Attributes.CountryCode
		}
	}
	return c, nil
}
