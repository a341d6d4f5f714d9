package stripe

import (
	"encoding/json"
	"net/http"
	"slices"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider/sim"
)

// Fake plays Stripe's API: GET /v1/identity/verification_sessions/{id},
// authenticated with the secret key as a bearer token or as the basic-auth
// user name, as Stripe accepts; expand[]=last_verification_report embeds
// the report, which is otherwise its id.
var Fake = sim.Fake{New: newFake, Document: fakeDocument}

func newFake(creds map[string]string, s sim.Server) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/identity/verification_sessions/{id}", func(w http.ResponseWriter, r *http.Request) {
		if !fakeAuthenticated(r, creds["secret_key"]) {
			fakeError(w, http.StatusUnauthorized, "Invalid API Key provided.")
			return
		}
		expand := slices.Contains(r.URL.Query()["expand[]"], "last_verification_report")
		j, ok := s.Journey(r.PathValue("id"))
		s.Serve(w, j, ok, func(j sim.Journey) any { return fakeSession(j, expand) })
	})
	return mux
}

func fakeAuthenticated(r *http.Request, key string) bool {
	if key == "" {
		return false
	}
	if token, ok := sim.Bearer(r); ok {
		return token == key
	}
	user, _, ok := r.BasicAuth()
	return ok && user == key
}

// fakeError answers as Stripe's API refuses a request.
func fakeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"message": msg, "type": "invalid_request_error"}})
}

func fakeDocument(j sim.Journey) (string, string) {
	return []string{"passport", "id_card", "driving_license"}[sim.DocumentKind(j)], sim.Country(j).Alpha2
}

// fakeSession is the journey's VerificationSession as Stripe's API shows it.
func fakeSession(j sim.Journey, expand bool) any {
	docType, country := fakeDocument(j)
	status, lastError := "requires_input", any(nil)
	selfie := map[string]any{"status": "verified", "error": nil, "document": "file_fakeDocFront", "selfie": "file_fakeSelfie"}
	switch j.Want {
	case kycgate.StatusApproved:
		status = "verified"
	case kycgate.StatusSubmitted:
		status = "processing"
	case kycgate.StatusAbandoned:
		status = "canceled"
		if j.Scenario == "consent_declined" { // still open: the user may come back
			status, lastError = "requires_input", map[string]string{"code": "consent_declined", "reason": "The user declined to be verified by Stripe."}
		}
	case kycgate.StatusResubmissionRequested:
		lastError = map[string]string{"code": "selfie_face_mismatch", "reason": "The provided images did not match."}
		selfie["status"], selfie["error"] = "unverified", lastError
	}
	created := sessionCreated(j)
	reportID := "vr_" + j.VerificationID[3:]
	var rep any = reportID
	if expand {
		rep = map[string]any{
			"id": reportID, "object": "identity.verification_report", "created": created, "livemode": false,
			"client_reference_id": j.ExternalUserID, "type": "document", "verification_session": j.VerificationID,
			"document": map[string]any{"status": "verified", "error": nil, "type": docType, "issuing_country": country,
				"first_name": "Jane", "last_name": "Doe", "dob": map[string]int{"day": 12, "month": 4, "year": 1990},
				"expiration_date": map[string]int{"day": 1, "month": 1, "year": 2031}, "files": []string{"file_fakeDocFront", "file_fakeDocBack"}},
			"selfie": selfie,
		}
	}
	return map[string]any{
		"id": j.VerificationID, "object": "identity.verification_session", "client_secret": nil,
		"client_reference_id": j.ExternalUserID, "created": created, "last_error": lastError,
		"last_verification_report": rep, "livemode": false, "metadata": map[string]string{},
		"options":   map[string]any{"document": map[string]any{"require_matching_selfie": true}},
		"redaction": nil, "status": status, "type": "document", "url": nil,
	}
}

// sessionCreated is when the journey's session was created, as its
// webhooks say: the API shows the same session.
func sessionCreated(j sim.Journey) int64 {
	for _, d := range j.Deliveries {
		var e event
		if json.Unmarshal(d.Body, &e) == nil && e.Data.Object.Created > 0 {
			return e.Data.Object.Created
		}
	}
	return 0
}
