package vericato

import (
	"net/http"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider/sim"
)

// Fake plays Vericato's API: GET /v1/verifications/{id} with the API key
// as a bearer token.
var Fake = sim.Fake{New: newFake, Document: fakeDocument}

func newFake(creds map[string]string, s sim.Server) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/verifications/{id}", func(w http.ResponseWriter, r *http.Request) {
		if token, ok := sim.Bearer(r); !ok || token != creds["api_key"] {
			sim.APIError(w, http.StatusUnauthorized, "invalid API key")
			return
		}
		j, found := s.Journey(r.PathValue("id"))
		s.Serve(w, j, found, fakeVerification)
	})
	return mux
}

// fakeDocument: Vericato's document names the method, not a country.
func fakeDocument(j sim.Journey) (string, string) {
	return []string{"passport", "id_card", "drivers_license"}[sim.DocumentKind(j)], ""
}

func fakeVerification(j sim.Journey) any {
	docType, _ := fakeDocument(j)
	status := map[kycgate.Status]string{kycgate.StatusApproved: "completed", kycgate.StatusDeclined: "failed", kycgate.StatusExpired: "expired"}[j.Want]
	doc := map[string]any{"inputted_name": "Jane Doe", "status": status, "purpose": "identity_verification",
		"verification_method": docType, "access_expires_at": "2026-11-29T09:00:00.000Z", "kept_until": "2027-11-22T09:00:00.000Z"}
	switch status {
	case "completed":
		doc["identified_name"], doc["identified_date"] = "Jane Maria Doe", "2026-11-22T10:25:00.000Z"
	case "failed":
		doc["failed_reason"] = "Document verification failed"
	}
	return doc
}
