package metamap

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider/sim"
)

// Fake plays MetaMap's API: OAuth client credentials at POST /oauth, then
// GET /v2/verifications/{id} with the access token until it expires.
var Fake = sim.Fake{
	New: func(creds map[string]string, s sim.Server) http.Handler {
		f := &FakeAPI{creds: creds, server: s, tokens: map[string]time.Time{}, mux: http.NewServeMux()}
		f.mux.HandleFunc("POST /oauth", f.token)
		f.mux.HandleFunc("GET /v2/verifications/{id}", f.verification)
		return f
	},
	Document: fakeDocument,
}

// FakeAPI is MetaMap's fake API, with its access tokens.
type FakeAPI struct {
	creds  map[string]string
	server sim.Server
	mux    *http.ServeMux

	mu     sync.Mutex
	ttl    time.Duration
	tokens map[string]time.Time // -> expiry
	issued int
}

// SetTokenTTL sets how long an access token lives (an hour when zero).
func (f *FakeAPI) SetTokenTTL(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ttl = d
}

// RevokeTokens makes every access token issued so far invalid.
func (f *FakeAPI) RevokeTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.tokens)
}

// TokensIssued returns how many access tokens were issued.
func (f *FakeAPI) TokensIssued() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.issued
}

func (f *FakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) { f.mux.ServeHTTP(w, r) }

func (f *FakeAPI) token(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	if !ok || id != f.creds["client_id"] || secret != f.creds["client_secret"] || r.PostFormValue("grant_type") != "client_credentials" {
		sim.APIError(w, http.StatusUnauthorized, "invalid client credentials")
		return
	}
	now := f.server.Now()
	f.mu.Lock()
	ttl := f.ttl
	if ttl <= 0 {
		ttl = time.Hour
	}
	f.issued++
	token := fmt.Sprintf("mm-token-%d-%d", f.issued, now.UnixNano())
	f.tokens[token] = now.Add(ttl)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"access_token": token, "expiresIn": int(ttl.Seconds())})
}

func (f *FakeAPI) verification(w http.ResponseWriter, r *http.Request) {
	token, ok := sim.Bearer(r)
	f.mu.Lock()
	expires, known := f.tokens[token]
	f.mu.Unlock()
	if !ok || !known || !f.server.Now().Before(expires) {
		sim.APIError(w, http.StatusUnauthorized, "invalid or expired access token")
		return
	}
	j, found := f.server.Journey(r.PathValue("id"))
	f.server.Serve(w, j, found, fakeVerification)
}

func fakeDocument(j sim.Journey) (string, string) {
	return []string{"passport", "national-id", "driving-license"}[sim.DocumentKind(j)], sim.Country(j).Alpha2
}

func fakeVerification(j sim.Journey) any {
	docType, country := fakeDocument(j)
	status := map[kycgate.Status]string{kycgate.StatusApproved: "verified", kycgate.StatusDeclined: "rejected",
		kycgate.StatusReviewNeeded: "reviewNeeded", kycgate.StatusOnHold: "postponed"}[j.Want]
	if status == "" {
		status = "running"
	}
	var alteration any
	if j.Want == kycgate.StatusDeclined {
		alteration = map[string]string{"type": "StepError", "code": "alterationDetection.fraudAttempt", "message": "Document is considered as fraud attempt"}
	}
	return map[string]any{
		"id": j.VerificationID, "expired": j.Want == kycgate.StatusExpired, "hasProblem": alteration != nil,
		"identity": map[string]string{"status": status},
		"steps": []map[string]any{{"status": 200, "id": "ip-validation", "error": nil,
			"data": map[string]any{"country": "Mexico", "countryCode": "MX", "safe": true}}},
		"documents": []map[string]any{{"country": country, "type": docType, "steps": []map[string]any{
			{"status": 200, "id": "document-reading", "error": nil, "data": map[string]any{
				"fullName":    map[string]string{"value": "JANE DOE", "label": "Name"},
				"dateOfBirth": map[string]string{"value": "1990-04-12", "label": "Date of birth"}}},
			{"status": 200, "id": "template-matching", "error": nil},
			{"status": 200, "id": "alteration-detection", "error": alteration},
		}}},
		"computed": map[string]any{"age": map[string]int{"data": 36}},
	}
}
