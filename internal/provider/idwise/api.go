package idwise

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider"
)

// Regions are IDWise's API base URLs; a source's region picks one.
var Regions = map[string]string{
	"eu":    "https://api.idwise.com",
	"uae":   "https://api-uae.idwise.com",
	"qatar": "https://api-qat.idwise.com",
}

// API fetches a journey's summary, GET /journey/v2/summary/{journeyId},
// with the server key and secret as HTTP Basic credentials. IDWise asks for
// at least two seconds between calls.
var API = provider.APISpec{
	BaseURL:     Regions["eu"],
	Regions:     Regions,
	MinInterval: 2 * time.Second,
	Keys:        []provider.APIKey{{Name: "api_key", Secret: true}, {Name: "api_secret", Secret: true}},
	New: func(c provider.APIConfig) (provider.API, error) {
		return &api{c}, nil
	},
	Parse: ParseJourney,
}

type api struct{ provider.APIConfig }

func (a *api) Fetch(ctx context.Context, v *kycgate.Verification) (*provider.Document, error) {
	return provider.Get(ctx, a.APIConfig, "/journey/v2/summary/"+url.PathEscape(v.ID), func(req *http.Request) {
		req.SetBasicAuth(a.Get("api_key"), a.Get("api_secret"))
	})
}

// journey is the part of a journey's result kycgate reads.
type journey struct {
	JourneyID       string  `json:"journey_id"`
	ReferenceNumber string  `json:"reference_number"`
	FlowID          string  `json:"flow_id"`
	SystemDecision  string  `json:"system_decision"`
	ManualDecision  *string `json:"manual_decision"`
	FinalDecision   string  `json:"final_decision"`
	Documents       []struct {
		Type        string `json:"document_type"`
		Country     string `json:"issuing_country"`
		CountryCode string `json:"issuing_country_code"`
	} `json:"documents"`
}

// ParseJourney reads a journey document: the final decision (the manual
// one when a reviewer decided, else the system's), the system decision as
// the original one, and the first document's type and country.
func ParseJourney(doc []byte) (kycgate.Change, error) {
	var j journey
	if err := json.Unmarshal(doc, &j); err != nil {
		return kycgate.Change{}, fmt.Errorf("idwise: decode journey: %w", err)
	}
	if j.JourneyID == "" {
		return kycgate.Change{}, errors.New("idwise: the journey document has no journey_id")
	}
	c := kycgate.Change{ExternalUserID: j.ReferenceNumber, Flow: j.FlowID}
	b := body{FinalDecision: cmp.Or(j.FinalDecision, j.SystemDecision), ManualDecision: j.ManualDecision}
	c.Decision, c.OriginalDecision = manualDecision(b), systemDecision(j.SystemDecision)
	if strings.EqualFold(b.FinalDecision, "Incomplete") {
		c.Reasons = []string{"Incomplete"}
	}
	if len(j.Documents) > 0 {
		d := j.Documents[0]
		c.DocumentType = d.Type
		c.DocumentCountry = cmp.Or(d.CountryCode, d.Country)
	}
	return c, nil
}
