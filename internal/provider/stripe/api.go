package stripe

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider"
)

// API fetches a VerificationSession: GET
// /v1/identity/verification_sessions/{id}, with its last VerificationReport
// expanded, authenticated with the secret key as a bearer token.
var API = provider.APISpec{
	BaseURL: "https://api.stripe.com",
	// Stripe allows 25 read requests a second in test mode (100 in live
	// mode); kycgate stays under the lower.
	MinInterval: 40 * time.Millisecond,
	Keys:        []provider.APIKey{{Name: "secret_key", Secret: true}},
	New: func(c provider.APIConfig) (provider.API, error) {
		return &api{c}, nil
	},
	Parse: ParseSession,
}

// expandReport asks Stripe to embed the session's last VerificationReport,
// which holds the document's type and country and each check's result.
var expandReport = url.Values{"expand[]": {"last_verification_report"}}.Encode()

type api struct{ provider.APIConfig }

func (a *api) Fetch(ctx context.Context, v *kycgate.Verification) (*provider.Document, error) {
	return provider.Get(ctx, a.APIConfig, SessionPath(v.ID)+"?"+expandReport, func(req *http.Request) {
		req.Header.Set("Authorization", "Bearer "+a.Get("secret_key"))
	})
}

// SessionPath is the API path of a VerificationSession.
func SessionPath(id string) string {
	return "/v1/identity/verification_sessions/" + url.PathEscape(id)
}

// document is a fetched VerificationSession: the session, and its last
// report when expanded (an id otherwise).
type document struct {
	session
	LastVerificationReport json.RawMessage `json:"last_verification_report"`
}

// report is the part of a VerificationReport kycgate reads; the data
// collected from the user stays in the stored document.
type report struct {
	Document *struct {
		check
		Type           string `json:"type"`
		IssuingCountry string `json:"issuing_country"`
	} `json:"document"`
	Selfie   *check `json:"selfie"`
	IDNumber *check `json:"id_number"`
	Email    *check `json:"email"`
	Phone    *check `json:"phone"`
}

// check is one verification check's result.
type check struct {
	Status string `json:"status"` // verified or unverified
	Error  *struct {
		Code string `json:"code"`
	} `json:"error"`
}

// ParseSession reads a VerificationSession document: its status (the
// decision), and from its expanded last report the document's type and
// country and each check's result.
func ParseSession(doc []byte) (kycgate.Change, error) {
	var d document
	if err := json.Unmarshal(doc, &d); err != nil {
		return kycgate.Change{}, fmt.Errorf("stripe: decode verification session: %w", err)
	}
	if d.ID == "" || d.Object != "identity.verification_session" {
		return kycgate.Change{}, errors.New("stripe: the document is not a verification session")
	}
	c := d.change()
	switch d.Status {
	case "verified":
		c.Decision, c.Reasons = kycgate.DecisionApproved, []string{}
	case "requires_input":
		_, c.Decision, c.Reasons = d.requiresInput()
	}
	if r := bytes.TrimSpace(d.LastVerificationReport); len(r) > 0 && r[0] == '{' {
		var rep report
		if err := json.Unmarshal(r, &rep); err != nil {
			return kycgate.Change{}, fmt.Errorf("stripe: decode verification report: %w", err)
		}
		c.Steps = rep.steps()
		if rep.Document != nil {
			c.DocumentType, c.DocumentCountry = rep.Document.Type, rep.Document.IssuingCountry
		}
	}
	return c, nil
}

// steps are the report's checks, in the order Stripe runs them.
func (r *report) steps() []kycgate.Step {
	var out []kycgate.Step
	add := func(name string, c *check) {
		if c == nil || c.Status == "" {
			return
		}
		s := kycgate.Step{Name: name, Outcome: kycgate.OutcomePassed}
		if c.Status != "verified" {
			s.Outcome = kycgate.OutcomeFailed
			if c.Error != nil {
				s.ErrorCode = c.Error.Code
			}
		}
		out = append(out, s)
	}
	if r.Document != nil {
		add("document", &r.Document.check)
	}
	add("selfie", r.Selfie)
	add("id_number", r.IDNumber)
	add("email", r.Email)
	add("phone", r.Phone)
	return out
}
