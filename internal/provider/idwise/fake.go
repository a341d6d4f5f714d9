package idwise

import (
	"net/http"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider/sim"
)

// Fake plays IDWise's API: GET /journey/v2/summary/{journeyId} with Basic
// credentials (the server key and secret).
var Fake = sim.Fake{New: newFake, Document: fakeDocument}

func newFake(creds map[string]string, s sim.Server) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /journey/v2/summary/{id}", func(w http.ResponseWriter, r *http.Request) {
		key, secret, ok := r.BasicAuth()
		if !ok || key != creds["api_key"] || secret != creds["api_secret"] {
			sim.APIError(w, http.StatusUnauthorized, "invalid server key or secret")
			return
		}
		j, found := s.Journey(r.PathValue("id"))
		s.Serve(w, j, found, fakeJourney)
	})
	return mux
}

func fakeDocument(j sim.Journey) (string, string) {
	return []string{"Passport", "National ID", "Driving License"}[sim.DocumentKind(j)], sim.Country(j).Alpha3
}

func fakeJourney(j sim.Journey) any {
	docType, country := fakeDocument(j)
	system, manual, final := "Complete", any(nil), "Complete"
	switch j.Want {
	case kycgate.StatusDeclined:
		system, manual, final = "Refer", "Rejected", "Rejected"
	case kycgate.StatusReviewNeeded, kycgate.StatusResubmissionRequested:
		system, final = "Refer", "Refer"
	case kycgate.StatusAbandoned, kycgate.StatusExpired:
		system, final = "Incomplete", "Incomplete"
	}
	if j.Scenario == "review" {
		system, manual, final = "Refer", "Approved", "Approved"
	}
	return map[string]any{
		"journey_id": j.VerificationID, "customer_id": "kycgate-demo", "flow_id": "flow-kyc",
		"reference_number": j.ExternalUserID, "system_decision": system, "manual_decision": manual, "final_decision": final,
		"documents": []map[string]any{{"document_type": docType, "issuing_country_code": country,
			"full_name": "Jane Doe", "document_number": "784-1990-1234567-1"}},
		"selfie": map[string]any{"liveness": "Passed"},
	}
}
