// Package vericato adapts Vericato webhooks: verification.verified, .failed
// and .expired. Vericato sends no credential and no signature; its sources
// authenticate with a secret URL token and, where possible, an IP allow
// list, checked by ingest. The adapter checks that Vericato's own headers,
// when present, agree with the body.
package vericato

import (
	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider"
)

// Name is the provider name used in configuration and in the data.
const Name = "vericato"

// The headers Vericato sends with every webhook.
const (
	HeaderEvent          = "X-Vericato-Event"
	HeaderVerificationID = "X-Vericato-Verification-Id"
)

// Adapter describes Vericato to the registry.
var Adapter = provider.Adapter{
	Name:      Name,
	Signs:     false,
	Headers:   []string{HeaderEvent, HeaderVerificationID},
	Catalogue: Catalogue,
	New:       New,
	API:       &API,
	Play:      &Play,
	Fake:      &Fake,
}

// Webhooks authenticates and parses the webhooks of one Vericato source.
type Webhooks struct{}

// New returns the adapter for a source.
func New(provider.Config) (provider.Webhooks, error) { return Webhooks{}, nil }

// Catalogue maps every Vericato event to its canonical event type.
var Catalogue = map[string]kycgate.EventType{
	"verification.verified": kycgate.EventDecided,
	"verification.failed":   kycgate.EventDecided,
	"verification.expired":  kycgate.EventExpired,
}
