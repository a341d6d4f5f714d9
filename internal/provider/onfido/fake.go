package onfido

import (
	"fmt"
	"net/http"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider/sim"
)

// Fake plays Onfido's API: GET /v3.6/workflow_runs/{id} and GET
// /v3.6/checks/{id}, with Authorization: Token token=<api_token>.
var Fake = sim.Fake{New: newFake, Document: fakeDocument}

func newFake(creds map[string]string, s sim.Server) http.Handler {
	mux := http.NewServeMux()
	authorized := func(w http.ResponseWriter, r *http.Request) bool {
		if creds["api_token"] == "" || r.Header.Get("Authorization") != AuthHeader(creds["api_token"]) {
			sim.APIError(w, http.StatusUnauthorized, "invalid or missing API token")
			return false
		}
		return true
	}
	mux.HandleFunc("GET /"+APIVersion+"/workflow_runs/{id}", func(w http.ResponseWriter, r *http.Request) {
		if authorized(w, r) {
			j, found := s.Journey(r.PathValue("id"))
			s.Serve(w, j, found, fakeRun)
		}
	})
	mux.HandleFunc("GET /"+APIVersion+"/checks/{id}", func(w http.ResponseWriter, r *http.Request) {
		if authorized(w, r) {
			j, found := s.Journey(r.PathValue("id"))
			s.Serve(w, j, found, fakeCheck)
		}
	})
	return mux
}

func fakeDocument(j sim.Journey) (string, string) {
	return []string{"passport", "national_identity_card", "driving_licence"}[sim.DocumentKind(j)], sim.Country(j).Alpha3
}

// fakeStatus is the workflow run status a journey ends in.
func fakeStatus(j sim.Journey) string {
	switch j.Want {
	case kycgate.StatusApproved:
		return "approved"
	case kycgate.StatusDeclined:
		return "declined"
	case kycgate.StatusReviewNeeded:
		return "review"
	case kycgate.StatusAbandoned:
		return "abandoned"
	case kycgate.StatusOnHold:
		return "awaiting_client_input"
	case kycgate.StatusSubmitted:
		return "processing"
	}
	return "awaiting_input"
}

func fakeRun(j sim.Journey) any {
	docType, country := fakeDocument(j)
	var reasons []string
	if j.Want == kycgate.StatusDeclined {
		reasons = []string{"document_authenticity"}
	}
	return map[string]any{
		"id": j.VerificationID, "applicant_id": fakeApplicant(j), "status": fakeStatus(j),
		"workflow_id": fakeWorkflowID, "workflow_version_id": 3,
		"workflow_run_id": j.VerificationID, "customer_user_id": j.ExternalUserID,
		"dashboard_url": "https://dashboard.onfido.com/results/" + j.VerificationID,
		"created_at":    "2026-11-22T10:00:00Z", "updated_at": "2026-11-22T10:05:00Z",
		"reasons": reasons, "tags": []string{}, "error": nil,
		"output": map[string]any{"document_type": docType, "issuing_country": country,
			"first_name": "Jane", "last_name": "Doe", "date_of_birth": "1990-04-12"},
	}
}

func fakeCheck(j sim.Journey) any {
	result := map[kycgate.Status]string{kycgate.StatusApproved: "clear", kycgate.StatusReviewNeeded: "consider"}[j.Want]
	status := "complete"
	if result == "" {
		status = "in_progress"
	}
	return map[string]any{
		"id": j.VerificationID, "status": status, "result": result, "applicant_id": fakeApplicant(j),
		"report_ids": []string{}, "href": "/" + APIVersion + "/checks/" + j.VerificationID,
	}
}

// fakeWorkflowID is the Studio workflow the simulated runs belong to.
const fakeWorkflowID = "5d5b3b5a-6f4b-4c8e-9d0e-2f1c7a9b3e10"

// fakeApplicant is a journey's applicant id, drawn from its run id.
func fakeApplicant(j sim.Journey) string {
	return "a0c1d2e3-0000-4000-8000-" + fmt.Sprintf("%012d", sim.Pick(j.VerificationID, 1_000_000_000))
}
