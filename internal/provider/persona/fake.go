package persona

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider/sim"
)

// Fake plays Persona's API: GET /api/v1/inquiries/{inquiry-id}, with the API
// key as a bearer token.
var Fake = sim.Fake{New: newFake, Document: fakeDocument}

func newFake(creds map[string]string, s sim.Server) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/inquiries/{id}", func(w http.ResponseWriter, r *http.Request) {
		if token, ok := sim.Bearer(r); !ok || token != creds["api_key"] {
			// Persona's errors are JSON:API errors.
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]string{{"title": "Must be authenticated to access this endpoint"}}})
			return
		}
		j, ok := s.Journey(r.PathValue("id"))
		s.Serve(w, j, ok, fakeInquiry)
	})
	return mux
}

// fakeDocument is the government id's class (pp, id, dl) and country code
// (ISO alpha-2) of a journey, as its verification events also say.
func fakeDocument(j sim.Journey) (string, string) {
	return []string{"pp", "id", "dl"}[sim.DocumentKind(j)], sim.Country(j).Alpha2
}

// fakeStatuses are the inquiry statuses of the journeys' ends.
var fakeStatuses = map[kycgate.Status]string{
	kycgate.StatusApproved:     "approved",
	kycgate.StatusDeclined:     "declined",
	kycgate.StatusReviewNeeded: "needs_review",
	kycgate.StatusExpired:      "expired",
	kycgate.StatusPending:      "created",
}

func fakeInquiry(j sim.Journey) any {
	idClass, country := fakeDocument(j)
	status, ok := fakeStatuses[j.Want]
	if !ok {
		status = "pending"
	}
	verStatus := "passed"
	if j.Want == kycgate.StatusDeclined {
		verStatus = "failed"
	}
	return map[string]any{
		"data": map[string]any{
			"type": "inquiry", "id": j.VerificationID,
			"attributes": map[string]any{
				"status": status, "reference-id": j.ExternalUserID, "created-at": "2026-11-22T10:00:00.000Z",
				"fields": map[string]any{
					"name-first": map[string]any{"type": "string", "value": "Jane"},
					"name-last":  map[string]any{"type": "string", "value": "Doe"},
					"birthdate":  map[string]any{"type": "date", "value": "1990-04-12"},
				},
			},
			"relationships": map[string]any{
				"inquiry-template": map[string]any{"data": map[string]any{"type": "inquiry-template", "id": templateID}},
				"verifications":    map[string]any{"data": []map[string]any{{"type": "verification/government-id", "id": "ver_" + strings.TrimPrefix(j.VerificationID, "inq_")}}},
			},
		},
		"included": []map[string]any{{
			"type": "verification/government-id", "id": "ver_" + strings.TrimPrefix(j.VerificationID, "inq_"),
			"attributes": map[string]any{"status": verStatus, "id-class": idClass, "country-code": country},
		}},
	}
}
