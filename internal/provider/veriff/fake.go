package veriff

import (
	"crypto/hmac"
	"net/http"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider/sim"
)

// Fake plays Veriff's API: GET /v1/sessions/{id}/decision with the API key
// in X-AUTH-CLIENT and the session id signed with the shared secret.
var Fake = sim.Fake{New: newFake, Document: fakeDocument}

func newFake(creds map[string]string, s sim.Server) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/sessions/{id}/decision", func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		want := Signature(creds["shared_secret"], []byte(id))
		switch {
		case r.Header.Get(HeaderAuthClient) != creds["api_key"]:
			sim.APIError(w, http.StatusUnauthorized, "unknown API key")
			return
		case !hmac.Equal([]byte(r.Header.Get(HeaderSignature)), []byte(want)):
			sim.APIError(w, http.StatusUnauthorized, "invalid X-HMAC-SIGNATURE")
			return
		}
		j, ok := s.Journey(id)
		s.Serve(w, j, ok, fakeDecision)
	})
	return mux
}

func fakeDocument(j sim.Journey) (string, string) {
	return []string{"PASSPORT", "ID_CARD", "DRIVERS_LICENSE"}[sim.DocumentKind(j)], sim.Country(j).Alpha2
}

func fakeDecision(j sim.Journey) any {
	docType, country := fakeDocument(j)
	status, code := "", 0
	var reason, reasonCode any
	switch j.Want {
	case kycgate.StatusApproved:
		status, code = "approved", 9001
	case kycgate.StatusDeclined:
		status, code, reason, reasonCode = "declined", 9102, "Suspected document tampering", 102
	case kycgate.StatusResubmissionRequested:
		status, code, reason, reasonCode = "resubmission_requested", 9103, "Poor image quality", 201
	case kycgate.StatusReviewNeeded:
		status, code = "review", 9121
	case kycgate.StatusExpired:
		status, code = "expired", 9104
	case kycgate.StatusAbandoned:
		status, code = "abandoned", 9104
	default:
		return map[string]any{"status": "success", "verification": nil}
	}
	return map[string]any{
		"status": "success",
		"verification": map[string]any{
			"id": j.VerificationID, "attemptId": j.VerificationID[:24] + "a0a0a0a0a0a0", "code": code, "status": status,
			"reason": reason, "reasonCode": reasonCode, "vendorData": j.ExternalUserID, "endUserId": nil,
			"decisionTime": "2026-11-22T10:05:00.000Z", "acceptanceTime": "2026-11-22T10:00:00.000Z",
			"person":   map[string]any{"firstName": "JANE", "lastName": "DOE", "dateOfBirth": "1990-04-12"},
			"document": map[string]any{"type": docType, "country": country, "number": "C01X00T47", "validUntil": "2031-04-20"},
		},
		"technicalData": map[string]any{"ip": "186.153.67.122"},
	}
}
