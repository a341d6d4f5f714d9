package simulator

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider/sumsub"
	"github.com/kycgate/kycgate/internal/provider/verifyyou"
)

// APICredentials are the credentials the fake provider APIs accept.
type APICredentials struct {
	SumsubAppToken, SumsubSecretKey      string
	MetaMapClientID, MetaMapClientSecret string
	IDWiseKey, IDWiseSecret              string
	VericatoKey                          string
	VerifyYouKey                         string
}

// API plays the five providers' APIs, each under /PROVIDER on one server:
// it checks each provider's real authentication (Sumsub's request
// signature, MetaMap's OAuth tokens and their expiry, IDWise's Basic
// credentials, Vericato's bearer key, VerifyYou's API-KEY) and serves
// documents consistent with the journeys added to it.
type API struct {
	creds APICredentials
	// TokenTTL is how long a MetaMap access token lives (an hour when zero).
	TokenTTL time.Duration
	// Now is the fake provider's clock (time.Now when nil).
	Now func() time.Time

	mu       sync.Mutex
	journeys map[string]Journey // provider|verification id
	users    map[string]Journey // VerifyYou journeys by external id
	tokens   map[string]time.Time
	failures map[string][]int // provider -> statuses to answer next
	calls    map[string]int   // provider -> authenticated document requests
	tokensN  int              // tokens issued
	mux      *http.ServeMux
}

// NewAPI returns the fake APIs, accepting creds.
func NewAPI(creds APICredentials) *API {
	a := &API{creds: creds, journeys: map[string]Journey{}, users: map[string]Journey{},
		tokens: map[string]time.Time{}, failures: map[string][]int{}, calls: map[string]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /sumsub/resources/applicants/{id}/one", a.sumsub)
	mux.HandleFunc("POST /metamap/oauth", a.metamapToken)
	mux.HandleFunc("GET /metamap/v2/verifications/{id}", a.metamap)
	mux.HandleFunc("GET /idwise/journey/v2/summary/{id}", a.idwise)
	mux.HandleFunc("GET /vericato/v1/verifications/{id}", a.vericato)
	mux.HandleFunc("POST /verifyyou/v2/verification/status", a.verifyyou)
	a.mux = mux
	return a
}

// BaseURL is a provider's API base URL on the server at serverURL.
func BaseURL(serverURL, provider string) string { return serverURL + "/" + provider }

// Add makes journeys known to their provider's API.
func (a *API) Add(journeys ...Journey) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, j := range journeys {
		a.journeys[j.Provider+"|"+j.VerificationID] = j
		if j.Provider == "verifyyou" {
			a.users[j.ExternalUserID] = j
		}
	}
}

// FailNext has the provider's API answer its next authenticated requests
// with statuses, one each (a 429 says Retry-After: 1).
func (a *API) FailNext(provider string, statuses ...int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.failures[provider] = append(a.failures[provider], statuses...)
}

// Calls returns how many authenticated document requests a provider's API
// has answered, failures included.
func (a *API) Calls(provider string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.calls[provider]
}

// RevokeTokens makes every MetaMap access token issued so far invalid.
func (a *API) RevokeTokens() {
	a.mu.Lock()
	defer a.mu.Unlock()
	clear(a.tokens)
}

// TokensIssued returns how many MetaMap access tokens were issued.
func (a *API) TokensIssued() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.tokensN
}

func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.mux.ServeHTTP(w, r) }

func (a *API) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// serve answers an authenticated request for a document of provider: a
// queued failure, 404 for a verification it does not know, or the document.
func (a *API) serve(w http.ResponseWriter, provider string, j Journey, known bool, doc func(Journey) any) {
	a.mu.Lock()
	a.calls[provider]++
	var fail int
	if q := a.failures[provider]; len(q) > 0 {
		fail, a.failures[provider] = q[0], q[1:]
	}
	a.mu.Unlock()
	switch {
	case fail != 0:
		if fail == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "1")
		}
		writeAPIError(w, fail, http.StatusText(fail))
	case !known || j.Want == kycgate.StatusDeleted:
		writeAPIError(w, http.StatusNotFound, "not found")
	default:
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(doc(j))
	}
}

func writeAPIError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"code": status, "description": msg})
}

func (a *API) journey(provider, id string) (Journey, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	j, ok := a.journeys[provider+"|"+id]
	return j, ok
}

// sumsub checks X-App-Token and X-App-Access-Sig over the timestamp,
// method, path with query and body, with a timestamp within a minute.
func (a *API) sumsub(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	ts := r.Header.Get(sumsub.HeaderAccessTs)
	sec, err := strconv.ParseInt(ts, 10, 64)
	switch {
	case r.Header.Get(sumsub.HeaderAppToken) != a.creds.SumsubAppToken:
		writeAPIError(w, http.StatusUnauthorized, "unknown app token")
		return
	case err != nil || a.now().Sub(time.Unix(sec, 0)).Abs() > time.Minute:
		writeAPIError(w, http.StatusUnauthorized, "request timestamp missing or more than a minute off")
		return
	case r.Header.Get(sumsub.HeaderAccessSig) != sumsub.RequestSignature(a.creds.SumsubSecretKey, ts, r.Method, r.URL.RequestURI(), body):
		writeAPIError(w, http.StatusUnauthorized, "invalid signature")
		return
	}
	j, ok := a.journey("sumsub", r.PathValue("id"))
	a.serve(w, "sumsub", j, ok, sumsubApplicant)
}

func (a *API) metamapToken(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	if !ok || id != a.creds.MetaMapClientID || secret != a.creds.MetaMapClientSecret || r.PostFormValue("grant_type") != "client_credentials" {
		writeAPIError(w, http.StatusUnauthorized, "invalid client credentials")
		return
	}
	ttl := a.TokenTTL
	if ttl <= 0 {
		ttl = time.Hour
	}
	a.mu.Lock()
	a.tokensN++
	token := fmt.Sprintf("mm-token-%d-%d", a.tokensN, a.now().UnixNano())
	a.tokens[token] = a.now().Add(ttl)
	a.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"access_token": token, "expiresIn": int(ttl.Seconds())})
}

func (a *API) metamap(w http.ResponseWriter, r *http.Request) {
	token, ok := bearer(r)
	a.mu.Lock()
	expires, known := a.tokens[token]
	a.mu.Unlock()
	if !ok || !known || !a.now().Before(expires) {
		writeAPIError(w, http.StatusUnauthorized, "invalid or expired access token")
		return
	}
	j, found := a.journey("metamap", r.PathValue("id"))
	a.serve(w, "metamap", j, found, metamapVerification)
}

func (a *API) idwise(w http.ResponseWriter, r *http.Request) {
	key, secret, ok := r.BasicAuth()
	if !ok || key != a.creds.IDWiseKey || secret != a.creds.IDWiseSecret {
		writeAPIError(w, http.StatusUnauthorized, "invalid server key or secret")
		return
	}
	j, found := a.journey("idwise", r.PathValue("id"))
	a.serve(w, "idwise", j, found, idwiseJourney)
}

func (a *API) vericato(w http.ResponseWriter, r *http.Request) {
	if token, ok := bearer(r); !ok || token != a.creds.VericatoKey {
		writeAPIError(w, http.StatusUnauthorized, "invalid API key")
		return
	}
	j, found := a.journey("vericato", r.PathValue("id"))
	a.serve(w, "vericato", j, found, vericatoVerification)
}

func (a *API) verifyyou(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get(verifyyou.HeaderAPIKey) != a.creds.VerifyYouKey {
		writeAPIError(w, http.StatusUnauthorized, "invalid API-KEY")
		return
	}
	var q struct {
		ExternalID string `json:"external_id"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&q); err != nil || q.ExternalID == "" {
		writeAPIError(w, http.StatusBadRequest, "send token or external_id")
		return
	}
	a.mu.Lock()
	j, found := a.users[q.ExternalID]
	a.mu.Unlock()
	a.serve(w, "verifyyou", j, found, func(j Journey) any {
		return map[string]any{"verification_complete": j.Want == kycgate.StatusApproved, "external_id": j.ExternalUserID}
	})
}

func bearer(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	return token, ok && scheme == "Bearer" && token != ""
}

// Documents: each journey's fake person and document, chosen from its id,
// so that every call answers the same.
var (
	docCountries = []struct{ alpha3, alpha2 string }{{"DEU", "DE"}, {"FRA", "FR"}, {"ESP", "ES"}, {"MEX", "MX"}, {"ARE", "AE"}}
	docTypes     = []struct{ sumsub, metamap, idwise, vericato string }{
		{"PASSPORT", "passport", "Passport", "passport"},
		{"ID_CARD", "national-id", "National ID", "id_card"},
		{"DRIVERS", "driving-license", "Driving License", "drivers_license"},
	}
)

// DocumentOf returns the document type and country (alpha-3 for Sumsub
// and IDWise, alpha-2 for MetaMap) the fake API serves for a journey, as
// kycgate should read them.
func DocumentOf(j Journey) (docType, country string) {
	h := pick(j.VerificationID)
	t, c := docTypes[h%uint32(len(docTypes))], docCountries[h%uint32(len(docCountries))]
	switch j.Provider {
	case "sumsub":
		return t.sumsub, c.alpha3
	case "metamap":
		return t.metamap, c.alpha2
	case "idwise":
		return t.idwise, c.alpha3
	case "vericato":
		return t.vericato, ""
	}
	return "", ""
}

func pick(id string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(id))
	return h.Sum32()
}

func sumsubApplicant(j Journey) any {
	docType, country := DocumentOf(j)
	review := map[string]any{"levelName": "basic-kyc-level", "reviewStatus": "completed"}
	switch j.Want {
	case kycgate.StatusApproved:
		review["reviewResult"] = map[string]any{"reviewAnswer": "GREEN"}
	case kycgate.StatusDeclined:
		review["reviewResult"] = map[string]any{"reviewAnswer": "RED", "reviewRejectType": "FINAL", "rejectLabels": []string{"FORGERY"}}
	case kycgate.StatusOnHold:
		review["reviewStatus"] = "onHold"
	default:
		review["reviewStatus"] = "init"
	}
	return map[string]any{
		"id": j.VerificationID, "createdAt": "2026-11-22 10:00:00", "clientId": "kycgate-demo",
		"inspectionId": j.VerificationID[:20] + "beef", "externalUserId": j.ExternalUserID, "type": "individual",
		"email": "jane.doe@example.com", "lang": "en",
		"info": map[string]any{"firstName": "Jane", "lastName": "Doe", "dob": "1990-04-12", "country": country,
			"idDocs": []map[string]any{{"idDocType": docType, "country": country, "number": "C01X00T47"}}},
		"review": review,
	}
}

func metamapVerification(j Journey) any {
	docType, country := DocumentOf(j)
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

func idwiseJourney(j Journey) any {
	docType, country := DocumentOf(j)
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

func vericatoVerification(j Journey) any {
	docType, _ := DocumentOf(j)
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
