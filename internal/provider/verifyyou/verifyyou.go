// Package verifyyou adapts VerifyYou's stage webhooks: the
// X-VerifyYou-Signature HMAC and the ten funnel stages.
package verifyyou

import (
	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider"
)

// Name is the provider name used in configuration and in the data.
const Name = "verifyyou"

// Adapter describes VerifyYou to the registry.
var Adapter = provider.Adapter{
	Name:      Name,
	Signs:     true,
	Headers:   []string{HeaderSignature, HeaderEvent},
	Catalogue: Catalogue,
	New:       New,
	API:       &API,
	Play:      &Play,
	Fake:      &Fake,
	Options:   []string{provider.OptionMinTrustScore},
}

// Webhooks authenticates and parses the webhooks of one VerifyYou source.
type Webhooks struct {
	secrets       []string
	minTrustScore *float64
}

// New returns the adapter for a source signed with any of cfg.Secrets. With
// cfg.MinTrustScore, a completion below that trust_score (or without one)
// needs a review rather than approving.
func New(cfg provider.Config) (provider.Webhooks, error) {
	return &Webhooks{secrets: cfg.Secrets, minTrustScore: cfg.MinTrustScore}, nil
}

// Catalogue maps every VerifyYou stage to its canonical event type.
var Catalogue = map[string]kycgate.EventType{
	"verification_initialized": kycgate.EventCreated,
	"verification_started":     kycgate.EventStarted,
	"account_created":          kycgate.EventStepCompleted,
	"consent_granted":          kycgate.EventStepCompleted,
	"liveness_started":         kycgate.EventStepCompleted,
	"liveness_passed":          kycgate.EventStepCompleted,
	"liveness_failed":          kycgate.EventStepCompleted,
	"liveness_cancelled":       kycgate.EventStepCompleted,
	"face_collision":           kycgate.EventDecided,
	"verification_completed":   kycgate.EventDecided,
}
