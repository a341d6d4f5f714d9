// Package sim is what a provider package needs to play its provider: the
// journeys of webhooks in the provider's exact shapes, signed with its
// scheme, with its retry schedule. Package simulator plays them; each
// provider package declares its own Player.
package sim

import (
	"encoding/json"
	"hash/fnv"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/kycgate/kycgate"
)

// Delivery is one webhook as the provider sends it.
type Delivery struct {
	Event  string // the provider's event name
	Header http.Header
	Body   []byte
}

// Credentials authenticate the simulated provider to the receiver: the
// signing secret of a provider that signs, the token or password of one
// that sends a credential. A provider that sends none ignores them.
type Credentials struct {
	Secret string
}

// Scenario is one kind of journey: how it is built, and the status the
// verification must end in.
type Scenario struct {
	Want  kycgate.Status
	Build func(b *Builder)
}

// Credential is how a provider authenticates its webhooks to a source.
type Credential string

const (
	// CredentialSignature: it signs each body with the source's secret
	// (the source's secrets).
	CredentialSignature Credential = "signature"
	// CredentialBearer: it sends a token (the source's auth.bearer).
	CredentialBearer Credential = "bearer"
	// CredentialNone: it sends nothing, and the source's URL carries a token
	// (auth.url_token).
	CredentialNone Credential = "none"
)

// Player is how a provider is played.
type Player struct {
	// Credential is what the provider sends; Sign adds it to a delivery.
	Credential Credential
	Scenarios  map[string]Scenario
	// Sign adds the provider's authentication to a delivery.
	Sign func(creds Credentials, d *Delivery) error
	// NewID returns a verification id in the provider's style.
	NewID func(r *rand.Rand) string
	// Retries is the provider's retry schedule: the delays after which it
	// sends a delivery that failed again.
	Retries []time.Duration
}

// Builder accumulates one journey's deliveries; the clock advances a few
// seconds to minutes between events, as a person going through a flow.
type Builder struct {
	Rand           *rand.Rand
	VerificationID string
	User           string // the company's own user id
	At             time.Time
	N              int // events so far
	Deliveries     []Delivery
}

// Next advances the journey's clock and returns the event's time.
func (b *Builder) Next() time.Time {
	b.At = b.At.Add(time.Duration(3+b.Rand.IntN(90)) * time.Second)
	b.N++
	return b.At
}

// Add appends a JSON webhook and returns it, for its headers.
func (b *Builder) Add(event string, body []byte) *Delivery {
	b.Deliveries = append(b.Deliveries, Delivery{Event: event, Header: http.Header{"Content-Type": {"application/json"}}, Body: body})
	return &b.Deliveries[len(b.Deliveries)-1]
}

// HexID returns n random hex digits.
func HexID(r *rand.Rand, n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[r.IntN(16)]
	}
	return string(b)
}

// UUID returns a random version 4 UUID.
func UUID(r *rand.Rand) string {
	h := HexID(r, 32)
	return h[:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:]
}

// Journey is one verification's webhooks in the order they happened, and
// the status the verification must end in.
type Journey struct {
	Provider       string
	Scenario       string
	VerificationID string
	ExternalUserID string
	Deliveries     []Delivery
	Want           kycgate.Status
}

// Fake is a provider's fake API, for tests and the demo: it checks the
// provider's real authentication and serves documents consistent with the
// journeys it knows.
type Fake struct {
	// New returns the handler of the provider's API paths (as on its real
	// host), accepting creds (the keys of a source's api block) and
	// answering from s.
	New func(creds map[string]string, s Server) http.Handler
	// Document is the document type and country the fake serves for a
	// journey, as kycgate must read them.
	Document func(j Journey) (docType, country string)
}

// Server is what a fake API answers from.
type Server interface {
	// Journey returns the provider's journey of a verification id.
	Journey(id string) (Journey, bool)
	// JourneyOfUser returns the provider's journey of a user.
	JourneyOfUser(user string) (Journey, bool)
	// Serve answers an authenticated request for a journey's document: a
	// queued failure, 404 for a verification it does not know (or one
	// deleted), or doc(j) as JSON.
	Serve(w http.ResponseWriter, j Journey, known bool, doc func(Journey) any)
	Now() time.Time
}

// APIError answers a fake API's refusal, as JSON.
func APIError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"code": status, "description": msg})
}

// Bearer returns the request's bearer token.
func Bearer(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	return token, ok && scheme == "Bearer" && token != ""
}

// Pick returns a number drawn from id: a journey's fake person and
// document depend on its id only, so that every call answers the same.
func Pick(id string, n int) int {
	h := fnv.New32a()
	h.Write([]byte(id))
	return int(h.Sum32() % uint32(n))
}

// Countries are the document countries fake APIs draw from.
var Countries = []struct{ Alpha3, Alpha2 string }{{"DEU", "DE"}, {"FRA", "FR"}, {"ESP", "ES"}, {"MEX", "MX"}, {"ARE", "AE"}}

// DocumentKind is the kind of document (0 passport, 1 national id card, 2
// driving licence) a journey's fake document is.
func DocumentKind(j Journey) int { return Pick(j.VerificationID, 3) }

// Country is a journey's fake document's country.
func Country(j Journey) struct{ Alpha3, Alpha2 string } {
	return Countries[Pick(j.VerificationID, len(Countries))]
}
