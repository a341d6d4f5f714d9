package onfido

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

// APIVersion is the version of Onfido's API kycgate asks.
const APIVersion = "v3.6"

// Regions are Onfido's API hosts; a source's region picks one. Onfido keeps
// each account's data in one region.
var Regions = map[string]string{
	"eu": "https://api.eu.onfido.com",
	"us": "https://api.us.onfido.com",
	"ca": "https://api.ca.onfido.com",
}

// API fetches a workflow run, GET /v3.6/workflow_runs/{id}, or the check a
// classic verification is, GET /v3.6/checks/{id}, with the API token as
// Authorization: Token token=... Onfido allows 400 calls a minute.
var API = provider.APISpec{
	BaseURL:     Regions["eu"],
	Regions:     Regions,
	MinInterval: 150 * time.Millisecond,
	Keys:        []provider.APIKey{{Name: "api_token", Secret: true}},
	New: func(c provider.APIConfig) (provider.API, error) {
		return &api{c}, nil
	},
	Parse: ParseDocument,
}

type api struct{ provider.APIConfig }

// Fetch asks for the verification's check when its resource URL names one,
// else for its workflow run. The token only goes to the configured base URL.
func (a *api) Fetch(ctx context.Context, v *kycgate.Verification) (*provider.Document, error) {
	kind := "workflow_runs"
	if isCheckURL(v.ResourceURL) {
		kind = "checks"
	}
	return provider.Get(ctx, a.APIConfig, "/"+APIVersion+"/"+kind+"/"+url.PathEscape(v.ID), func(req *http.Request) {
		req.Header.Set("Authorization", AuthHeader(a.Get("api_token")))
	})
}

// AuthHeader is the Authorization header of Onfido's API.
func AuthHeader(token string) string { return "Token token=" + token }

func isCheckURL(resource string) bool {
	u, err := url.Parse(resource)
	return err == nil && strings.Contains(u.Path, "/checks/")
}

// document is the part of a workflow run or a check kycgate reads.
type document struct {
	ID                string    `json:"id"`
	Status            string    `json:"status"`
	Result            string    `json:"result"` // a check's
	WorkflowID        string    `json:"workflow_id"`
	WorkflowVersionID *int      `json:"workflow_version_id"`
	CustomerUserID    string    `json:"customer_user_id"`
	DashboardURL      string    `json:"dashboard_url"`
	Reasons           []string  `json:"reasons"`
	Error             *runError `json:"error"`
	Output            struct {
		DocumentType   string `json:"document_type"`
		IssuingCountry string `json:"issuing_country"`
		Properties     struct {
			DocumentType   string `json:"document_type"`
			IssuingCountry string `json:"issuing_country"`
		} `json:"properties"`
	} `json:"output"`
}

// ParseDocument reads a workflow run (its status: the decision, reasons,
// the workflow, the company's user id and the document its output names)
// or a check (its result).
func ParseDocument(doc []byte) (kycgate.Change, error) {
	var d document
	if err := json.Unmarshal(doc, &d); err != nil {
		return kycgate.Change{}, fmt.Errorf("onfido: decode document: %w", err)
	}
	if d.ID == "" {
		return kycgate.Change{}, errors.New("onfido: the document has no id")
	}
	c := kycgate.Change{ExternalUserID: d.CustomerUserID, DashboardURL: d.DashboardURL, Flow: d.WorkflowID}
	if d.WorkflowID == "" && d.WorkflowVersionID == nil {
		// A check keeps one result, the latest run's: once complete, its
		// result is the current attempt's, also after it was reopened.
		c.Decision, c.Current = checkDecision(d.Result), d.Status == "complete"
		return c, nil
	}
	c.Decision, _, c.Reasons = runOutcome(d.Status, d.Reasons, d.Error)
	if c.Decision == "" {
		c.Reasons = nil
	}
	c.DocumentType = cmp.Or(d.Output.DocumentType, d.Output.Properties.DocumentType)
	c.DocumentCountry = cmp.Or(d.Output.IssuingCountry, d.Output.Properties.IssuingCountry)
	return c, nil
}
