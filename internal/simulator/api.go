package simulator

import (
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider/registry"
)

// APICredentials are the credentials the fake provider APIs accept: per
// provider, the keys of a source's api block (e.g. app_token,
// secret_key).
type APICredentials map[string]map[string]string

// NewAPICredentials returns credentials for the API of every provider that
// has one, each value from token.
func NewAPICredentials(token func() string) APICredentials {
	creds := APICredentials{}
	for _, a := range registry.All() {
		if a.API == nil || a.Fake == nil {
			continue
		}
		creds[a.Name] = map[string]string{}
		for _, k := range a.API.Keys {
			creds[a.Name][k.Name] = token()
		}
	}
	return creds
}

// API plays the providers' APIs, each under /PROVIDER on one server, with
// each provider package's fake: it checks the provider's real
// authentication and serves documents consistent with the journeys added
// to it.
type API struct {
	// Now is the fake providers' clock (time.Now when nil).
	Now func() time.Time

	mu       sync.Mutex
	journeys map[string]Journey // provider|verification id
	users    map[string]Journey // provider|external id
	failures map[string][]int   // provider -> statuses to answer next
	calls    map[string]int     // provider -> authenticated document requests
	fakes    map[string]http.Handler
	mux      *http.ServeMux
}

// NewAPI returns the fake APIs of the providers creds names, accepting
// creds.
func NewAPI(creds APICredentials) *API {
	a := &API{journeys: map[string]Journey{}, users: map[string]Journey{}, failures: map[string][]int{},
		calls: map[string]int{}, fakes: map[string]http.Handler{}, mux: http.NewServeMux()}
	for _, ad := range registry.All() {
		c, ok := creds[ad.Name]
		if !ok || ad.Fake == nil {
			continue
		}
		h := ad.Fake.New(c, server{api: a, provider: ad.Name})
		a.fakes[ad.Name] = h
		a.mux.Handle("/"+ad.Name+"/", http.StripPrefix("/"+ad.Name, h))
	}
	return a
}

// BaseURL is a provider's API base URL on the server at serverURL.
func BaseURL(serverURL, provider string) string { return serverURL + "/" + provider }

// Fake returns a provider's fake API, for tests that steer it (its OAuth
// tokens, say); nil for a provider it does not play.
func (a *API) Fake(provider string) http.Handler { return a.fakes[provider] }

// Add makes journeys known to their provider's API.
func (a *API) Add(journeys ...Journey) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, j := range journeys {
		a.journeys[j.Provider+"|"+j.VerificationID] = j
		a.users[j.Provider+"|"+j.ExternalUserID] = j
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

func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.mux.ServeHTTP(w, r) }

func (a *API) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// DocumentOf returns the document type and country the fake API serves for
// a journey, as kycgate should read them.
func DocumentOf(j Journey) (docType, country string) {
	if ad, ok := registry.Lookup(j.Provider); ok && ad.Fake != nil {
		return ad.Fake.Document(j)
	}
	return "", ""
}

// server is one provider's view of the API's state.
type server struct {
	api      *API
	provider string
}

func (s server) Journey(id string) (Journey, bool) {
	s.api.mu.Lock()
	defer s.api.mu.Unlock()
	j, ok := s.api.journeys[s.provider+"|"+id]
	return j, ok
}

func (s server) JourneyOfUser(user string) (Journey, bool) {
	s.api.mu.Lock()
	defer s.api.mu.Unlock()
	j, ok := s.api.users[s.provider+"|"+user]
	return j, ok
}

func (s server) Now() time.Time { return s.api.now() }

// Serve answers an authenticated request for a document: a queued
// failure, 404 for a verification the provider does not know, or the
// document.
func (s server) Serve(w http.ResponseWriter, j Journey, known bool, doc func(Journey) any) {
	a := s.api
	a.mu.Lock()
	a.calls[s.provider]++
	var fail int
	if q := a.failures[s.provider]; len(q) > 0 {
		fail, a.failures[s.provider] = q[0], q[1:]
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
