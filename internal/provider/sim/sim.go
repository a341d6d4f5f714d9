// Package sim is what a provider package needs to play its provider: the
// journeys of webhooks in the provider's exact shapes, signed with its
// scheme, with its retry schedule. Package simulator plays them; each
// provider package declares its own Player.
package sim

import (
	"math/rand/v2"
	"net/http"
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

// Player is how a provider is played.
type Player struct {
	Scenarios map[string]Scenario
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
