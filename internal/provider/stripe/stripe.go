// Package stripe adapts Stripe Identity webhooks: the Stripe-Signature
// scheme (a timestamped HMAC with a tolerance), the
// identity.verification_session.* events and the VerificationSession they
// carry.
package stripe

import (
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider"
)

// Name is the provider name used in configuration and in the data.
const Name = "stripe"

// Adapter describes Stripe Identity to the registry.
var Adapter = provider.Adapter{
	Name:    Name,
	Signs:   true,
	Headers: []string{HeaderSignature},
	// Stripe retries live-mode deliveries for up to three days, with a margin.
	RetriesFor: 73 * time.Hour,
	Catalogue:  Catalogue,
	New:        New,
	API:        &API,
	Play:       &Play,
	Fake:       &Fake,
}

// Webhooks authenticates and parses the webhooks of one Stripe Identity source.
type Webhooks struct {
	secrets []string
	now     func() time.Time
}

// New returns the adapter for a source signed with any of cfg.Secrets,
// checking signature timestamps against cfg.Now (the wall clock when nil).
func New(cfg provider.Config) (provider.Webhooks, error) {
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Webhooks{secrets: cfg.Secrets, now: now}, nil
}

// Catalogue maps every Stripe Identity event type to its canonical type.
var Catalogue = map[string]kycgate.EventType{
	"identity.verification_session.created":        kycgate.EventCreated,
	"identity.verification_session.processing":     kycgate.EventSubmitted,
	"identity.verification_session.requires_input": kycgate.EventDecided,
	"identity.verification_session.verified":       kycgate.EventDecided,
	"identity.verification_session.canceled":       kycgate.EventExpired,
	"identity.verification_session.redacted":       kycgate.EventDeleted,
}
